"""Review h6 (2026-12-06): probes of three areas earlier reviews did not focus on:

1. concurrent edits never silently overwrite each other (versions, lost updates);
2. bad input gets a clear error and changes nothing (no 500, no partial write);
3. nothing is kept past its time, nothing deleted that must be kept (retention, holds, audit).

A probe asserts what SHOULD hold. A probe marked ``xfail(strict=True)`` is a finding: it fails
today; its reason names the fault (H6-n). Plain tests are paths that were probed and held.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from cases import hold_services
from cases.models import Case, LegalHold
from offers.models import Offer
from operations.retention import ERASED, retention_apply
from permissions import audit
from permissions.models import AuditEvent
from privacy.models import DataSubjectRequest, ProcessingRestriction
from protocols import services as protocol_services
from protocols.models import AgreedAction, ProtocolItem
from tests.offers.offer_world import build_offer_world
from tests.retention.conftest import TODAY, make_closed_case, years_ago
from tests.world import hold_conference

pytestmark = pytest.mark.django_db


# --- 1. concurrent edits ----------------------------------------------------------------------

def test_accepting_a_stale_correction_does_not_overwrite_an_accepted_one(world):
    hold_conference(world.conference)
    protocol_services.protocol_release(world.convenor, protocol=world.protocol)
    item = world.item_everyone
    original = item.text
    # Two participants read the same text and each propose a correction of a different sentence.
    first = protocol_services.correction_propose(world.counsellor, item=item, proposed_text=original + " Korrektur A.")
    second = protocol_services.correction_propose(world.midwife, item=item, proposed_text=original + " Korrektur B.")
    protocol_services.correction_decide(world.convenor, proposal=first, accept=True, reason="stimmt")
    assert "Korrektur A" in ProtocolItem.objects.get(pk=item.pk).text
    try:
        protocol_services.correction_decide(world.convenor, proposal=second, accept=True, reason="stimmt auch")
    except ValidationError:
        pass  # refused as based on an outdated text: fine
    # Whatever happened: the correction accepted first is not silently gone.
    assert "Korrektur A" in ProtocolItem.objects.get(pk=item.pk).text


# --- 2. bad input -----------------------------------------------------------------------------

@pytest.mark.xfail(strict=True, reason=(
    "H6-2: an agreed action due on 9999-12-31 is accepted by the action form (no upper bound), "
    "and then calendars.ical.action_event computes due_on + 1 day -> OverflowError: every fetch of "
    "the responsible person's iCal feed answers 500"))
def test_an_action_due_at_the_end_of_the_calendar_does_not_break_the_feed(world, client):
    client.raise_request_exception = False
    client.force_login(world.convenor)
    response = client.post(reverse("protocols:action_create", args=[world.item_professionals.pk]), {
        "title": "Termin", "description": "", "due_on": "9999-12-31",
        "responsible": f"user:{world.counsellor.pk}:{world.counselling.pk}",
    })
    assert response.status_code in (302, 400)
    _, raw = calendar_services.feed_token_create(world.counsellor)
    client.logout()
    feed = client.get(reverse("calendars:feed", args=[raw]))
    assert feed.status_code == 200


@pytest.mark.xfail(strict=True, reason=(
    "H6-3: board:board_meeting_schedule answers 500 for a start late in year 9999: the view adds "
    "the duration (OverflowError) and board.services.add_months builds year 10000 (ValueError) "
    "instead of a 400 naming starts_at"))
@pytest.mark.parametrize("starts_at,count", [("9999-12-31T23:00", 1), ("9999-08-01T10:00", 2)])
def test_scheduling_a_board_meeting_at_the_end_of_the_calendar_is_a_400(world, client, starts_at, count):
    client.raise_request_exception = False
    client.force_login(world.coordinator)
    response = client.post(reverse("board:board_meeting_schedule"), {
        "network": world.network.pk, "starts_at": starts_at, "duration_minutes": 480, "location": "",
        "count": count, "summary": "",
    })
    assert response.status_code == 400


@pytest.mark.xfail(strict=True, reason=(
    "H6-6: offers:offer_import (offers.hsds.parse -> services.offers_import_hsds) stores a NUL "
    "character escaped in the JSON (\\u0000) in an offer's description/name: the form's NUL check "
    "sees only the raw text; SQLite keeps the NUL, PostgreSQL refuses the INSERT -> 500"))
def test_an_hsds_import_with_a_nul_character_is_refused_not_stored(world, client):
    build_offer_world(world)
    client.raise_request_exception = False
    client.force_login(world.outsider)
    record = {"id": str(uuid.uuid4()), "name": "Elterncafe", "status": "active",
              "description": "Offener Treff\u0000 fuer Eltern",
              "languages": [{"id": str(uuid.uuid4()), "code": "de", "name": "Deutsch"}],
              "service_areas": [{"id": str(uuid.uuid4()), "name": "Teststadt"}]}
    payload = json.dumps([record])  # the NUL travels as the escape \u0000
    assert "\\u0000" in payload and "\x00" not in payload  # an escape in valid JSON, no raw NUL
    response = client.post(reverse("offers:offer_import"),
                           {"organisation": world.early_help.pk, "text": payload, "dry_run": ""})
    assert response.status_code in (200, 302, 400)
    # (in Python: SQLite's LIKE stops at a NUL in the pattern)
    assert not [o.name for o in Offer.objects.all() if "\x00" in o.description + o.name]


# --- 3. retention -----------------------------------------------------------------------------

def test_a_closed_cases_data_subject_requests_lose_their_content_with_the_case(world):
    old = make_closed_case(world, reference="KT-2015-009", closed_on=years_ago(11), tag="Dsr11")
    mother = old.case.family_members.get(relation="mother")
    received = years_ago(11, days=30)
    request = DataSubjectRequest.objects.create(
        case=old.case, family_member=mother, kind=DataSubjectRequest.Kind.RESTRICTION, received_on=received,
        identity_check=DataSubjectRequest.IdentityCheck.DOCUMENT, identity_note="Ausweis Mutter-Dsr11 L01X",
        description="Frau Mutter-Dsr11 will nicht, dass die Suchtberatung vom Rückfall erfährt",
        due_on=received + dt.timedelta(days=30), recorded_by=world.dpo,
        outcome=DataSubjectRequest.Outcome.GRANTED, outcome_note="Rückfall Mutter-Dsr11 eingeschränkt",
        closed_at=timezone.now() - dt.timedelta(days=11 * 366), closed_by=world.dpo,
    )
    ProcessingRestriction.objects.create(family_member=mother, request=request, set_by=world.dpo,
                                         grounds="Rückfall Mutter-Dsr11 nur für das Familiengericht")
    report = retention_apply()
    assert old.case.reference in report.erased_cases
    request.refresh_from_db()
    assert "Dsr11" not in request.description and "Dsr11" not in request.identity_note
    assert "Dsr11" not in request.outcome_note
    assert "Dsr11" not in ProcessingRestriction.objects.get(request=request).grounds


def _record_at(moment: dt.datetime, case: Case, n: int = 3) -> list[AuditEvent]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(audit.timezone, "now", lambda: moment)
        return [audit.record("tester", action="case.read", object_type="conferences.case", object_id=case.pk,
                             case_id=case.pk) for _ in range(n)]


def test_the_audit_trail_of_a_case_under_legal_hold_is_not_pruned(world):
    old = make_closed_case(world, reference="KT-2014-010", closed_on=years_ago(11), tag="Held")
    events = _record_at(timezone.now() - dt.timedelta(days=12 * 366), old.case)
    hold_services.legal_hold_set(world.dpo, case=old.case, ground=LegalHold.Ground.COMPLAINT,
                                 reason="Beschwerde 2026/17 wegen unbefugter Einsicht", review_on=TODAY + dt.timedelta(days=90))
    report = retention_apply()
    assert old.case.reference in report.held_cases  # the case itself is kept ...
    # ... and so is the record of who read it, which the complaint is about.
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events]).count() == len(events)


def test_a_held_cases_content_is_kept(world):
    """Holds: the case's own content is kept (passes)."""
    old = make_closed_case(world, reference="KT-2014-011", closed_on=years_ago(11), tag="Held2")
    hold_services.legal_hold_set(world.dpo, case=old.case, ground=LegalHold.Ground.COURT,
                                 reason="12 F 34/26", review_on=TODAY + dt.timedelta(days=90))
    retention_apply()
    assert not AgreedAction.objects.filter(case=old.case, title=ERASED).exists()
