"""Two convenors moving the same conference at once: the second move, based on the SEQUENCE both
started from, is refused instead of silently winning; the page and the API say so."""
from __future__ import annotations

import pytest
from django.urls import reverse

from conferences import services
from conferences.models import Conference
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from tests.conferences.helpers import local

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"


def _stored(world) -> Conference:
    return Conference.objects.get(pk=world.conference.pk)


def test_a_second_move_from_the_same_sequence_is_refused_and_changes_nothing(world):
    started = _stored(world).sequence
    services.conference_move(world.convenor, conference=world.conference, starts_at=local(10), sequence=started)
    with pytest.raises(EditConflict) as refused:
        services.conference_move(world.lead_colleague, conference=world.conference, starts_at=local(12),
                                 location="Anderswo", sequence=started)
    stored = _stored(world)
    assert stored.starts_at == local(10) and stored.location == "Rathaus, Raum 2" and stored.sequence == started + 1
    assert refused.value.current.starts_at == local(10)
    assert AuditEvent.objects.filter(action="conference.move").count() == 1


def test_the_page_keeps_her_new_time_beside_the_current_one_and_answers_409(world, client):
    url = reverse("conferences:conference_move", args=[world.conference.pk])
    client.force_login(world.convenor)
    assert 'name="sequence" value="0"' in client.get(url).content.decode()
    first = {"starts_at": local(10).strftime("%Y-%m-%dT%H:%M"), "location": "Rathaus, Raum 2", "sequence": 0}
    assert client.post(url, first).status_code == 302

    client.force_login(world.lead_colleague)
    mine = {"starts_at": local(12, 14).strftime("%Y-%m-%dT%H:%M"), "location": "Jugendamt, Raum 5", "sequence": 0}
    response = client.post(url, mine)
    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    assert 'value="Jugendamt, Raum 5"' in page and local(12, 14).strftime("%Y-%m-%dT%H:%M") in page  # her input
    assert "<dd>Rathaus, Raum 2</dd>" in page and 'name="sequence" value="1"' in page
    stored = _stored(world)
    assert stored.starts_at == local(10) and stored.location == "Rathaus, Raum 2"

    again = client.post(url, {**mine, "sequence": 1})
    assert again.status_code == 302
    stored = _stored(world)
    assert stored.starts_at == local(12, 14) and stored.location == "Jugendamt, Raum 5" and stored.sequence == 2


def test_the_api_answers_409_with_the_conference_as_it_stands(world, client):
    url = reverse("conference-move", args=[world.conference.pk])
    client.force_login(world.convenor)
    assert client.post(url, {"starts_at": local(10).isoformat(), "sequence": 0},
                       content_type="application/json").status_code == 200

    client.force_login(world.lead_colleague)
    response = client.post(url, {"starts_at": local(12).isoformat(), "location": "Anderswo", "sequence": 0},
                           content_type="application/json")
    assert response.status_code == 409
    body = response.json()
    assert CONFLICT in body["detail"]
    assert body["current"]["id"] == world.conference.pk and body["current"]["sequence"] == 1
    assert body["current"]["location"] == "Rathaus, Raum 2"
    assert _stored(world).starts_at == local(10)

    again = client.post(url, {"starts_at": local(12).isoformat(), "location": "Anderswo", "sequence": 1},
                        content_type="application/json")
    assert again.status_code == 200 and again.json()["sequence"] == 2
    assert _stored(world).starts_at == local(12) and _stored(world).location == "Anderswo"


def test_the_api_wants_the_sequence_the_move_is_based_on(world, client):
    client.force_login(world.convenor)
    response = client.post(reverse("conference-move", args=[world.conference.pk]), {"starts_at": local(10).isoformat()},
                           content_type="application/json")
    assert response.status_code == 400 and "sequence" in response.json()
    assert _stored(world).sequence == 0


def test_a_refused_move_does_not_ask_her_to_correct_fields_none_of_which_is_marked(world, client):
    """The conflict is the form's only error: its summary names it, not "correct the marked
    fields"; a field error (a missing time) still asks her to correct it."""
    url = reverse("conferences:conference_move", args=[world.conference.pk])
    client.force_login(world.convenor)
    assert client.post(url, {"starts_at": local(10).strftime("%Y-%m-%dT%H:%M"), "location": "Rathaus, Raum 2",
                             "sequence": 0}).status_code == 302
    client.force_login(world.lead_colleague)
    refused = client.post(url, {"starts_at": local(12).strftime("%Y-%m-%dT%H:%M"), "location": "Anderswo", "sequence": 0})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert CONFLICT in page and "correct the marked fields" not in page
    invalid = client.post(url, {"starts_at": "", "location": "Anderswo", "sequence": 1}).content.decode()
    assert "correct the marked fields" in invalid
