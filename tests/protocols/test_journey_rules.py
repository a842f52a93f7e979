"""The minutes journey's time and state rules, who decides corrections, and reversible steps: every
refusal says why and what to do next, and nothing deadlocks."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from conferences.models import Conference, Invitation
from cases.models import Consent, ConsentScope, InformationCategory
from permissions.models import AuditEvent
from protocols import rules, services
from protocols.models import AgreedAction, Audience, CorrectionProposal, Protocol, ProtocolItem
from tests.world import hold_conference

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def django_capture_on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def conference_in(world, delta: dt.timedelta) -> Conference:
    start = timezone.now() + delta
    return Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                     starts_at=start, ends_at=start + dt.timedelta(minutes=90))


def counselling_item(world) -> ProtocolItem:
    """An item held by the counselling service, restricted to counselling and midwifery: the
    convenor (youth welfare) may not read it."""
    item = ProtocolItem.objects.create(
        protocol=world.protocol, position=9, title="Verlauf der Beratung", text="Nur für Beratung und Hebamme.",
        audience=Audience.RESTRICTED, holding_organisation=world.counselling, category=InformationCategory.PARENTING_CHILD_WELFARE,
        created_by=world.convenor)
    item.restricted_to.set([world.counselling, world.midwifery])
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=90),
                                     form_reference="SE-2026-99", recorded_by=world.counsellor)
    consent.to_organisations.set([world.midwifery])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.PARENTING_CHILD_WELFARE)
    return item


# --- time rules ----------------------------------------------------------------------------

def test_a_protocol_opens_only_from_an_hour_before_its_conference_and_the_refusal_says_from_when(world):
    later = conference_in(world, dt.timedelta(days=14))
    with pytest.raises(ValidationError) as refused:
        services.protocol_open(world.convenor, conference=later)
    assert "opens one hour before the conference" in refused.value.messages[0]
    soon = conference_in(world, dt.timedelta(minutes=45))
    assert services.protocol_open(world.convenor, conference=soon).status == Protocol.Status.DRAFT


def test_the_conference_page_explains_why_the_protocol_cannot_be_opened_yet(world, login):
    later = conference_in(world, dt.timedelta(days=14))
    client = login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[later.pk])).content.decode()
    assert "opens one hour before the conference" in page and "Open the protocol" not in page
    response = client.post(reverse("protocols:protocol_open", args=[later.pk]), follow=True)
    assert "opens one hour before the conference" in response.content.decode()
    assert not Protocol.objects.filter(conference=later).exists()


def test_the_case_page_lists_protocols_with_the_next_step_and_opens_one_by_a_button(world, login):
    soon = conference_in(world, dt.timedelta(minutes=30))
    client = login(world.convenor)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert "Open the protocol" in page and reverse("protocols:protocol_open", args=[soon.pk]) in page
    assert "Continue the protocol" in page  # the world's draft, its conference still ahead
    client.post(reverse("protocols:protocol_open", args=[soon.pk]))
    hold_conference(world.conference)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert "Protocol: release the draft" in page
    assert reverse("protocols:protocol_detail", args=[Protocol.objects.get(conference=soon).pk]) in page


def test_releasing_before_the_conference_is_refused_with_the_reason_and_what_to_do(world, login):
    client = login(world.convenor)
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "The conference has not begun yet" in page and "Release draft to participants" not in page
    # Before the start the page offers no "Record attendance", so the reason does not point to it.
    assert "Record attendance" not in page and "record the attendance" not in page
    response = client.post(reverse("protocols:protocol_release", args=[world.protocol.pk]), follow=True)
    assert "The conference has not begun yet" in response.content.decode()
    assert Protocol.objects.get(pk=world.protocol.pk).status == Protocol.Status.DRAFT

    now = timezone.now()
    Conference.objects.filter(pk=world.conference.pk).update(starts_at=now - dt.timedelta(minutes=30),
                                                             ends_at=now + dt.timedelta(minutes=60))
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "The conference is not over yet" in page and "record the attendance" in page
    assert "Record attendance" in page


def test_finalising_inside_the_correction_window_needs_a_confirmation_that_is_audited(world):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    with pytest.raises(ValidationError) as refused:
        services.protocol_finalise(world.convenor, protocol=world.protocol)
    assert refused.value.code == "confirm" and "correction window runs until" in refused.value.messages[0]
    services.protocol_finalise(world.convenor, protocol=world.protocol, confirm_early=True)
    event = AuditEvent.objects.get(action="protocol.finalise")
    assert event.detail["confirmed_early"] is True


def test_after_the_correction_window_finalising_needs_no_confirmation(world):
    hold_conference(world.conference)
    protocol = services.protocol_release(world.convenor, protocol=world.protocol)
    Protocol.objects.filter(pk=protocol.pk).update(corrections_until=timezone.localdate() - dt.timedelta(days=1))
    protocol = services.protocol_finalise(world.convenor, protocol=Protocol.objects.get(pk=protocol.pk))
    assert protocol.is_final
    assert AuditEvent.objects.get(action="protocol.finalise").detail["confirmed_early"] is False


# --- who decides a correction --------------------------------------------------------------

def test_a_correction_on_an_item_the_convenor_cannot_read_is_decided_by_the_holding_organisation(world, login):
    item = counselling_item(world)
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    proposal = services.correction_propose(world.midwife, item=item, proposed_text="Richtiger Verlauf")
    assert not rules.can_decide_correction(world.convenor, proposal)
    assert rules.can_decide_correction(world.counsellor, proposal)

    page = login(world.convenor).get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "1 correction awaits a decision by Suchtberatung" in page
    assert item.title not in page and "Richtiger Verlauf" not in page
    refused = login(world.convenor).post(reverse("protocols:protocol_finalise", args=[world.protocol.pk]),
                                         {"confirm_early": "on"}, follow=True).content.decode()
    assert "await a decision by: Suchtberatung" in refused and "after the correction window ends" in refused

    counsellor_page = login(world.counsellor).get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "Richtiger Verlauf" in counsellor_page and "decide-%s-accept" % proposal.pk in counsellor_page
    login(world.counsellor).post(reverse("protocols:correction_decide", args=[proposal.pk]),
                                 {"decision": "accept", "reason": "stimmt"})
    assert CorrectionProposal.objects.get(pk=proposal.pk).decided_by == world.counsellor
    assert ProtocolItem.objects.get(pk=item.pk).text == "Richtiger Verlauf"
    services.protocol_finalise(world.convenor, protocol=world.protocol, confirm_early=True)


def test_the_convenor_cannot_decide_a_correction_held_by_another_organisation(world):
    item = counselling_item(world)
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    proposal = services.correction_propose(world.counsellor, item=item, proposed_text="x")
    with pytest.raises(PermissionDenied):
        services.correction_decide(world.convenor, proposal=proposal, accept=True, reason="nein")


def test_undecided_corrections_of_others_never_block_finalising_after_the_window(world):
    item = counselling_item(world)
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    proposal = services.correction_propose(world.counsellor, item=item, proposed_text="x")
    Protocol.objects.filter(pk=world.protocol.pk).update(corrections_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        services.protocol_finalise(world.convenor, protocol=world.protocol)
    assert refused.value.code == "confirm" and "still undecided" in refused.value.messages[0]
    services.protocol_finalise(world.convenor, protocol=world.protocol, confirm_early=True)
    assert CorrectionProposal.objects.get(pk=proposal.pk).status == CorrectionProposal.Status.LAPSED
    assert AuditEvent.objects.get(action="protocol.finalise").detail["lapsed_corrections"] == 1
    # the holding organisation can still record the correction as an amendment
    services.amendment_create(world.counsellor, item=item, text="Korrigierter Verlauf", reason="Nicht rechtzeitig entschieden")


def test_the_proposer_sees_what_became_of_her_proposal(world, login):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    proposal = services.correction_propose(world.counsellor, item=world.item_everyone, proposed_text="Besser")
    services.correction_decide(world.convenor, proposal=proposal, accept=False, reason="war so besprochen")
    page = login(world.counsellor).get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "Your correction proposals" in page and "war so besprochen" in page


# --- the minute-taker's restricted item ---------------------------------------------------

def test_a_minute_taker_is_warned_before_saving_an_item_she_could_not_read_and_told_afterwards(world, login):
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.midwife)
    client = login(world.midwife)
    data = {"title": "Nur Beratung", "text": "vertraulich", "audience": "restricted", "restricted_to": [world.counselling.pk],
            "holding_organisation": world.counselling.pk, "category": InformationCategory.PARENTING_CHILD_WELFARE}
    warned = client.post(reverse("protocols:item_create", args=[world.protocol.pk]), data)
    assert warned.status_code == 400 and "you will no longer be able to read" in warned.content.decode()
    assert 'type="checkbox" name="confirm_hidden"' in warned.content.decode()
    assert not ProtocolItem.objects.filter(title="Nur Beratung").exists()
    saved = client.post(reverse("protocols:item_create", args=[world.protocol.pk]), {**data, "confirm_hidden": "on"})
    assert saved.status_code == 302 and saved["Location"].endswith("#items-heading")
    page = client.get(saved["Location"]).content.decode()
    assert "is saved. It is restricted to other organisations" in page
    assert ProtocolItem.objects.filter(title="Nur Beratung").exists()


# --- reversible steps -----------------------------------------------------------------------

def test_an_action_entered_by_mistake_is_removed_until_release_and_dropped_with_a_reason_afterwards(world, login):
    due = timezone.localdate() + dt.timedelta(days=7)
    action = services.action_create(world.convenor, item=world.item_everyone, title="Versehen", due_on=due,
                                    responsible_family_member=world.mother)
    page = login(world.convenor).get(reverse("protocols:action_detail", args=[action.pk])).content.decode()
    assert "Remove this action" in page
    login(world.convenor).post(reverse("protocols:action_remove", args=[action.pk]))
    assert not AgreedAction.objects.filter(pk=action.pk).exists()
    assert AuditEvent.objects.filter(action="protocol.action.remove").exists()

    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    with pytest.raises(ValidationError) as refused:
        services.action_remove(world.convenor, action=world.action_parent)
    assert "Dropped" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        services.action_update_status(world.convenor, action=world.action_parent, status=AgreedAction.Status.DROPPED)
    services.action_update_status(world.convenor, action=world.action_parent, status=AgreedAction.Status.DROPPED,
                                  note="Doppelt erfasst")
    assert AgreedAction.objects.get(pk=world.action_parent.pk).status == AgreedAction.Status.DROPPED


def test_a_due_date_in_the_past_is_refused_with_a_reason(world, login):
    response = login(world.convenor).post(reverse("protocols:action_create", args=[world.item_everyone.pk]), {
        "title": "Zu spät", "responsible": f"parent:{world.mother.pk}",
        "due_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "lies in the past" in response.content.decode()


# --- attendance ---------------------------------------------------------------------------

def test_the_convenor_records_attendance_and_who_took_the_minutes(world, login):
    client = login(world.convenor)
    url = reverse("protocols:attendance", args=[world.protocol.pk])
    invitations = {i.family_member_id or i.user_id: i for i in Invitation.objects.filter(conference=world.conference)}
    parent_inv, counsellor_inv = invitations[world.mother.pk], invitations[world.counsellor.pk]
    data = {f"inv-{parent_inv.pk}": "present", f"inv-{counsellor_inv.pk}": "excused", "minute_taker": world.lead_colleague.pk,
            "based_on": services.attendance_based_on(world.protocol)}
    refused = client.post(url, data)
    assert refused.status_code == 400 and "once the conference has begun" in refused.content.decode()
    hold_conference(world.conference)
    assert client.post(url, data).status_code == 302
    parent_inv.refresh_from_db(), counsellor_inv.refresh_from_db()
    assert parent_inv.attendance == "present" and counsellor_inv.attendance == "excused"
    assert Protocol.objects.get(pk=world.protocol.pk).minute_taker == world.lead_colleague
    assert Conference.objects.get(pk=world.conference.pk).status == Conference.Status.HELD
    page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert "excused" in page


def test_the_board_figure_held_with_a_parent_present_reads_the_recorded_attendance(world):
    from board.figures import period_containing, raw_figures

    hold_conference(world.conference)
    period = period_containing(timezone.localdate(world.conference.starts_at))
    parent_inv = Invitation.objects.get(conference=world.conference, family_member=world.mother)
    services.attendance_record(world.convenor, protocol=world.protocol, attendance={parent_inv.pk: "absent"})
    assert raw_figures(world.network, period)["conferences"]["held_with_parent"] == 0
    services.attendance_record(world.convenor, protocol=world.protocol, attendance={parent_inv.pk: "present"})
    assert raw_figures(world.network, period)["conferences"]["held_with_parent"] == 1


# --- one next-review date -------------------------------------------------------------------

def test_every_page_shows_the_next_review_date_of_the_latest_released_protocol(world, login):
    day = timezone.localdate() + dt.timedelta(days=200)
    services.protocol_set_next_review(world.convenor, protocol=world.protocol, next_review_on=day)
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    client = login(world.convenor)
    shown = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    dashboard = client.get(reverse("dashboard")).content.decode()
    from django.utils import formats, translation

    with translation.override("en"):
        long, short = formats.date_format(day, "DATE_FORMAT"), formats.date_format(day, "SHORT_DATE_FORMAT")
    assert long in shown and short in dashboard


# --- who is told ---------------------------------------------------------------------------

def test_a_proposed_correction_notifies_whoever_decides_it_and_the_decision_notifies_the_proposer(world, django_capture_on_commit):
    from notifications.models import Kind, Notification

    item = counselling_item(world)
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    with django_capture_on_commit():
        proposal = services.correction_propose(world.midwife, item=item, proposed_text="x")
    proposed = Notification.objects.filter(kind=Kind.CORRECTION_PROPOSED)
    assert set(proposed.values_list("recipient", flat=True)) == {world.counsellor.pk}
    with django_capture_on_commit():
        services.correction_decide(world.counsellor, proposal=proposal, accept=False, reason="nein")
    decided = Notification.objects.filter(kind=Kind.CORRECTION_DECIDED)
    assert list(decided.values_list("recipient", flat=True)) == [world.midwife.pk]


def test_the_dashboard_puts_every_next_protocol_step_one_click_away(world, login):
    soon = conference_in(world, dt.timedelta(minutes=30))
    page = login(world.convenor).get(reverse("dashboard")).content.decode()
    assert reverse("protocols:protocol_open", args=[soon.pk]) in page
    hold_conference(world.conference)
    page = login(world.convenor).get(reverse("dashboard")).content.decode()
    assert "Protocol: release the draft" in page
    services.protocol_release(world.convenor, protocol=world.protocol)
    item = counselling_item(world)
    services.correction_propose(world.midwife, item=item, proposed_text="x")
    counsellor_page = login(world.counsellor).get(reverse("dashboard")).content.decode()
    assert "Protocol: decide 1 correction" in counsellor_page
    assert reverse("protocols:action_detail", args=[world.action_counselling.pk]) in counsellor_page
