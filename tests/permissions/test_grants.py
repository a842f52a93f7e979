"""Guardian grants are the object-permission face of the policy: same answers, no drift."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conferences.models import Case, CaseTeamMember
from participants.models import Consent, ConsentScope, DisclosureBasis, FamilyMember, Membership, Organisation
from permissions import grants, policy
from permissions.models import CaseGroupObjectPermission, CaseUserObjectPermission, OrganisationGroup
from protocols.models import AgreedAction, Audience, ProtocolItem
from tests.matrix.roles import ROLES, user_for

pytestmark = pytest.mark.django_db


def assert_guardian_matches_policy(world):
    for role in ROLES:
        user = user_for(world, role)
        pairs = [
            (policy.cases_for_user(user), "view_case", Case),
            (policy.protocol_items_for_user(user), "view_protocolitem", ProtocolItem),
            (policy.actions_for_user(user), "view_agreedaction", AgreedAction),
            (policy.responsible_actions_for_user(user), "change_agreedaction", AgreedAction),
        ]
        for policy_qs, codename, model in pairs:
            by_policy = set(policy_qs.values_list("pk", flat=True))
            by_guardian = set(grants.objects_with_perm(user, codename, model).values_list("pk", flat=True))
            if codename == "change_agreedaction":
                by_policy = {a.pk for a in AgreedAction.objects.all() if policy.can_update_action(user, a)} if user else set()
            assert by_guardian == by_policy, (role, codename)
        convenes = {c.pk for c in Case.objects.all() if user and policy.can_convene(user, c)}
        assert set(grants.objects_with_perm(user, "change_case", Case).values_list("pk", flat=True)) == convenes, role


def test_the_world_has_no_drift_and_guardian_agrees_with_the_policy(world):
    grants.assert_no_drift()
    assert_guardian_matches_policy(world)


def test_a_whole_organisation_on_the_team_is_granted_through_its_group(world):
    CaseTeamMember.objects.create(case=world.case, organisation=world.early_help)
    group = OrganisationGroup.objects.get(organisation=world.early_help).group
    assert CaseGroupObjectPermission.objects.filter(group=group, content_object=world.case).exists()
    assert not CaseUserObjectPermission.objects.filter(user=world.outsider, content_object=world.case).exists()
    assert grants.has_object_perm(world.outsider, "view_case", world.case)
    grants.assert_no_drift()


def test_permission_rows_grow_with_organisations_not_with_their_members(world):
    CaseTeamMember.objects.create(case=world.case, organisation=world.early_help)
    before = CaseUserObjectPermission.objects.count() + CaseGroupObjectPermission.objects.count()
    for n in range(5):
        user = world.outsider.__class__.objects.create_user(f"helper{n}", password="x-very-long-pw")
        Membership.objects.create(user=user, organisation=world.early_help, role="other")
    after = CaseUserObjectPermission.objects.count() + CaseGroupObjectPermission.objects.count()
    assert after == before
    grants.assert_no_drift()


def test_removing_a_team_member_takes_her_grants_away_in_the_same_transaction(world):
    member = CaseTeamMember.objects.get(case=world.case, user=world.counsellor)
    member.removed_at = timezone.now()
    member.save()
    assert not grants.has_object_perm(world.counsellor, "view_case", world.case)
    assert not grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)
    grants.assert_no_drift()


def test_revoking_consent_removes_the_restricted_item_grant(world):
    assert grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)
    world.consent.revoked_at = timezone.now()
    world.consent.save()
    assert not grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)
    grants.assert_no_drift()


def test_deactivating_a_membership_or_user_removes_grants(world):
    Membership.objects.filter(user=world.midwife).update(is_active=False)  # queryset update: no signal
    assert grants.all_drift()  # drift is noticed ...
    grants.recompute_all()     # ... and repaired
    grants.assert_no_drift()
    assert not grants.has_object_perm(world.midwife, "view_case", world.case)
    world.counsellor.is_active = False
    world.counsellor.save()
    grants.assert_no_drift()


def test_expired_consent_is_hidden_by_the_policy_at_once_and_by_guardian_after_the_daily_recompute(world):
    Consent.objects.filter(pk=world.consent.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert not policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()
    drift = grants.all_drift()
    assert [g[4] for g in drift.extra] == [world.item_restricted.pk]
    call_command("recompute_grants")
    grants.assert_no_drift()
    assert not grants.has_object_perm(world.counsellor, "view_protocolitem", world.item_restricted)


def test_recompute_is_idempotent(world):
    assert not grants.recompute_all()
    assert not grants.recompute_all()


def test_check_command_reports_drift_and_repair_fixes_it(world, capsys):
    CaseUserObjectPermission.objects.filter(user=world.convenor).delete()
    with pytest.raises(SystemExit):
        call_command("recompute_grants", "--check")
    out = capsys.readouterr().out
    assert "missing" in out and f"user:{world.convenor.pk}" in out
    call_command("recompute_grants")
    call_command("recompute_grants", "--check")
    assert "no drift" in capsys.readouterr().out


def test_superuser_gets_nothing_from_guardian(world):
    assert not grants.has_object_perm(world.admin, "view_case", world.case)
    assert not grants.objects_with_perm(world.admin, "view_protocolitem", ProtocolItem).exists()


def test_random_changes_keep_guardian_and_policy_equal(world):
    rng = random.Random(20260)
    orgs = [world.youth_welfare, world.counselling, world.midwifery, world.early_help]
    people = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.outsider]
    today = timezone.localdate()
    for step in range(15):
        choice = rng.randrange(8)
        if choice == 0:
            org = rng.choice(orgs)
            if not CaseTeamMember.objects.filter(case=world.case, organisation=org, user=None, removed_at=None).exists():
                CaseTeamMember.objects.create(case=world.case, organisation=org)
        elif choice == 1:
            member = rng.choice(list(CaseTeamMember.objects.filter(removed_at=None)))
            member.removed_at = timezone.now()
            member.save()
        elif choice == 2:
            membership = rng.choice(list(Membership.objects.all()))
            membership.is_active = not membership.is_active
            membership.save()
        elif choice == 3:
            consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.youth_welfare,
                                             valid_from=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=30),
                                             recorded_by=world.convenor)
            consent.to_organisations.set(rng.sample(orgs, 2))
            ConsentScope.objects.create(consent=consent, category=world.item_restricted.category)
        elif choice == 4:
            consent = rng.choice(list(Consent.objects.all()))
            consent.revoked_at = timezone.now() if consent.revoked_at is None else None
            consent.save()
        elif choice == 5:
            item = ProtocolItem.objects.create(protocol=world.protocol, position=10 + step, title=f"Item {step}",
                                               audience=rng.choice([Audience.EVERYONE, Audience.PROFESSIONALS, Audience.RESTRICTED]),
                                               holding_organisation=rng.choice(orgs), category=world.item_restricted.category,
                                               created_by=world.convenor)
            item.restricted_to.set(rng.sample(orgs, 2))
        elif choice == 6:
            basis = DisclosureBasis.objects.create(case=world.case, basis="de_65_1_2_family_court",
                                                   from_organisation=world.youth_welfare, invoked_by=world.convenor,
                                                   justification="Gefährdung", valid_until=today + dt.timedelta(days=5),
                                                   parents_informed=True)
            basis.to_organisations.add(rng.choice(orgs))
        else:
            user = rng.choice(people)
            org = rng.choice(orgs)
            if not CaseTeamMember.objects.filter(case=world.case, organisation=org, user=user, removed_at=None).exists():
                Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": "other"})
                CaseTeamMember.objects.create(case=world.case, organisation=org, user=user)
        grants.assert_no_drift()
    assert_guardian_matches_policy(world)


def test_recomputing_a_case_costs_queries_in_team_size_not_in_items(world):
    def cost() -> int:
        with CaptureQueriesContext(connection) as ctx:
            grants.recompute_case(world.case)
        return len(ctx)

    small = cost()
    with grants.batch():
        for n in range(40):
            ProtocolItem.objects.create(protocol=world.protocol, position=100 + n, title=f"Punkt {n}",
                                        audience=Audience.PROFESSIONALS, created_by=world.convenor)
    assert cost() == small
