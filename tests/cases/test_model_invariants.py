"""Each constraint of the domain model rejects bad data: with a clear message through
``full_clean`` (what forms and services call) and with an IntegrityError from the database
itself (what protects against any code path that forgets to validate)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from board.models import BoardMeeting, HalfYearSummary
from calendars.models import FeedToken
from cases.models import (
    Case, CaseTeamMember, Consent, ConsentScope, DisclosureBasis, FamilyMember, InformationCategory, LegalBasis,
)
from conferences.models import Conference, Invitation, PollSlot, SlotPoll, SlotVote, WrittenReport
from participants.models import Membership, NetworkRole, Organisation, OrganisationKind
from protocols.models import Acknowledgement, AgreedAction, Audience, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 2)
NOON = timezone.make_aware(dt.datetime(2026, 3, 2, 12, 0))


def _case(w, **kw):
    data = dict(network=w.network, reference="KT-2026-777", lead_organisation=w.youth_welfare, lead_caseworker=w.convenor,
                opened_on=TODAY)
    return Case(**{**data, **kw})


def _poll(w):
    return SlotPoll.objects.create(conference=Conference.objects.create(case=w.case, convenor=w.convenor, status="polling"))


def _slot(w):
    poll = _poll(w)
    return PollSlot.objects.create(poll=poll, starts_at=NOON, ends_at=NOON + dt.timedelta(hours=1))


def _summary(w, **kw):
    data = dict(network=w.network, year=2025, half=1, definitions_version="1", figures={"cases": {}})
    return HalfYearSummary(**{**data, **kw})


# (constraint name, message fragment full_clean must show, factory of an unsaved invalid instance)
CASES: list[tuple[str, str, Callable]] = [
    ("organisation_unique_name_per_network", "already exists",
     lambda w: Organisation(network=w.network, name=w.youth_welfare.name, kind=OrganisationKind.OTHER)),
    ("membership_unique_user_organisation", "already exists",
     lambda w: Membership(user=w.convenor, organisation=w.youth_welfare, role="caseworker")),
    ("networkrole_unique", "already exists",
     lambda w: NetworkRole(user=w.board_member, network=w.network, role=NetworkRole.Role.BOARD_MEMBER)),
    ("familymember_due_date_only_for_expected_child", "An expected child needs a due date",
     lambda w: FamilyMember(case=w.case, relation=FamilyMember.Relation.EXPECTED_CHILD, display_name="Baby 2")),
    ("familymember_due_date_only_for_expected_child", "An expected child needs a due date",
     lambda w: FamilyMember(case=w.case, relation=FamilyMember.Relation.MOTHER, display_name="X.", due_date=TODAY)),
    ("familymember_account_only_for_adults", "Only a parent, guardian or relative can have an account",
     lambda w: FamilyMember(case=w.case, relation=FamilyMember.Relation.CHILD, display_name="Kind", user=w.outsider)),
    ("consent_valid_window", "A consent must end on or after the day it starts",
     lambda w: Consent(case=w.case, given_by=w.mother, from_organisation=w.youth_welfare, valid_from=TODAY,
                       valid_until=TODAY - dt.timedelta(days=1), recorded_by=w.convenor)),
    ("consentscope_unique", "already exists",
     lambda w: ConsentScope(consent=w.consent, category=InformationCategory.PARENTING_CHILD_WELFARE)),
    ("disclosurebasis_valid_window", "The time limit must be on or after the day the basis was invoked",
     lambda w: DisclosureBasis(case=w.case, basis=LegalBasis.DE_KKG_4, from_organisation=w.youth_welfare, invoked_by=w.convenor,
                               justification="Gefährdung", invoked_on=TODAY, valid_until=TODAY - dt.timedelta(days=1),
                               parents_informed=True)),
    ("disclosurebasis_reason_when_parents_not_informed", "Say why the parents were not informed",
     lambda w: DisclosureBasis(case=w.case, basis=LegalBasis.DE_KKG_4, from_organisation=w.youth_welfare, invoked_by=w.convenor,
                               justification="Gefährdung", invoked_on=TODAY, valid_until=TODAY, parents_informed=False)),
    ("disclosurebasis_not_consent", "Consent is recorded as a consent, not as a legal basis",
     lambda w: DisclosureBasis(case=w.case, basis=LegalBasis.DE_CONSENT, from_organisation=w.youth_welfare, invoked_by=w.convenor,
                               justification="x", invoked_on=TODAY, valid_until=TODAY, parents_informed=True)),
    ("case_unique_reference_per_network", "already",
     lambda w: _case(w, reference=w.case.reference)),
    ("case_closed_after_opened", "A case cannot be closed before it was opened",
     lambda w: _case(w, status=Case.Status.CLOSED, closed_on=TODAY - dt.timedelta(days=1))),
    ("case_closed_status_matches_date", "A closed case needs a closing date",
     lambda w: _case(w, status=Case.Status.CLOSED, closed_on=None)),
    ("case_closed_status_matches_date", "A closed case needs a closing date",
     lambda w: _case(w, status=Case.Status.ACTIVE, closed_on=TODAY)),
    ("caseteam_unique_active_member", "This member is already on the case team",
     lambda w: CaseTeamMember(case=w.case, organisation=w.counselling, user=w.counsellor)),
    ("caseteam_unique_active_organisation", "This organisation is already on the case team",
     lambda w: (CaseTeamMember.objects.create(case=w.case, organisation=w.early_help),
                CaseTeamMember(case=w.case, organisation=w.early_help))[1]),
    ("caseteam_removed_after_added", "caseteam_removed_after_added",
     lambda w: CaseTeamMember(case=w.case, organisation=w.early_help, added_at=NOON, removed_at=NOON - dt.timedelta(days=1))),
    ("conference_ends_after_start", "A conference must end after it starts",
     lambda w: Conference(case=w.case, convenor=w.convenor, status="scheduled", starts_at=NOON, ends_at=NOON)),
    ("conference_scheduled_has_time", "A scheduled or held conference needs a time",
     lambda w: Conference(case=w.case, convenor=w.convenor, status="scheduled")),
    ("conference_duration_range", "A conference lasts between 15 minutes and 8 hours",
     lambda w: Conference(case=w.case, convenor=w.convenor, status="draft", duration_minutes=5)),
    ("invitation_professional_or_family", "Invite either a family member or a professional with her organisation",
     lambda w: Invitation(conference=w.conference, user=w.outsider)),
    ("invitation_unique_user", "invitation_unique_user",
     lambda w: Invitation(conference=w.conference, user=w.counsellor, organisation=w.counselling)),
    ("invitation_unique_family_member", "invitation_unique_family_member",
     lambda w: Invitation(conference=w.conference, family_member=w.mother)),
    ("pollslot_ends_after_start", "A candidate time must end after it starts",
     lambda w: PollSlot(poll=_poll(w), starts_at=NOON, ends_at=NOON - dt.timedelta(minutes=1))),
    ("pollslot_unique_start", "already exists",
     lambda w: (lambda slot: PollSlot(poll=slot.poll, starts_at=slot.starts_at, ends_at=slot.ends_at + dt.timedelta(hours=1)))(_slot(w))),
    ("slotvote_unique", "already exists",
     lambda w: (lambda slot: (SlotVote.objects.create(slot=slot, invitation=w.invitation_counsellor, answer="yes"),
                              SlotVote(slot=slot, invitation=w.invitation_counsellor, answer="no"))[1])(_slot(w))),
    ("writtenreport_unique", "already exists",
     lambda w: (WrittenReport.objects.create(conference=w.conference, organisation=w.counselling, due_on=TODAY),
                WrittenReport(conference=w.conference, organisation=w.counselling, due_on=TODAY))[1]),
    ("feedtoken_scope_matches_kind", "feedtoken_scope_matches_kind",
     lambda w: FeedToken(user=w.counsellor, kind=FeedToken.Kind.CASE, token_hash="a" * 64)),
    ("protocol_final_has_time", "protocol_final_has_time",
     lambda w: Protocol(conference=Conference.objects.create(case=w.case, convenor=w.convenor, status="draft"), status="final")),
    ("protocolitem_restricted_has_holder_and_category", "A restricted item needs the organisation holding the information",
     lambda w: ProtocolItem(protocol=w.protocol, title="Geheim", audience=Audience.RESTRICTED, created_by=w.convenor)),
    ("acknowledgement_unique", "already exists",
     lambda w: (Acknowledgement.objects.create(protocol=w.protocol, user=w.counsellor),
                Acknowledgement(protocol=w.protocol, user=w.counsellor))[1]),
    ("agreedaction_one_responsible", "An action falls to a parent, or to an organisation",
     lambda w: AgreedAction(case=w.case, item=w.item_everyone, title="Doppelt", responsible_family_member=w.mother,
                            responsible_organisation=w.counselling, due_on=TODAY)),
    ("agreedaction_one_responsible", "An action falls to a parent, or to an organisation",
     lambda w: AgreedAction(case=w.case, item=w.item_everyone, title="Niemand", due_on=TODAY)),
    ("agreedaction_done_has_completion_date", "A done action needs its completion date",
     lambda w: AgreedAction(case=w.case, item=w.item_everyone, title="Fertig", responsible_organisation=w.counselling,
                            due_on=TODAY, status="done")),
    ("summary_one_published_per_half", "summary_one_published_per_half",
     lambda w: _summary(w, year=w.summary.year, half=w.summary.half, status="published")),
    ("summary_half_1_or_2", "Value 3 is not a valid choice",
     lambda w: _summary(w, half=3)),
    ("boardmeeting_ends_after_start", "A meeting must end after it starts",
     lambda w: BoardMeeting(network=w.network, starts_at=NOON, ends_at=NOON)),
]


def _ids():
    seen: dict[str, int] = {}
    for name, _message, _factory in CASES:
        seen[name] = seen.get(name, 0) + 1
        yield name if seen[name] == 1 else f"{name}-{seen[name]}"


@pytest.mark.parametrize(("constraint", "message", "factory"), CASES, ids=list(_ids()))
def test_full_clean_rejects_bad_data_with_a_clear_message(world, constraint, message, factory):
    obj = factory(world)
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    text = " ".join(error.value.messages)
    assert message in text, text


@pytest.mark.parametrize(("constraint", "message", "factory"), CASES, ids=list(_ids()))
def test_database_rejects_bad_data_even_without_validation(world, constraint, message, factory):
    obj = factory(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()


def test_every_tested_constraint_still_exists_in_the_model():
    """A renamed or dropped constraint must not leave this table testing nothing."""
    from django.apps import apps

    existing = {
        constraint.name
        for model in apps.get_models()
        if model._meta.app_label in {"participants", "cases", "conferences", "protocols", "board", "calendars"}
        for constraint in model._meta.constraints
    }
    assert {name for name, _m, _f in CASES} <= existing
