"""Who decides a correction is one rule (``protocols.rules``): the protocol page offers the decision
on exactly the proposals the service accepts a decision on, and the overview counts exactly those,
for every kind of item: restricted (its holder decides), widened after it was restricted (its
holder, and the convenor where she reads it: never nobody), and never restricted (the convenor).
Review h9: the page's list and the service's check were two definitions of the same rule."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases import policy as cases_policy
from cases.models import Consent, ConsentScope, InformationCategory
from protocols import rules, services
from protocols.models import Audience, CorrectionProposal, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db

CATEGORY = InformationCategory.PARENTING_CHILD_WELFARE


class _Undo(Exception):
    """Rolls the trial decision back."""


def _item(world, position, audience, holder=None, named=()):
    item = ProtocolItem.objects.create(protocol=world.protocol, position=position, title=f"Punkt {position}", text="Text",
                                       audience=audience, holding_organisation=holder, entrusted_by=world.mother if holder else None,
                                       category=CATEGORY if holder else "", created_by=world.convenor)
    item.restricted_to.set(named)
    return item


@pytest.fixture
def proposals(world):
    """A pending proposal on each kind of item of the released protocol."""
    today = timezone.localdate()
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.RELEASED, released_at=timezone.now(),
                                                         corrections_until=today + dt.timedelta(days=5))
    # counselling's information may go to youth welfare: the convenor reads what counselling holds
    # and widened, or named youth welfare for
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=90),
                                     form_reference="SE-C", recorded_by=world.counsellor)
    consent.to_organisations.set([world.youth_welfare])
    ConsentScope.objects.create(consent=consent, category=CATEGORY)
    items = [
        world.item_everyone, world.item_professionals, world.item_restricted,
        _item(world, 10, Audience.RESTRICTED, world.counselling, [world.youth_welfare]),
        _item(world, 11, Audience.RESTRICTED, world.counselling, [world.midwifery]),
        _item(world, 12, Audience.PROFESSIONALS, world.youth_welfare),    # widened, held by the convenor's organisation
        _item(world, 13, Audience.EVERYONE, world.counselling),           # widened, the convenor reads it by consent
        _item(world, 14, Audience.PROFESSIONALS, world.midwifery),        # widened, the convenor does not read it: its holder decides
    ]
    return [CorrectionProposal.objects.create(item=item, author=world.midwife, proposed_text="Korrektur", base_version=item.version)
            for item in items]


def _offered_on_the_page(client, user, protocol) -> set[int]:
    client.force_login(user)
    page = client.get(reverse("protocols:protocol_detail", args=[protocol.pk])).content.decode()
    return {int(pk) for pk in re.findall(r'action="/[^"]*?corrections/(\d+)/decide/"', page)}


def _accepted_by_the_service(user, proposals) -> set[int]:
    accepted = set()
    for proposal in proposals:
        try:
            with transaction.atomic():
                services.correction_decide(user, proposal=proposal, accept=False, reason="Probe")
                accepted.add(proposal.pk)
                raise _Undo
        except (_Undo, PermissionDenied):
            pass
    return accepted


@pytest.mark.parametrize("role", ["convenor", "lead_colleague", "counsellor", "midwife", "parent"])
def test_the_page_offers_exactly_the_decisions_the_service_accepts(client, world, proposals, role):
    user = getattr(world, role)
    offered = _offered_on_the_page(client, user, world.protocol)
    assert offered == _accepted_by_the_service(user, proposals)
    assert offered == {p.pk for p in proposals if rules.can_decide_correction(user, p)}
    own, _others = rules.pending_counts(
        user, [world.protocol], team_case_ids=set(cases_policy.professional_case_ids(user).values_list("case_id", flat=True)),
        convened_case_ids=set(cases_policy.convened_case_ids(user).values_list("pk", flat=True)))
    assert own.get(world.protocol.pk, 0) == len(offered)


def test_who_decides_which_kind_of_item(world, proposals):
    by_position = {p.item.position: p for p in proposals}
    decides = {role: {pos for pos, p in by_position.items() if rules.can_decide_correction(getattr(world, role), p)}
               for role in ("convenor", "counsellor", "midwife")}
    assert decides["convenor"] == {1, 2, 3, 12, 13}  # never restricted; the holder of 3; widened ones she reads
    assert decides["counsellor"] == {10, 11, 13}     # held by counselling: restricted, and widened (13, the convenor's too)
    assert decides["midwife"] == {14}                # widened, held by midwifery, which the convenor cannot read
