"""One conflict for every save based on an outdated version (``permissions.conflicts.EditConflict``):
protocol items, agreed actions and written reports raised classes of their own beside it. They
raise the same one now, carrying the row as it stands and, where they had it, their own wording;
nothing is changed, and pages, the API and the live editor answer as before (409)."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from conferences import services as conference_services
from permissions import conflicts
from protocols import services as protocol_services
from protocols.models import AgreedAction, ProtocolItem
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db

ITEM_WORDING = "Someone else changed this in the meantime. Your text was not saved; the current text is shown."


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_stale_protocol_item_is_the_shared_conflict_in_the_live_editors_words(world):
    item = world.item_everyone
    stale = item.version
    protocol_services.item_update(world.convenor, item=item, version=stale, text="Neu")
    with pytest.raises(conflicts.EditConflict) as refused:
        protocol_services.item_update(world.lead_colleague, item=item, version=stale, text="Alt")
    assert refused.value.current.text == "Neu" and refused.value.code == "conflict"
    assert refused.value.messages == [ITEM_WORDING]
    assert ProtocolItem.objects.get(pk=item.pk).text == "Neu"


def test_a_stale_action_status_is_the_shared_conflict(world):
    action = world.action_counselling
    stale = action.version
    protocol_services.action_update_status(world.counsellor, action=action, status="in_progress", note="Termin", version=stale)
    with pytest.raises(conflicts.EditConflict) as refused:
        protocol_services.action_update_status(world.convenor, action=action, status="open", version=stale)
    assert refused.value.current.status == "in_progress"
    assert AgreedAction.objects.get(pk=action.pk).status == "in_progress"


def test_a_stale_report_revision_is_the_shared_conflict_with_its_reason_on_the_text(world):
    report = convene(world).reports.get(organisation=world.counselling)
    report = conference_services.report_submit(world.counsellor, report=report, text="Erste Fassung.",
                                               shareable_with_parents=False)
    stale = report.version
    conference_services.report_submit(world.counsellor, report=report, text="Fassung der Kollegin.",
                                      shareable_with_parents=False, version=stale)
    with pytest.raises(conflicts.EditConflict) as refused:
        conference_services.report_submit(world.counsellor, report=report, text="Meine Fassung.",
                                          shareable_with_parents=False, version=stale)
    assert isinstance(refused.value, ValidationError)
    assert refused.value.current.text == "Fassung der Kollegin."
    assert list(refused.value.message_dict) == ["text"]
    assert refused.value.message_dict["text"][0].startswith(f"Meanwhile {world.counsellor} submitted this report")
    report.refresh_from_db()
    assert report.text == "Fassung der Kollegin."


def test_the_api_answers_a_stale_item_and_a_stale_action_with_409_and_the_current_row(world):
    client = APIClient()
    client.force_authenticate(world.convenor)
    url = f"/api/protocol-items/{world.item_everyone.pk}/"
    stale = world.item_everyone.version
    assert client.patch(url, {"version": stale, "text": "API-Fassung"}, format="json").status_code == 200
    refused = client.patch(url, {"version": stale, "text": "verloren"}, format="json")
    assert refused.status_code == 409
    assert refused.json() == {"detail": ITEM_WORDING, "current": refused.json()["current"]}
    assert refused.json()["current"]["text"] == "API-Fassung"
    action_url = f"/api/actions/{world.action_counselling.pk}/status/"
    version = world.action_counselling.version
    assert client.post(action_url, {"status": "in_progress", "version": version}, format="json").status_code == 200
    refused = client.post(action_url, {"status": "open", "version": version}, format="json")
    assert refused.status_code == 409 and refused.json()["current"]["status"] == "in_progress"
