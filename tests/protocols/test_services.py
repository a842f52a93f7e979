"""Protocol services: agenda with carry-over, versions, the minutes workflow and the final lock."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conferences.models import Conference, WrittenReport
from permissions import conflicts
from permissions.models import AuditEvent
from protocols import selectors, services
from protocols.models import AgreedAction, Audience, CorrectionProposal, Protocol, ProtocolItem

from tests.world import hold_conference

pytestmark = pytest.mark.django_db


def second_conference(world) -> Conference:
    start = timezone.now() + dt.timedelta(minutes=30)  # the protocol opens an hour before the start
    return Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                     starts_at=start, ends_at=start + dt.timedelta(minutes=90))


def finalise(world, protocol=None):
    protocol = protocol or world.protocol
    hold_conference(protocol.conference)
    services.protocol_release(world.convenor, protocol=protocol)
    return services.protocol_finalise(world.convenor, protocol=Protocol.objects.get(pk=protocol.pk), confirm_early=True)


def test_open_actions_of_conference_one_appear_for_review_in_conference_two(world):
    services.action_update_status(world.convenor, action=world.action_parent, status=AgreedAction.Status.DONE, note="erledigt")
    protocol = services.protocol_open(world.convenor, conference=second_conference(world))
    items = list(protocol.items.order_by("position"))
    carried = [i for i in items if i.kind == ProtocolItem.Kind.CARRY_OVER]
    assert [i.reviewed_action for i in carried] == [world.action_counselling]
    assert carried[0].audience == world.item_professionals.audience
    assert [i.title for i in items if i.kind == ProtocolItem.Kind.GUIDELINE] == world.network.guideline_items


def test_reviewing_a_carried_over_action_applies_the_outcome_to_the_action(world):
    protocol = services.protocol_open(world.convenor, conference=second_conference(world))
    item = protocol.items.get(kind=ProtocolItem.Kind.CARRY_OVER, reviewed_action=world.action_counselling)
    services.review_record(world.convenor, item=item, outcome="done")
    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    assert action.status == AgreedAction.Status.DONE and action.completed_on == timezone.localdate()
    assert ProtocolItem.objects.get(pk=item.pk).review_outcome == "done"
    assert action.notes.last().status == AgreedAction.Status.DONE


def test_a_conference_has_only_one_protocol_and_only_the_convenor_opens_it(world):
    with pytest.raises(ValidationError):
        services.protocol_open(world.convenor, conference=world.conference)
    with pytest.raises(PermissionDenied):
        services.protocol_open(world.counsellor, conference=second_conference(world))


def test_a_stale_version_is_refused_with_the_current_text(world):
    item = world.item_everyone
    services.item_update(world.convenor, item=item, version=item.version, text="Neu")
    with pytest.raises(conflicts.EditConflict) as conflict:
        services.item_update(world.lead_colleague, item=item, version=item.version, text="Alt überschreibt")
    assert conflict.value.current.text == "Neu"
    assert ProtocolItem.objects.get(pk=item.pk).text == "Neu"


def test_html_in_item_text_is_never_stored(world):
    item = services.item_create(world.convenor, protocol=world.protocol, title="T<script>x</script>",
                                text='<img src=x onerror="alert(1)">Hallo <a href="javascript:alert(1)">x</a>')
    assert "<" not in item.title + item.text and "onerror" not in item.text


def test_a_restricted_item_needs_a_holder_category_and_team_organisations(world):
    with pytest.raises(ValidationError):
        services.item_create(world.convenor, protocol=world.protocol, title="Geheim", audience=Audience.RESTRICTED)
    with pytest.raises(ValidationError):
        services.item_create(world.convenor, protocol=world.protocol, title="Geheim", audience=Audience.RESTRICTED,
                             restricted_to=[world.early_help], holding_organisation=world.youth_welfare,
                             category="addiction_treatment")


def test_an_action_falls_to_a_team_professional_an_organisation_or_a_parent(world):
    due = timezone.localdate() + dt.timedelta(days=10)
    services.action_create(world.convenor, item=world.item_professionals, title="A", due_on=due,
                           responsible_user=world.midwife, responsible_organisation=world.midwifery)
    services.action_create(world.convenor, item=world.item_everyone, title="B", due_on=due, responsible_family_member=world.mother)
    with pytest.raises(ValidationError):
        services.action_create(world.convenor, item=world.item_professionals, title="C", due_on=due,
                               responsible_organisation=world.early_help)
    with pytest.raises(ValidationError):
        services.action_create(world.convenor, item=world.item_professionals, title="D", due_on=due,
                               responsible_user=world.outsider, responsible_organisation=world.counselling)


def test_next_review_date_becomes_the_cases_next_review_when_the_protocol_is_released(world):
    before = world.case.next_review_on
    day = timezone.localdate() + dt.timedelta(days=180)
    services.protocol_set_next_review(world.convenor, protocol=world.protocol, next_review_on=day)
    world.case.refresh_from_db()
    assert world.case.next_review_on == before  # a draft only proposes it
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    world.case.refresh_from_db()
    assert world.case.next_review_on == day


def test_release_opens_a_correction_window_of_working_days(world):
    hold_conference(world.conference)
    protocol = services.protocol_release(world.convenor, protocol=world.protocol)
    assert protocol.status == Protocol.Status.RELEASED
    assert protocol.corrections_until == services.add_working_days(timezone.localdate(), 10, world.network)
    assert services.add_working_days(dt.date(2026, 11, 27), 1) == dt.date(2026, 11, 30)  # Friday -> Monday


def test_a_correction_is_accepted_or_rejected_with_a_reason(world):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    proposal = services.correction_propose(world.counsellor, item=world.item_everyone, proposed_text="Richtiger Text")
    with pytest.raises(ValidationError):
        services.correction_decide(world.convenor, proposal=proposal, accept=True, reason="")
    with pytest.raises(PermissionDenied):
        services.correction_decide(world.counsellor, proposal=proposal, accept=True, reason="selbst")
    services.correction_decide(world.convenor, proposal=proposal, accept=True, reason="stimmt")
    assert ProtocolItem.objects.get(pk=world.item_everyone.pk).text == "Richtiger Text"
    assert CorrectionProposal.objects.get(pk=proposal.pk).decision_reason == "stimmt"


def test_finalising_needs_a_released_draft_and_no_pending_proposal(world):
    with pytest.raises(ValidationError):
        services.protocol_finalise(world.convenor, protocol=world.protocol)
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    services.correction_propose(world.counsellor, item=world.item_everyone, proposed_text="x")
    with pytest.raises(ValidationError):
        services.protocol_finalise(world.convenor, protocol=world.protocol)


def test_a_final_protocol_refuses_every_write_and_takes_amendments(world):
    protocol = finalise(world)
    assert protocol.is_final
    assert Conference.objects.get(pk=world.conference.pk).status == Conference.Status.PROTOCOL_FINAL
    due = timezone.localdate()
    writes = [
        lambda: services.item_create(world.convenor, protocol=protocol, title="x"),
        lambda: services.item_update(world.convenor, item=world.item_everyone, version=world.item_everyone.version, text="x"),
        # narrowing stays open to the holder (``services.holder_may_narrow``); widening does not
        lambda: services.item_change_audience(world.convenor, item=world.item_professionals,
                                              version=world.item_professionals.version, audience=Audience.EVERYONE),
        lambda: services.action_create(world.convenor, item=world.item_everyone, title="x", due_on=due,
                                       responsible_family_member=world.mother),
        lambda: services.parent_summary_set(world.convenor, protocol=protocol, text="x"),
        lambda: services.protocol_set_next_review(world.convenor, protocol=protocol, next_review_on=due),
        lambda: services.protocol_release(world.convenor, protocol=protocol),
    ]
    for write in writes:
        with pytest.raises(ValidationError):
            write()
    amendment = services.amendment_create(world.convenor, item=world.item_everyone, text="Nachtrag", reason="Tippfehler")
    assert amendment.author == world.convenor
    with pytest.raises(PermissionDenied):
        services.amendment_create(world.counsellor, item=world.item_everyone, text="x", reason="y")


def test_acknowledgements_show_who_has_and_has_not_read(world):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    # A released draft may still change: reading is confirmed only on the final protocol.
    with pytest.raises(ValidationError):
        services.protocol_acknowledge(world.counsellor, protocol=world.protocol)
    assert not world.protocol.acknowledgements.exists()
    services.protocol_finalise(world.convenor, protocol=world.protocol, confirm_early=True)
    services.protocol_acknowledge(world.counsellor, protocol=world.protocol)
    services.protocol_acknowledge(world.counsellor, protocol=world.protocol)
    status = selectors.acknowledgement_status(world.protocol)
    assert [p for p, _ in status.acknowledged] == [world.counsellor]
    assert set(status.pending) == {world.convenor, world.midwife, world.parent}
    with pytest.raises(PermissionDenied):
        services.protocol_acknowledge(world.outsider, protocol=world.protocol)


def test_action_status_is_updated_by_responsible_colleague_or_convenor_with_history(world):
    action = world.action_counselling
    services.action_update_status(world.counsellor, action=action, status="in_progress", note="Termin vereinbart")
    services.action_update_status(world.convenor, action=action, status="done", note="Bestätigt")
    with pytest.raises(PermissionDenied):
        services.action_update_status(world.midwife, action=action, status="open")
    with pytest.raises(conflicts.EditConflict):
        services.action_update_status(world.counsellor, action=action, status="open", version=1)
    assert list(AgreedAction.objects.get(pk=action.pk).notes.values_list("note", flat=True)) == ["Termin vereinbart", "Bestätigt"]


def test_every_change_is_audited_with_its_channel(world):
    services.item_update(world.convenor, item=world.item_everyone, version=world.item_everyone.version, text="x", channel="api")
    event = AuditEvent.objects.filter(action="protocol.item.update").get()
    assert (event.channel, event.case_id, event.actor) == ("api", world.case.pk, world.convenor)


def test_written_reports_follow_the_audience_rules(world):
    now = timezone.now()
    WrittenReport.objects.create(conference=world.conference, organisation=world.counselling, due_on=timezone.localdate(),
                                 text="geteilt", shareable_with_parents=True, submitted_by=world.counsellor, submitted_at=now)
    WrittenReport.objects.create(conference=world.conference, organisation=world.midwifery, due_on=timezone.localdate(),
                                 text="intern", submitted_by=world.midwife, submitted_at=now)
    assert [r.text for r in selectors.reports_for_user(world.parent, world.protocol)] == ["geteilt"]
    assert len(selectors.reports_for_user(world.midwife, world.protocol)) == 2
    assert list(selectors.reports_for_user(world.outsider, world.protocol)) == []


def test_the_item_an_update_returns_is_the_row_as_saved(world):
    """``item_update`` sets the written values on the item it returns instead of reading the row
    back: what it returns must be what a fresh read gives, for a text change and an audience change."""
    fields = ("title", "text", "audience", "version", "updated_at", "holding_organisation_id", "category", "entrusted_by_id")
    item = world.item_professionals
    returned = services.item_update(world.convenor, item=item, version=item.version, title="  Neuer Titel ", text="<b>fett</b> **neu**")
    fresh = ProtocolItem.objects.get(pk=item.pk)
    assert [getattr(returned, f) for f in fields] == [getattr(fresh, f) for f in fields]
    assert returned.version == item.version + 1
    returned = services.item_update(world.convenor, item=fresh, version=fresh.version, audience=Audience.RESTRICTED,
                                    restricted_to=[world.counselling], holding_organisation=world.youth_welfare,
                                    category=world.item_restricted.category, entrusted_by=world.mother)
    fresh = ProtocolItem.objects.get(pk=item.pk)
    assert [getattr(returned, f) for f in fields] == [getattr(fresh, f) for f in fields]
    assert list(returned.restricted_to.all()) == list(fresh.restricted_to.all()) == [world.counselling]


def test_a_second_membership_at_the_holder_does_not_let_her_open_its_item_to_the_parents(world):
    """Found in review: the midwife, on the team for midwifery, also works for youth welfare,
    which is on the team through the convenor. She does not speak for youth welfare on this case:
    she may not widen youth welfare's professionals-only item to the parents."""
    from django.core.exceptions import PermissionDenied

    from participants.models import Membership, ProfessionalRole
    from protocols.models import Audience

    Membership.objects.create(user=world.midwife, organisation=world.youth_welfare, role=ProfessionalRole.OTHER)
    item = world.item_professionals
    assert not services.holder_on_team(world.midwife, item, world.protocol)
    assert services.items_held_by(world.midwife, world.protocol, [item]) == set()
    with pytest.raises(PermissionDenied):
        services.item_update(world.midwife, item=item, version=item.version, audience=Audience.EVERYONE)
    item.refresh_from_db()
    assert item.audience == Audience.PROFESSIONALS
    assert services.holder_on_team(world.convenor, item, world.protocol)  # who is on the team for it still is


