"""Issue 13: the access filter of actions and items is SQL text built once per user and day and
kept in the process (``permissions.policy.statements_for``): building it cost more Python than the
database spent filtering 10,000 actions. What it must never do is answer from a stale picture:
the text holds who she is and which day it is, every row is read when it runs. These tests change
the rows behind a kept statement and move the day, and check what she is shown."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from access import grant_services
from cases import policy as cases_policy
from cases import consent_services
from cases import services as case_services
from cases.models import CaseTeamMember
from permissions import policy as base
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from protocols import policy as protocols_policy
from protocols.models import AgreedAction
from participants.models import ProfessionalRole
from tests.world import make_professional

pytestmark = pytest.mark.django_db

# tables in the counsellor's statements (``test_the_policy_statements_stay_small``); the actions'
# 163: an action that falls to a parent reaches her only from a conference she is invited to (review
# h9, H9-1: its items, their protocols, her invitations and her family rows, four tables); 165 / 135:
# and only in an item she may hold actions in (one that carries a holder only where she entrusted it
# herself: ``cases_policy.entrusted_by_reader`` over her family rows, two tables); both +11: a parent
# or a guest reads a carried-over item only where she reads the item its action was agreed in
# (review h12, H12-8: the protocols of her invitations and of her guest grants once more, in the
# recursive subquery that follows the chain, and her family rows); 178 / 158: Art. 18 withholds
# what a restricted person entrusted first as well as now (``cases_policy.entrusted_by_any``: the
# restricted persons' subquery once more for ``first_entrusted_by``, in every route that had it)
TABLES_ACTIONS, TABLES_ITEMS = 178, 158


@pytest.fixture(autouse=True)
def _no_kept_statements():
    base.STATEMENTS.clear()
    yield
    base.STATEMENTS.clear()


def _action(world, item, **responsible):
    return AgreedAction.objects.create(case=world.case, item=item, title="Termin vereinbaren", description="",
                                       due_on=timezone.localdate() + dt.timedelta(days=3), **responsible)


def _hers(user) -> set:
    """The keys of the statements kept for ``user`` (the convenor's own are kept beside them)."""
    return {key for key in base.STATEMENTS.entries if key[1] == user.pk}


def _listed(client, user) -> set[int]:
    client.force_login(user)
    response = client.get("/api/actions/?limit=500")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_a_kept_statement_reads_the_team_live_after_she_is_taken_off_the_case(world, client):
    mine = _action(world, world.item_professionals, responsible_organisation=world.counselling)
    others = _action(world, world.item_professionals, responsible_organisation=world.youth_welfare)
    assert {mine.pk, others.pk} <= _listed(client, world.counsellor)
    kept = _hers(world.counsellor)
    assert kept

    member = CaseTeamMember.objects.get(case=world.case, organisation=world.counselling, removed_at__isnull=True)
    case_services.case_team_member_remove(world.convenor, member=member)

    # the same kept statement (nothing new built), her case's actions gone from her list
    listed = _listed(client, world.counsellor)
    assert _hers(world.counsellor) == kept
    assert not listed & {mine.pk, others.pk}
    assert not protocols_policy.actions_for_user(world.counsellor).filter(case=world.case).exists()
    assert not protocols_policy.protocol_items_for_user(world.counsellor).filter(protocol__conference__case=world.case).exists()


def test_an_action_agreed_after_the_statement_was_kept_is_listed(world, client):
    before = _listed(client, world.counsellor)
    added = _action(world, world.item_everyone, responsible_organisation=world.youth_welfare)
    assert added.pk not in before
    assert added.pk in _listed(client, world.counsellor)
    # the midwife reads items for professionals and this one too; her own statement is hers alone
    assert added.pk in _listed(client, world.midwife)
    assert added.pk not in _listed(client, world.outsider)


def test_the_statement_is_built_again_the_next_day_and_a_consent_ending_today_ends_with_it(world, client, monkeypatch):
    """The day is in the statement (consents, legal bases and grants are valid from/until a day),
    so it is in the key: on the next day the consent that ended today no longer discloses."""
    on_restricted = _action(world, world.item_restricted, responsible_organisation=world.youth_welfare)
    today = timezone.localdate()
    world.consent.valid_until = today
    world.consent.save(update_fields=["valid_until"])
    assert on_restricted.pk in _listed(client, world.counsellor)
    assert on_restricted.pk not in _listed(client, world.midwife)  # restricted to her too, but no consent

    builds = []
    real_build = protocols_policy._build_action_pieces
    monkeypatch.setattr(protocols_policy, "_build_action_pieces", lambda user, on, **kw: builds.append((user.pk, on)) or real_build(user, on, **kw))
    assert on_restricted.pk in _listed(client, world.counsellor)
    assert builds == []  # kept from the first request today

    monkeypatch.setattr(base, "_today", lambda: today + dt.timedelta(days=1))
    assert on_restricted.pk not in _listed(client, world.counsellor)
    assert builds == [(world.counsellor.pk, today + dt.timedelta(days=1))]


def test_a_restriction_set_or_lifted_after_the_statement_was_kept_acts_at_once(world, client):
    """Art. 18: who is restricted is read when the kept statement runs, not when it was built: an
    action in an item the restricted person entrusted leaves at once, even the one that falls to
    the counsellor herself, and comes back when the restriction is lifted."""
    hers = _action(world, world.item_restricted, responsible_organisation=world.counselling, responsible_user=world.counsellor)
    assert hers.pk in _listed(client, world.counsellor)
    assert hers.pk in {row["id"] for row in client.get("/api/actions/?mine=1").json()["results"]}
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                              kind=DataSubjectRequest.Kind.RESTRICTION, received_on=timezone.localdate(),
                                              identity_check="account")
    restriction = privacy_services.restriction_set(world.dpo, request=request, grounds="Prüfung")
    assert hers.pk not in _listed(client, world.counsellor)
    assert hers.pk not in {row["id"] for row in client.get("/api/actions/?mine=1").json()["results"]}
    # the read with a reason builds its own statement, kept beside the normal one
    assert protocols_policy.actions_for_user(world.counsellor, include_restricted=True).filter(pk=hers.pk).exists()
    assert hers.pk not in _listed(client, world.counsellor)
    privacy_services.restriction_lift(world.dpo, restriction=restriction)
    assert hers.pk in _listed(client, world.counsellor)


