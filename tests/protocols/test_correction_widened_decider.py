"""A correction proposed on an item that was widened after it was restricted always has someone
who reads the item to decide it: the organisation holding the information keeps deciding it, so
that a proposal on a widened item the convenor cannot read (no consent covers her organisation,
or the consent she read it under was revoked) is not left pending for nobody."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cases import policy as cases_policy
from cases.models import Consent, ConsentScope, InformationCategory
from notifications.models import Kind, Notification
from protocols import policy as protocols_policy, rules, services
from protocols.models import Audience, CorrectionProposal, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db

CATEGORY = InformationCategory.PARENTING_CHILD_WELFARE


def _released(world):
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.RELEASED, released_at=timezone.now(),
                                                         corrections_until=timezone.localdate() + dt.timedelta(days=5))
    world.protocol.refresh_from_db()


def _consent(world, from_organisation, to):
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=from_organisation,
                                     valid_from=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=90),
                                     form_reference="SE-W", recorded_by=world.convenor)
    consent.to_organisations.set(to)
    ConsentScope.objects.create(consent=consent, category=CATEGORY)
    return consent


def _widened(world, holder, audience=Audience.PROFESSIONALS):
    return ProtocolItem.objects.create(protocol=world.protocol, position=20, title="Erweitert", text="Alter Text",
                                       audience=audience, holding_organisation=holder, entrusted_by=world.mother,
                                       category=CATEGORY, created_by=world.convenor)


def _decide_forms(client, user, protocol) -> str:
    client.force_login(user)
    return client.get(reverse("protocols:protocol_detail", args=[protocol.pk])).content.decode()


def test_the_holder_decides_a_proposal_on_a_widened_item_the_convenor_cannot_read(client, world, django_capture_on_commit_callbacks):
    _consent(world, world.midwifery, [world.counselling])  # midwifery's information may go to counselling only
    item = _widened(world, world.midwifery)
    _released(world)
    assert not protocols_policy.protocol_items_for_user(world.convenor).filter(pk=item.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.correction_propose(world.counsellor, item=item, proposed_text="Richtig ist", version=item.version)

    # the midwife is told, and her page offers the decision
    assert Notification.objects.filter(recipient=world.midwife, kind=Kind.CORRECTION_PROPOSED).exists()
    assert reverse("protocols:correction_decide", args=[proposal.pk]) in _decide_forms(client, world.midwife, world.protocol)
    with django_capture_on_commit_callbacks(execute=True):
        services.correction_decide(world.midwife, proposal=proposal, accept=True, reason="Stimmt")
    proposal.refresh_from_db()
    assert proposal.status == CorrectionProposal.Status.ACCEPTED
    assert Notification.objects.filter(recipient=world.counsellor, kind=Kind.CORRECTION_DECIDED).exists()


def test_the_convenor_is_told_who_decides_a_widened_item_she_cannot_read(world):
    _consent(world, world.midwifery, [world.counselling])
    item = _widened(world, world.midwifery)
    _released(world)
    services.correction_propose(world.counsellor, item=item, proposed_text="Richtig ist", version=item.version)

    code, message = rules.finalise_refusal(world.convenor, world.protocol, confirm_early=False)
    assert code == "others_pending"
    assert world.midwifery.name in message
    own, others = rules.pending_counts(
        world.convenor, [world.protocol],
        team_case_ids=set(cases_policy.professional_case_ids(world.convenor).values_list("case_id", flat=True)),
        convened_case_ids=set(cases_policy.convened_case_ids(world.convenor).values_list("pk", flat=True)))
    assert own.get(world.protocol.pk, 0) == 0
    assert [(p.organisation, p.count) for p in others[world.protocol.pk]] == [(world.midwifery.name, 1)]


def test_after_the_convenors_consent_is_revoked_the_holder_decides(world):
    to_youth_welfare = _consent(world, world.counselling, [world.youth_welfare])
    _consent(world, world.counselling, [world.midwifery])
    item = _widened(world, world.counselling, audience=Audience.EVERYONE)
    _released(world)
    proposal = services.correction_propose(world.midwife, item=item, proposed_text="Richtig ist", version=item.version)
    assert rules.can_decide_correction(world.convenor, proposal)

    Consent.objects.filter(pk=to_youth_welfare.pk).update(revoked_at=timezone.now())  # the midwife still reads it

    assert not rules.can_decide_correction(world.convenor, proposal)
    with pytest.raises(PermissionDenied):
        services.correction_decide(world.convenor, proposal=proposal, accept=False, reason="Nein")
    services.correction_decide(world.counsellor, proposal=proposal, accept=False, reason="Nicht so anvertraut")
    proposal.refresh_from_db()
    assert proposal.status == CorrectionProposal.Status.REJECTED


def test_the_holder_amends_a_widened_item_of_a_final_protocol(world):
    _consent(world, world.midwifery, [world.counselling])
    item = _widened(world, world.midwifery)
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.FINAL, finalised_at=timezone.now())

    amendment = services.amendment_create(world.midwife, item=item, text="Nachtrag", reason="Korrektur nicht entschieden")
    assert amendment.item_id == item.pk