def test_a_second_membership_at_youth_welfare_does_not_let_her_record_its_consent_or_legal_basis(world):
    """The same for what opens youth welfare's restricted items: a consent or a legal basis
    recorded from youth welfare by someone who is on the team for midwifery only."""
    import datetime as dt

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from cases import consent_services
    from cases.models import Consent, DisclosureBasis, InformationCategory, LegalBasis
    from participants.models import Membership, ProfessionalRole

    Membership.objects.create(user=world.midwife, organisation=world.youth_welfare, role=ProfessionalRole.OTHER)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        consent_services.consent_record(
            world.midwife, case=world.case, given_by=world.mother, from_organisation=world.youth_welfare,
            to_organisations=[world.midwifery], categories=[InformationCategory.PARENTING_CHILD_WELFARE],
            valid_from=today, valid_until=today + dt.timedelta(days=30), form_reference="SE-99")
    assert "from_organisation" in refused.value.message_dict
    assert not Consent.objects.filter(form_reference="SE-99").exists()
    basis_count = DisclosureBasis.objects.count()
    with pytest.raises(ValidationError) as refused:
        consent_services.disclosure_basis_record(
            world.midwife, case=world.case, from_organisation=world.youth_welfare, to_organisations=[world.midwifery],
            basis=LegalBasis.DE_SPECIALIST_8A, justification="x",
            invoked_on=today, valid_until=today + dt.timedelta(days=30), parents_informed=True)
    assert "from_organisation" in refused.value.message_dict
    assert DisclosureBasis.objects.count() == basis_count
