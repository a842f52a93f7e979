"""Two coordinators editing the board's commentary, a meeting's details or its minutes at once:
the second save, based on the version both started from, is refused instead of silently
overwriting the first one's text; she sees her own text kept beside the text as it is now."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.core.exceptions import ValidationError
from django.utils import timezone

from board import services
from board.models import BoardMeeting, HalfYearSummary
from participants.models import NetworkRole
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from tests.world import make_user

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def colleague(world):
    """A second coordinator of the same network."""
    user = make_user("coordinator2")
    NetworkRole.objects.create(user=user, network=world.network, role=NetworkRole.Role.COORDINATOR)
    return user


@pytest.fixture
def draft(world):
    return HalfYearSummary.objects.create(network=world.network, year=2020, half=1, definitions_version="x",
                                          commentary="Erster Entwurf.")


@pytest.fixture
def upcoming(world):
    start = dt.datetime(2031, 3, 31, 16, 0, tzinfo=BERLIN)
    return BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                       location="Kreishaus")


@pytest.fixture
def held(world):
    start = timezone.now() - dt.timedelta(hours=3)
    return BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                       minutes="Stichpunkte.")


def _meeting_form(meeting: BoardMeeting, **changes) -> dict:
    """What the change form posts when she changes nothing but ``changes``."""
    def local(value):
        return timezone.localtime(value, BERLIN).strftime("%Y-%m-%dT%H:%M")
    data = {"starts_at": local(meeting.starts_at), "ends_at": local(meeting.ends_at), "location": meeting.location,
            "summary": meeting.summary_id or "", "version": meeting.version}
    return {**data, **changes}


# --- The board's commentary ------------------------------------------------------------------

def test_a_second_commentary_from_the_same_version_is_refused_and_changes_nothing(world, colleague, draft):
    started = draft.version
    services.summary_set_commentary(world.coordinator, summary=draft, commentary="Mehr Eltern einbeziehen.", version=started)
    with pytest.raises(EditConflict) as refused:
        services.summary_set_commentary(colleague, summary=draft, commentary="Hebammen fehlen.", version=started)
    stored = HalfYearSummary.objects.get(pk=draft.pk)
    assert (stored.commentary, stored.version) == ("Mehr Eltern einbeziehen.", started + 1)
    assert refused.value.current.commentary == "Mehr Eltern einbeziehen."
    assert AuditEvent.objects.filter(action="summary.commentary", object_id=str(draft.pk)).count() == 1
    # A script that writes on its own behalf passes no version.
    services.summary_set_commentary(colleague, summary=draft, commentary="Aus dem Skript.", version=None)
    assert HalfYearSummary.objects.get(pk=draft.pk).version == started + 2


def test_the_summary_page_keeps_her_commentary_beside_the_current_one_and_answers_409(world, colleague, draft, client):
    detail = reverse("board:summary_detail", args=[draft.pk])
    url = reverse("board:summary_commentary", args=[draft.pk])
    client.force_login(world.coordinator)
    assert f'name="version" value="{draft.version}"' in client.get(detail).content.decode()
    started = {"commentary": draft.commentary, "version": draft.version}
    assert client.post(url, {**started, "commentary": "Mehr Eltern einbeziehen."}).status_code == 302

    client.force_login(colleague)
    response = client.post(url, {**started, "commentary": "Hebammen fehlen."})
    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    assert "Hebammen fehlen.</textarea>" in page  # her text is still in the form
    assert "<dd>Mehr Eltern einbeziehen.</dd>" in page  # the commentary as it is now, beside it
    stored = HalfYearSummary.objects.get(pk=draft.pk)
    assert stored.commentary == "Mehr Eltern einbeziehen."
    assert f'name="version" value="{stored.version}"' in page

    # Having read the current commentary, she saves again on purpose, now on its version.
    again = client.post(url, {"commentary": "Mehr Eltern einbeziehen. Hebammen fehlen.", "version": stored.version})
    assert again.status_code == 302
    assert HalfYearSummary.objects.get(pk=draft.pk).commentary == "Mehr Eltern einbeziehen. Hebammen fehlen."


# --- A meeting's time and place --------------------------------------------------------------

def test_a_second_change_of_the_meeting_from_the_same_version_is_refused_and_changes_nothing(world, colleague, upcoming):
    started = upcoming.version
    services.board_meeting_update(world.coordinator, meeting=upcoming, starts_at=upcoming.starts_at,
                                  ends_at=upcoming.ends_at, location="Raum 2", summary=None, version=started)
    later = upcoming.starts_at + dt.timedelta(hours=1)
    with pytest.raises(EditConflict) as refused:
        services.board_meeting_update(colleague, meeting=upcoming, starts_at=later, ends_at=later + dt.timedelta(hours=2),
                                      location="Rathaus", summary=world.summary, version=started)
    stored = BoardMeeting.objects.get(pk=upcoming.pk)
    assert (stored.location, stored.starts_at, stored.summary_id) == ("Raum 2", upcoming.starts_at, None)
    assert (stored.version, stored.sequence) == (started + 1, 1)
    assert refused.value.current.location == "Raum 2"
    assert AuditEvent.objects.filter(action="board_meeting.update", object_id=str(upcoming.pk)).count() == 1


def test_the_meeting_page_keeps_her_changes_beside_the_current_meeting_and_answers_409(world, colleague, upcoming, client):
    url = reverse("board:board_meeting_update", args=[upcoming.pk])
    client.force_login(world.coordinator)
    page = client.get(reverse("board:board_meeting_detail", args=[upcoming.pk])).content.decode()
    assert f'name="version" value="{upcoming.version}"' in page
    started = _meeting_form(upcoming)
    assert client.post(url, {**started, "location": "Raum 2"}).status_code == 302

    client.force_login(colleague)
    response = client.post(url, {**started, "location": "Rathaus, Saal 1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    assert 'value="Rathaus, Saal 1"' in page  # her input is still in the form
    assert "<dd>Raum 2</dd>" in page  # the meeting as it is now, beside it
    stored = BoardMeeting.objects.get(pk=upcoming.pk)
    assert stored.location == "Raum 2"
    assert f'name="version" value="{stored.version}"' in page

    again = client.post(url, _meeting_form(stored, location="Rathaus, Saal 1"))
    assert again.status_code == 302
    assert BoardMeeting.objects.get(pk=upcoming.pk).location == "Rathaus, Saal 1"


# --- A meeting's minutes ---------------------------------------------------------------------

def test_second_minutes_from_the_same_version_are_refused_and_change_nothing(world, colleague, held):
    started = held.minutes_version
    services.board_meeting_record_minutes(world.coordinator, meeting=held, minutes="TOP 1 besprochen.",
                                          decisions="Elternlotsen einsetzen.", minutes_version=started)
    with pytest.raises(EditConflict) as refused:
        services.board_meeting_record_minutes(colleague, meeting=held, minutes="Meine Notizen.", decisions="",
                                              minutes_version=started)
    stored = BoardMeeting.objects.get(pk=held.pk)
    assert (stored.minutes, stored.decisions, stored.minutes_version) == ("TOP 1 besprochen.", "Elternlotsen einsetzen.", started + 1)
    assert refused.value.current.minutes == "TOP 1 besprochen."
    assert AuditEvent.objects.filter(action="board_meeting.minutes", object_id=str(held.pk)).count() == 1

    # The two forms of the meeting page do not refuse each other: a change of place does not
    # touch the minutes, nor the minutes the place.
    services.board_meeting_update(world.coordinator, meeting=held, starts_at=held.starts_at, ends_at=held.ends_at,
                                  location="Raum 2", summary=None, version=stored.version)
    services.board_meeting_record_minutes(colleague, meeting=held, minutes="Ergänzt.", decisions="",
                                          minutes_version=stored.minutes_version)
    stored = BoardMeeting.objects.get(pk=held.pk)
    assert (stored.location, stored.minutes) == ("Raum 2", "Ergänzt.")


def test_the_meeting_page_keeps_her_minutes_beside_the_current_minutes_and_answers_409(world, colleague, held, client):
    url = reverse("board:board_meeting_minutes", args=[held.pk])
    client.force_login(world.coordinator)
    page = client.get(reverse("board:board_meeting_detail", args=[held.pk])).content.decode()
    assert f'name="minutes_version" value="{held.minutes_version}"' in page
    started = {"minutes": held.minutes, "decisions": held.decisions, "minutes_version": held.minutes_version}
    assert client.post(url, {**started, "minutes": "TOP 1 besprochen."}).status_code == 302

    client.force_login(colleague)
    response = client.post(url, {**started, "decisions": "Elternlotsen einsetzen."})
    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    assert "Elternlotsen einsetzen.</textarea>" in page  # her decisions are still in the form
    assert "<dd>TOP 1 besprochen.</dd>" in page  # the minutes as they are now, beside them
    stored = BoardMeeting.objects.get(pk=held.pk)
    assert (stored.minutes, stored.decisions) == ("TOP 1 besprochen.", "")
    assert f'name="minutes_version" value="{stored.minutes_version}"' in page

    again = client.post(url, {"minutes": "TOP 1 besprochen.", "decisions": "Elternlotsen einsetzen.",
                              "minutes_version": stored.minutes_version})
    assert again.status_code == 302
    stored = BoardMeeting.objects.get(pk=held.pk)
    assert (stored.minutes, stored.decisions) == ("TOP 1 besprochen.", "Elternlotsen einsetzen.")


def test_a_draft_published_meanwhile_is_not_discarded_from_the_page_read_before(world, colleague, draft):
    """One coordinator opened the draft and presses "discard" after a colleague published it: the
    published summary (the board's record of the half year) stays, and she is told why."""
    draft.computed_at = timezone.now()
    draft.save(update_fields=["computed_at"])
    read_before = HalfYearSummary.objects.get(pk=draft.pk)  # what her page read: a draft
    services.summary_publish(colleague, summary=draft)
    with pytest.raises(ValidationError):
        services.summary_discard(world.coordinator, summary=read_before)
    assert HalfYearSummary.objects.get(pk=draft.pk).status == HalfYearSummary.Status.PUBLISHED
    assert not AuditEvent.objects.filter(action="summary.discard").exists()