def test_statements_kept_are_bounded(world, monkeypatch):
    monkeypatch.setattr(base.STATEMENTS, "limit", 2)
    for user in (world.counsellor, world.midwife, world.convenor):
        list(protocols_policy.actions_for_user(user))
    assert len(base.STATEMENTS) == 2
    assert [key[1] for key in base.STATEMENTS.entries] == [world.midwife.pk, world.convenor.pk]  # least recently used out


def test_no_statement_is_kept_for_staff_or_an_inactive_user(world):
    world.counsellor.is_active = False
    assert not protocols_policy.actions_for_user(world.counsellor).exists()
    assert not protocols_policy.actions_for_user(world.admin).exists()
    assert not len(base.STATEMENTS)


def test_items_read_for_a_given_day_follow_todays_grants_the_next_day(world, monkeypatch):
    """``protocol_items_for_user(on=...)`` dates consents and legal bases by ``on``, but the grants
    (a guest's, a substitute's) by today: a statement kept for ``on`` must not carry yesterday's
    grants into today."""
    guest = make_professional("interpreter", world.early_help)
    today = timezone.localdate()
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest, valid_until=today)
    assert protocols_policy.protocol_items_for_user(guest, on=today).filter(pk=world.item_everyone.pk).exists()

    monkeypatch.setattr(base, "_today", lambda: today + dt.timedelta(days=1))  # the grant has ended
    assert not protocols_policy.protocol_items_for_user(guest).exists()
    assert not protocols_policy.protocol_items_for_user(guest, on=today).exists()


