"""The referring professional whose client's consent lets her see what the offers answer (the
request page says: "the referring professional may see the offers' answers") reads the answer of
an offer that accepted, not only its status; without that consent she sees the status only."""
from __future__ import annotations

import pytest
from django.urls import reverse

from offers import referral_services
from offers.models import SupportRequest
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db
ANSWER = "Erstgespräch am Dienstag um 10 Uhr, bitte Mutterpass mitbringen."


def accepted_with_an_answer(world, offers, *, sender_sees_content: bool) -> None:
    SupportRequest.objects.filter(pk=offers.support_request.pk).update(consent_sender_sees_content=sender_sees_content)
    referral_services.referral_accept(world.counsellor, referral=offers.referral, answer=ANSWER)


def test_with_the_consent_the_sender_reads_the_offers_answer_on_her_request_page(client, world, offers):
    accepted_with_an_answer(world, offers, sender_sees_content=True)
    client.force_login(world.midwife)
    page = client.get(reverse("offers:request_detail", args=[offers.support_request.pk])).content.decode()
    assert "the referring professional may see the offers' answers" in page
    assert "Accepted" in page and ANSWER in page


def test_with_the_consent_the_sender_reads_the_offers_answer_on_the_referral_page(client, world, offers):
    accepted_with_an_answer(world, offers, sender_sees_content=True)
    client.force_login(world.midwife)
    page = client.get(reverse("offers:referral_detail", args=[offers.referral.pk])).content.decode()
    assert "Accepted" in page and ANSWER in page


def test_the_answer_shown_on_the_request_page_is_recorded_as_a_read_of_the_referral(client, world, offers):
    accepted_with_an_answer(world, offers, sender_sees_content=True)
    client.force_login(world.midwife)
    client.get(reverse("offers:request_detail", args=[offers.support_request.pk]))
    assert AuditEvent.objects.filter(actor=world.midwife, action="referral.read", object_id=str(offers.referral.pk)).exists()


def test_without_the_consent_the_sender_sees_the_status_only(client, world, offers):
    accepted_with_an_answer(world, offers, sender_sees_content=False)
    client.force_login(world.midwife)
    for url in (reverse("offers:request_detail", args=[offers.support_request.pk]),
                reverse("offers:referral_detail", args=[offers.referral.pk])):
        page = client.get(url).content.decode()
        assert "Accepted" in page and ANSWER not in page
