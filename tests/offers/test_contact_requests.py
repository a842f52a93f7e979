"""Low-threshold contact requests: anonymous, proof of work and rate limit without third
parties, reaching only the offer's staff, deleted after the retention period once handled."""
from __future__ import annotations

import datetime as dt
import json
import re
import time

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


def page_of(client, offer) -> str:
    return client.get(reverse("offers:offer_public", args=[offer.pk])).content.decode()


def served_token(page: str) -> str:
    return re.search(r'name="started" value="([^"]+)"', page).group(1)


def solved(client, offer) -> str:
    raw = re.search(r'data-pow-challenge="([^"]+)"', page_of(client, offer)).group(1).replace("&quot;", '"')
    return contact.solve(json.loads(raw))


def started(seconds_ago: int = 30) -> str:
    """A form token as the page serves it, from a form opened ``seconds_ago``."""
    return contact.new_form_token(now=time.time() - seconds_ago)


def test_the_page_says_plainly_what_happens_with_her_data(client, offers):
    page = client.get(reverse("offers:offer_public", args=[offers.public_offer.pk])).content.decode()
    assert "What happens with your data" in page and "deleted automatically" in page
    client.cookies["django_language"] = "da"
    page = client.get(reverse("offers:offer_public", args=[offers.public_offer.pk]), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Hvad sker der med dine oplysninger" in page


def test_a_woman_asks_to_be_contacted_without_giving_her_name(client, world, offers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                               {"reach_by": "0170 1234567", "preferred_time": "vormittags", "pow": solved(client, offers.public_offer),
                                "started": started()})
    assert response.status_code == 302 and "sent=1" in response["Location"]
    request = ContactRequest.objects.get()
    assert request.name == "" and request.reach_by == "0170 1234567"
    assert Notification.objects.filter(kind="contact_request", recipient=world.counsellor).exists()
    assert not Notification.objects.filter(kind="contact_request").exclude(recipient=world.counsellor).exists()


def test_without_a_form_token_nothing_is_stored(client, offers):
    response = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]), {"reach_by": "x@example.org"})
    assert response.status_code == 400 and not ContactRequest.objects.exists()


def test_a_wrong_proof_of_work_is_refused_even_with_a_good_form_token(client, offers):
    response = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                           {"reach_by": "x@example.org", "pow": "bm90IGEgc29sdXRpb24=", "started": started()})
    assert response.status_code == 400 and not ContactRequest.objects.exists()


# --- without JavaScript: honeypot, minimum fill time (signed form token), rate limit ----------------


def test_without_javascript_a_woman_can_still_send_her_request(client, world, offers, django_capture_on_commit_callbacks):
    page = page_of(client, offers.public_offer)
    assert "needs JavaScript" not in page
    token = served_token(page)
    with django_capture_on_commit_callbacks(execute=True):
        too_soon = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                               {"reach_by": "0170 555", "started": token, "website": ""})
    # typed faster than a person can: sent back with what she typed and a fresh token
    assert too_soon.status_code == 400 and not ContactRequest.objects.exists()
    body = too_soon.content.decode()
    assert "Please check your entries and send the form again." in body and 'value="0170 555"' in body
    assert served_token(body) != token
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                               {"reach_by": "0170 555", "started": started(), "website": ""})
    assert response.status_code == 302 and ContactRequest.objects.get().reach_by == "0170 555"
    assert Notification.objects.filter(kind="contact_request", recipient=world.counsellor).exists()


def test_the_served_form_token_works_once_the_minimum_time_has_passed(client, offers, monkeypatch):
    token = served_token(page_of(client, offers.public_offer))
    monkeypatch.setattr(contact, "MIN_FILL_SECONDS", 0)
    url = reverse("offers:contact_request_create", args=[offers.public_offer.pk])
    assert client.post(url, {"reach_by": "a", "started": token}).status_code == 302
    assert client.post(url, {"reach_by": "b", "started": token}).status_code == 400  # each token once
    assert ContactRequest.objects.count() == 1


def test_a_filled_honeypot_stores_nothing(client, offers):
    response = client.post(reverse("offers:contact_request_create", args=[offers.public_offer.pk]),
                           {"reach_by": "spam@example.org", "started": started(), "website": "http://spam.example"})
    assert response.status_code == 400 and not ContactRequest.objects.exists()


def test_a_forged_or_stale_form_token_stores_nothing(client, offers):
    url = reverse("offers:contact_request_create", args=[offers.public_offer.pk])
    forged = started()[:-2] + "xx"
    assert client.post(url, {"reach_by": "a", "started": forged}).status_code == 400
    assert client.post(url, {"reach_by": "a", "started": started(seconds_ago=contact.FORM_MAX_AGE + 60)}).status_code == 400
    assert not ContactRequest.objects.exists()


def test_without_javascript_the_rate_limit_is_stricter(client, offers):
    url = reverse("offers:contact_request_create", args=[offers.public_offer.pk])
    statuses = [client.post(url, {"reach_by": f"n{i}", "started": started()}).status_code for i in range(4)]
    assert statuses == [302, 302, 429, 429]
    assert ContactRequest.objects.count() == contact.NO_POW_RATE_LIMIT


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client, offers):
    page = page_of(client, offers.public_offer)
    hidden = re.search(r"<div hidden>(.*?)</div>", page, re.S).group(1)
    assert 'name="website"' in hidden and 'tabindex="-1"' in hidden and 'autocomplete="off"' in hidden
    assert page.count('name="website"') == 1


def test_a_solution_counts_once(client, offers):
    payload = solved(client, offers.public_offer)
    url = reverse("offers:contact_request_create", args=[offers.public_offer.pk])
    assert client.post(url, {"reach_by": "a", "pow": payload, "started": started()}).status_code == 302
    assert client.post(url, {"reach_by": "b", "pow": payload, "started": started()}).status_code == 400
    assert ContactRequest.objects.count() == 1


def test_a_forged_or_expired_challenge_is_refused(monkeypatch):
    challenge = contact.new_challenge(max_number=50)
    forged = dict(challenge, signature="0" * 64)
    assert not contact.verify(contact.solve(forged))
    monkeypatch.setattr(contact, "CHALLENGE_SECONDS", -1)
    assert not contact.verify(contact.solve(contact.new_challenge(max_number=50)))


def test_the_rate_limit_stops_a_flood_from_one_address(client, offers):
    url = reverse("offers:contact_request_create", args=[offers.public_offer.pk])
    statuses = [client.post(url, {"reach_by": f"n{i}", "pow": solved(client, offers.public_offer), "started": started()}).status_code
                for i in range(7)]
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