def test_the_team_rows_of_a_user_are_compiled_once_a_day_and_read_live(world, monkeypatch):
    """The per-case team questions (``is_professional_on_case``, ``team_organisation_ids``, and so
    the convenor check before every live edit) use her team rows' SQL kept per user and day:
    built afresh it cost 1.6 ms of Python per question. Kept, it must still read the rows live:
    a team row ended, a substitute grant given and an account disabled after it was kept count."""
    built = []
    team_rows_of = cases_policy.team_rows_of
    monkeypatch.setattr(cases_policy, "team_rows_of", lambda user: built.append(user.pk) or team_rows_of(user))
    assert cases_policy.is_professional_on_case(world.counsellor, world.case)
    assert set(cases_policy.team_organisation_ids(world.counsellor, world.case).values_list("organisation_id", flat=True)) \
        == {world.counselling.pk}
    assert cases_policy.can_convene(world.convenor, world.case)
    assert cases_policy.can_convene(world.convenor, world.case)
    assert sorted(built) == sorted([world.counsellor.pk, world.convenor.pk])

    # a colleague of the counsellor, on no team, stands in for her from today: read live
    colleague = make_professional("stand_in", world.counselling, ProfessionalRole.COUNSELLOR)
    assert not cases_policy.is_professional_on_case(colleague, world.case)
    grant_services.substitute_appoint(world.counsellor, colleague=world.counsellor, substitute=colleague,
                                      valid_from=timezone.localdate(), valid_until=timezone.localdate() + dt.timedelta(days=7))
    built.clear()
    assert cases_policy.is_professional_on_case(colleague, world.case)  # her statement kept since the first question

    # her team row ended after her statement was kept: she is on the case no more
    member = CaseTeamMember.objects.get(case=world.case, organisation=world.counselling, removed_at__isnull=True)
    case_services.case_team_member_remove(world.convenor, member=member)
    assert not cases_policy.is_professional_on_case(world.counsellor, world.case)
    assert not cases_policy.team_organisation_ids(world.counsellor, world.case).exists()

    # the convenor's account disabled after her statement was kept: she convenes nothing
    world.convenor.is_active = False
    assert not cases_policy.can_convene(world.convenor, world.case)
    assert not cases_policy.team_organisation_ids(world.convenor, world.case).exists()
    assert built == []


def _tables(queryset) -> int:
    """How many tables a statement reads (each FROM and JOIN): what PostgreSQL plans anew for every
    request, and loads into a fresh connection's caches, before it reads a row."""
    sql, _params = queryset.query.sql_with_params()
    return len(re.findall(r'(?:FROM|JOIN) "', sql))


def test_the_policy_statements_stay_small(world):
    """Issue 13: the actions filter's planning and a fresh connection's first parse grew with the
    tables in its text (192 for the counsellor's list, 10-14 ms of planning against 0.5 ms for the
    same page without it); the items' filter from 152. The same rows now come from 159 and 135
    (``_build_action_pieces`` leaves the Art. 18 exclusion to ``_not_restricted``; one guest route;
    the substitute's colleague rows without a second check of the organisation): a budget, so
    that the text does not grow back unnoticed."""
    assert _tables(protocols_policy.actions_for_user(world.counsellor)) <= TABLES_ACTIONS
    assert _tables(protocols_policy.protocol_items_for_user(world.counsellor)) <= TABLES_ITEMS


def test_the_item_bases_statement_is_compiled_once_a_day_and_reads_the_consents_live(world, monkeypatch):
    """The statement that names the basis of each item read (the audit trail's ``basis``, and which
    of an action's items she reads) is compiled once per user and day with the items' ids as one
    parameter: reading other items reuses it, and a consent that ends after it was kept ends the
    basis it named at once."""
    builds = []
    real_build = protocols_policy._basis_column_expressions
    monkeypatch.setattr(protocols_policy, "_basis_column_expressions",
                        lambda user, on: builds.append(user.pk) or real_build(user, on))
    restricted, everyone = world.item_restricted, world.item_everyone
    consent_basis = f"consent:{world.consent.pk}"
    assert protocols_policy.disclosure_bases_for_items(world.counsellor, [restricted]) == {restricted.pk: consent_basis}
    assert protocols_policy.disclosure_bases_for_items(world.counsellor, [everyone, restricted]) == {
        everyone.pk: "audience:everyone", restricted.pk: consent_basis}
    bases, readable = protocols_policy.item_bases_and_readable(world.counsellor, [everyone, restricted], readable=True)
    assert readable == {everyone.pk, restricted.pk}
    assert builds == [world.counsellor.pk, world.counsellor.pk]  # once without, once with the readable ids
    # the midwife's restricted item is named for her organisation too, but no consent covers it
    assert protocols_policy.disclosure_bases_for_items(world.midwife, [restricted]) == {restricted.pk: "none"}
    assert protocols_policy.item_bases_and_readable(world.midwife, [everyone, restricted], readable=True)[1] == {everyone.pk}

    consent_services.consent_revoke(world.convenor, consent=world.consent)
    assert protocols_policy.disclosure_bases_for_items(world.counsellor, [restricted]) == {restricted.pk: "none"}
    assert protocols_policy.item_bases_and_readable(world.counsellor, [everyone, restricted], readable=True)[1] == {everyone.pk}
    assert builds == [world.counsellor.pk, world.counsellor.pk, world.midwife.pk, world.midwife.pk]
