"""What waits for an answer in the network is on the dashboard, not only behind the bell: the
receiving service sees the referrals to its offers that nobody has answered yet, the central case
manager the open requests to her. Answered ones leave the list; nobody else sees them there."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from offers.models import Referral, SupportRequest

pytestmark = pytest.mark.django_db


def _dashboard(client, user, language="en") -> str:
    client.force_login(user)
    return client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_receiving_service_sees_the_unanswered_referral_and_opens_it(client, world, offers):
    page = _dashboard(client, world.counsellor)
    assert "Waiting for your answer in the network" in page
    assert reverse("offers:referral_detail", args=[offers.referral.pk]) in page
    assert offers.public_offer.name in page
    german = _dashboard(client, world.counsellor, "de")
    assert "Vermittlungen an Ihre Angebote" in german
    Referral.objects.filter(pk=offers.referral.pk).update(status=Referral.Status.ACCEPTED)
    assert reverse("offers:referral_detail", args=[offers.referral.pk]) not in _dashboard(client, world.counsellor)


def test_the_case_manager_sees_the_open_requests_to_her(client, world, offers):
    page = _dashboard(client, offers.case_manager)
    assert "Requests to you as central case manager" in page
    for request in (offers.consultation, offers.support_request):
        assert reverse("offers:request_detail", args=[request.pk]) in page
    SupportRequest.objects.filter(pk=offers.consultation.pk).update(status=SupportRequest.Status.ANSWERED)
    page = _dashboard(client, offers.case_manager)
    assert reverse("offers:request_detail", args=[offers.consultation.pk]) not in page
    assert reverse("offers:request_detail", args=[offers.support_request.pk]) in page


def test_the_sender_and_others_see_neither_list(client, world, offers):
    for user in (world.midwife, world.convenor, world.outsider):
        page = _dashboard(client, user)
        assert "Waiting for your answer in the network" not in page
        assert reverse("offers:referral_detail", args=[offers.referral.pk]) not in page


def test_two_referral_requests_from_one_practice_on_one_day_read_apart_by_their_number(client, world, offers):
    """Two requests of the same kind, practice and day read the same ("Referral of a client … –
    practice, date" twice): each entry names its request number, as the request page does."""
    second = SupportRequest.objects.create(
        network=world.network, kind=SupportRequest.Kind.REFERRAL, sender=world.midwife,
        sender_organisation=world.midwifery, case_manager=offers.case_manager, situation="Braucht Hebammenhilfe.",
        client_label="M.", consent_reference="SE-78", consent_given_on=world.consent.valid_from,
    )
    page = _dashboard(client, offers.case_manager)
    prefix = re.escape(reverse("offers:request_detail", args=[0])[:-2])
    entries = [re.sub(r"<[^>]+>", "", entry).strip() for entry in re.findall(rf'<li><a href="{prefix}\d+/">.*?</li>', page)]
    assert len(entries) == 3 and len(set(entries)) == 3, entries
    for request in (offers.support_request, second):
        assert f'{reverse("offers:request_detail", args=[request.pk])}">Referral of a client (with consent) #{request.pk}</a>' in page
