"""Issue 13 (16282b9): the actions filter keeps the team's open items apart from the governed ones it
reads (``protocols.policy._action_visible``, ``_item_not_withheld``) and checks a parent's column first
(``_falls_to_parent``); these select the same rows as the filter written with one set of every item
she reads on her team's cases (``old_visible``, ``old_responsible``). Written by the review of that
change.

Differential test on a dense data set: items of every kind (open to everyone/professionals, restricted,
widened-after-restricted to professionals and to everyone) on two cases, actions in every item falling to
every organisation (on the team or not), to a user, to a parent; actions whose case differs from their
item's case (cross-case, written directly); late joiner, revoked consent, guests, substitute, Art. 18.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Q
from django.utils import timezone

from access import grant_services
from cases.models import FamilyMember
from conferences.models import Conference
from permissions import policy as base
from privacy.models import ProcessingRestriction
from protocols import policy as P
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.security.test_widened_item_stays_governed import join_early_help, revoke, widened
from tests.world import make_professional

pytestmark = pytest.mark.django_db


def _old_pieces(user, include_restricted):
    pieces = dict(P._action_pieces(user, include_restricted=include_restricted))
    team_routes, _ = P._item_routes(user, on=base._today(), include_restricted=True)
    pieces["readable_on_team"] = base.compiled(base.union_ids(*(r.values("pk") for r in team_routes)))
    return pieces


def _old_falls_to_parent(pieces):
    return Q(responsible_family_member_id__isnull=False, responsible_family_member_id__in=pieces["own_family"],
             item_id__in=pieces["invited_items"])


def _old_not_withheld(pieces):
    return P._item_not_governed(pieces) | Q(item_id__in=pieces["readable_on_team"])


def old_visible(user, include_restricted=False):
    pieces = _old_pieces(user, include_restricted)
    return Q(base.AnyOf(F("case_id"), pieces["her_cases"])) & (
        (Q(case_id__in=pieces["team_cases"]) & ((P._falls_to(user, pieces) & P._item_not_governed(pieces))
                                                | Q(item_id__in=pieces["readable_on_team"])))
        | Q(item_id__in=pieces["readable_elsewhere"])
        | _old_falls_to_parent(pieces)
    ) & P._not_restricted(pieces)


def old_responsible(user):
    pieces = _old_pieces(user, False)
    return (Q(base.AnyOf(F("case_id"), pieces["her_cases"]))
            & ((Q(case_id__in=pieces["team_cases"]) & P._falls_to(user, pieces) & _old_not_withheld(pieces))
               | _old_falls_to_parent(pieces))
            & P._not_restricted(pieces))


def ids(q):
    return set(AgreedAction.objects.filter(q).values_list("pk", flat=True))


def _build(world):
    today = timezone.localdate()
    w_prof, consent = widened(world, Audience.PROFESSIONALS)
    w_every = ProtocolItem.objects.create(
        protocol=world.protocol, position=30, title="w-every", text="x", audience=Audience.EVERYONE,
        holding_organisation=world.counselling, entrusted_by=world.mother, category=w_prof.category, created_by=world.convenor)
    # an item with a holder but open audience and no first_* labels: "governed" only by holder
    start = timezone.now() + dt.timedelta(days=3)
    conf2 = Conference.objects.create(case=world.other_case, convenor=world.lead_colleague, status=Conference.Status.SCHEDULED,
                                      starts_at=start, ends_at=start + dt.timedelta(minutes=60), location="X")
    proto2 = Protocol.objects.create(conference=conf2, minute_taker=world.lead_colleague)
    father = FamilyMember.objects.get(case=world.other_case)
    o_every = ProtocolItem.objects.create(protocol=proto2, position=1, title="o-e", text="x", audience=Audience.EVERYONE,
                                          created_by=world.lead_colleague)
    o_prof = ProtocolItem.objects.create(protocol=proto2, position=2, title="o-p", text="x", audience=Audience.PROFESSIONALS,
                                         created_by=world.lead_colleague)
    o_restr = ProtocolItem.objects.create(protocol=proto2, position=3, title="o-r", text="x", audience=Audience.RESTRICTED,
                                          holding_organisation=world.early_help, entrusted_by=father,
                                          category=w_prof.category, created_by=world.lead_colleague)
    o_restr.restricted_to.set([world.youth_welfare])
    o_wid = ProtocolItem.objects.create(protocol=proto2, position=4, title="o-w", text="x", audience=Audience.PROFESSIONALS,
                                        holding_organisation=world.early_help, entrusted_by=father,
                                        category=w_prof.category, created_by=world.lead_colleague)
    items = [world.item_everyone, world.item_professionals, world.item_restricted, w_prof, w_every,
             o_every, o_prof, o_restr, o_wid]
    orgs = [world.youth_welfare, world.counselling, world.midwifery, world.early_help, world.foreign_org]
    users_of = {world.youth_welfare: [None, world.convenor, world.lead_colleague], world.counselling: [None, world.counsellor],
                world.midwifery: [None, world.midwife], world.early_help: [None, world.outsider], world.foreign_org: [None]}
    n = 0
    for case in (world.case, world.other_case):  # includes cross-case (action.case != item's case)
        for item in items:
            for org in orgs:
                for u in users_of[org]:
                    AgreedAction.objects.create(case=case, item=item, title=f"a{n}", responsible_organisation=org,
                                                responsible_user=u, due_on=today)
                    n += 1
            for fm in (world.mother, father):
                AgreedAction.objects.create(case=case, item=item, title=f"a{n}", responsible_family_member=fm, due_on=today)
                n += 1
    join_early_help(world)
    guest_mw = make_professional("guest_mw", world.midwifery)
    guest_eh = make_professional("guest_eh", world.early_help)
    for g in (guest_mw, guest_eh):
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=g)
    sub = make_professional("sub_yw", world.youth_welfare)
    grant_services.substitute_appoint(world.convenor, colleague=world.convenor, substitute=sub, valid_from=today,
                                      valid_until=today + dt.timedelta(days=10))
    users = [world.convenor, world.lead_colleague, world.counsellor, world.midwife, world.outsider, world.parent,
             world.other_parent, world.foreign_professional, guest_mw, guest_eh, sub]
    return consent, users


def _compare(users, label):
    base.STATEMENTS.clear()
    total = 0
    for user in users:
        for inc in (False, True):
            new = ids(P._action_visible(user, include_restricted=inc))
            old = ids(old_visible(user, inc))
            assert new == old, (label, user.username, inc, sorted(new ^ old))
            total += len(new)
        new_r = set(P.responsible_actions_for_user(user).values_list("pk", flat=True))
        old_r = ids(old_responsible(user))
        assert new_r == old_r, (label, user.username, "responsible", sorted(new_r ^ old_r))
        # the sets' own premise: open_on_team and governed_on_team are disjoint
        pieces = P._action_pieces(user)
        both = ProtocolItem.objects.filter(pk__in=pieces["open_on_team"]).filter(pk__in=pieces["governed_on_team"])
        assert not both.exists()
        # and each set is the routes it names (``_item_routes`` puts the open route first): the open
        # set holds no item with a holder and no restricted one, the other only such items
        assert not ProtocolItem.objects.filter(pk__in=pieces["open_on_team"]).filter(
            Q(holding_organisation__isnull=False) | Q(audience=Audience.RESTRICTED)).exists()
        assert not ProtocolItem.objects.filter(pk__in=pieces["governed_readable_on_team"],
                                               holding_organisation__isnull=True).exclude(audience=Audience.RESTRICTED).exists()
    return total


def test_old_and_new_action_filters_select_the_same_rows(world):
    consent, users = _build(world)
    totals = [_compare(users, "initial")]
    revoke(consent)
    totals.append(_compare(users, "revoked"))
    ProcessingRestriction.objects.create(family_member=world.mother, grounds="Art. 18", set_by=world.convenor)
    totals.append(_compare(users, "art18"))
    assert all(totals), totals  # non-trivial: something is visible in every phase
