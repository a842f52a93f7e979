"""Low-threshold contact requests: anonymous, proof of work and rate limit without third
parties, reaching only the offer's staff, deleted after the retention period once handled."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from offers import contact, contact_services
from offers.models import ContactRequest, NetworkOfferSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def solved(client, offer) -> str:
    page = client.get(reverse("offers:offer_public", args=[offer.pk])).content.decode()
    raw = re.search(r'data-pow-challenge="([^"]+)"', page).group(1).replace("&quot;", '"')
    return contact.solve(json.loads(raw))


def test_the_page_says_plainly_what_happens_with_her_data(client, offers):
    page = client.get(reverse("offers:offer_public", args=[offers.public_offer.pk])).content.decode()
    assert "What happens with your data" in page and "deleted automatically" in page
    client.cookies["django_language"] = "da"
    page = client.get(reverse("offers:offer_public", args=[offers.public_offer.pk]), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Hvad sker der med dine oplysninger" in page


def test_a_woman_asks_to_be_contacted_without_giving_her_name(client, world, offers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                               {"reach_by": "0170 1234567", "preferred_time": "vormittags", "pow": solved(client, offers.public_offer)})
    assert response.status_code == 302 and "sent=1" in response["Location"]
    request = ContactRequest.objects.get()
    assert request.name == "" and request.reach_by == "0170 1234567"
    assert Notification.objects.filter(kind="contact_request", recipient=world.counsellor).exists()
    assert not Notification.objects.filter(kind="contact_request").exclude(recipient=world.counsellor).exists()


def test_without_a_solved_challenge_nothing_is_stored(client, offers):
    response = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]), {"reach_by": "x@example.org"})
    assert response.status_code == 400 and not ContactRequest.objects.exists()


def test_a_solution_counts_once(client, offers):
    payload = solved(client, offers.public_offer)
    url = reverse("offers:contact_request_create", args=[offers.public_offer.pk])
    assert client.post(url, {"reach_by": "a", "pow": payload}).status_code == 302
    assert client.post(url, {"reach_by": "b", "pow": payload}).status_code == 400
    assert ContactRequest.objects.count() == 1


def test_a_forged_or_expired_challenge_is_refused(monkeypatch):
    challenge = contact.new_challenge(max_number=50)
    forged = dict(challenge, signature="0" * 64)
    assert not contact.verify(contact.solve(forged))
    monkeypatch.setattr(contact, "CHALLENGE_SECONDS", -1)
    assert not contact.verify(contact.solve(contact.new_challenge(max_number=50)))


def test_the_rate_limit_stops_a_flood_from_one_address(client, offers):
    url = reverse("offers:contact_request_create", args=[offers.public_offer.pk])
    statuses = [client.post(url, {"reach_by": f"n{i}", "pow": solved(client, offers.public_offer)}).status_code for i in range(7)]
    assert statuses[:5] == [302] * 5 and statuses[5:] == [429, 429]
    assert ContactRequest.objects.count() == 5


def test_an_offer_without_contact_requests_has_no_form(client, offers):
    assert "Ask to be contacted" not in client.get(reverse("offers:offer_public", args=[offers.foreign_offer.pk])).content.decode()
    assert client.post(reverse("offers:contact_request_create", args=[offers.foreign_offer.pk]), {"reach_by": "x"}).status_code == 404


def test_handled_requests_are_deleted_after_the_networks_period(world, offers):
    NetworkOfferSettings.objects.create(network=world.network, contact_request_retention_days=7)
    old = contact_services.contact_request_create(offer=offers.public_offer, reach_by="alt")
    new = contact_services.contact_request_create(offer=offers.public_offer, reach_by="neu")
    open_one = contact_services.contact_request_create(offer=offers.public_offer, reach_by="offen")
    contact_services.contact_request_handle(world.counsellor, request=old)
    contact_services.contact_request_handle(world.counsellor, request=new)
    ContactRequest.objects.filter(pk=old.pk).update(handled_at=timezone.now() - dt.timedelta(days=8))
    assert contact_services.contact_requests_purge() == 1
    assert set(ContactRequest.objects.values_list("pk", flat=True)) == {new.pk, open_one.pk}


def test_only_the_offers_staff_see_the_requests(client, world, offers):
    contact_services.contact_request_create(offer=offers.public_offer, reach_by="0170 999")
    url = reverse("offers:contact_requests", args=[offers.public_offer.pk])
    for user, status in [(world.counsellor, 200), (world.midwife, 404), (world.foreign_professional, 404), (world.admin, 404)]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status
        assert ("0170 999" in response.content.decode()) == (status == 200)
