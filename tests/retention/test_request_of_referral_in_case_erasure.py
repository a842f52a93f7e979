"""A request to the central case manager belongs to a case also when the receiving organisation
made one of its referrals part of the case (``referral_attach_case`` / ``referral_open_case``
set only the referral's case). Its content (client, consent reference, situation, what is asked
for) and its messages go with the case's content; while another referral of it still lives, it
waits for that one."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from cases.models import Case
from offers import referral_case_services as rcs
from offers import referral_services as rs
from offers.models import Referral, SupportMessage, SupportRequest
from offers.retention import erase_unattached
from operations.retention import ERASED, erase_case
from tests.offers.offer_world import build_offer_world
from tests.retention.conftest import occurrences

pytestmark = pytest.mark.django_db

SECRETS = ["Lage-Anhang", "Bitte-Anhang", "Klientin-Anhang", "SE-Anhang", "Nachricht-Anhang"]


@pytest.fixture
def attached(world):
    """The midwife's referral request; its referral, accepted by the counselling, attached by
    the counsellor to the world's case, then completed; the request closed."""
    offers = build_offer_world(world)
    SupportRequest.objects.filter(pk=offers.support_request.pk).update(
        situation="Lage-Anhang", asked_for="Bitte-Anhang", client_label="Klientin-Anhang", consent_reference="SE-Anhang")
    offers.support_request.refresh_from_db()
    SupportMessage.objects.create(request=offers.support_request, author=world.midwife, text="Nachricht-Anhang")
    rs.referral_accept(world.counsellor, referral=offers.referral)
    rcs.referral_attach_case(world.counsellor, referral=offers.referral, case=world.case, consent_reference="TC-1",
                             consent_given_on=timezone.localdate())
    return offers


def close_and_erase(world) -> None:
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    with transaction.atomic():
        rows, _accounts = erase_case(Case.objects.get(pk=world.case.pk), now=timezone.now())
    assert rows is not None


FAR = timezone.now() + dt.timedelta(days=5000)


def test_the_request_goes_with_the_case_its_referral_was_attached_to(world, attached):
    rs.referral_close(world.counsellor, referral=attached.referral, outcome=Referral.Status.COMPLETED)
    rs.support_request_close(world.midwife, request=attached.support_request)
    assert SupportRequest.objects.get(pk=attached.support_request.pk).case_id is None
    assert all(occurrences(secret) for secret in SECRETS)
    close_and_erase(world)
    erase_unattached(now=FAR)
    for secret in SECRETS:
        assert occurrences(secret) == [], secret
    request = SupportRequest.objects.get(pk=attached.support_request.pk)
    assert (request.status, request.kind, request.consent_given_on) == (
        SupportRequest.Status.CLOSED, SupportRequest.Kind.REFERRAL, attached.support_request.consent_given_on)
    assert set(SupportMessage.objects.filter(request=request).values_list("text", flat=True)) == {ERASED}


def test_the_case_erasure_alone_takes_the_request(world, attached):
    rs.referral_close(world.counsellor, referral=attached.referral, outcome=Referral.Status.COMPLETED)
    close_and_erase(world)
    for secret in SECRETS:
        assert occurrences(secret) == [], secret


def test_a_request_with_another_living_referral_waits_for_it(world, attached):
    rs.referral_close(world.counsellor, referral=attached.referral, outcome=Referral.Status.COMPLETED)
    second = rs.referral_create(attached.case_manager, offer=attached.network_offer, support_request=attached.support_request)
    close_and_erase(world)
    assert occurrences("Lage-Anhang") and occurrences("Nachricht-Anhang")  # the second referral still needs it
    rs.referral_close(attached.case_manager, referral=second, outcome=Referral.Status.CANCELLED)
    erase_unattached(now=FAR)
    for secret in SECRETS:
        assert occurrences(secret) == [], secret


def test_a_request_whose_referral_is_in_a_case_still_open_is_kept(world, attached):
    rs.referral_close(world.counsellor, referral=attached.referral, outcome=Referral.Status.COMPLETED)
    rs.support_request_close(world.midwife, request=attached.support_request)
    erase_unattached(now=FAR)
    assert all(occurrences(secret) for secret in SECRETS)
