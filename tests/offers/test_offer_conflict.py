"""Two staff members of the organisation editing the same offer at once: the second save, based
on the version both started from, is refused instead of silently reverting the first one's change."""
from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from offers import hsds, services
from offers.forms import OfferEditForm
from offers.models import Offer
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from tests.world import make_professional

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"


@pytest.fixture
def colleague(world):
    return make_professional("counsellor2", world.counselling)


def _post_data(offer: Offer, **changes) -> dict:
    """What the edit page posts when she changes nothing but ``changes``."""
    form = OfferEditForm(instance=Offer.objects.get(pk=offer.pk))
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.name] = "on"
        elif value is not None:
            data[bound.name] = value
    return {**data, **changes}


def test_a_second_edit_from_the_same_version_is_refused_and_changes_nothing(world, offers, colleague):
    offer = offers.public_offer
    started = offer.version
    services.offer_save(world.counsellor, organisation=world.counselling, offer=offer, version=started,
                        opening_hours="Mo–Do 9–12 Uhr")
    with pytest.raises(EditConflict) as refused:
        services.offer_save(colleague, organisation=world.counselling, offer=offer, version=started,
                            opening_hours="Mo–Fr 9–16 Uhr", contact_phone="+49 999")
    stored = Offer.objects.get(pk=offer.pk)
    assert (stored.opening_hours, stored.contact_phone, stored.version) == ("Mo–Do 9–12 Uhr", "+49 123 4567", started + 1)
    assert refused.value.current.opening_hours == "Mo–Do 9–12 Uhr"
    assert AuditEvent.objects.filter(action="offer.update").count() == 1


def test_the_page_keeps_her_input_beside_the_current_offer_and_answers_409(world, offers, colleague, client):
    offer = offers.public_offer
    url = reverse("offers:offer_edit", args=[offer.pk])
    started = _post_data(offer)
    client.force_login(world.counsellor)
    assert client.post(url, {**started, "opening_hours": "Mo–Do 9–12 Uhr"}).status_code == 302

    client.force_login(colleague)
    response = client.post(url, {**started, "contact_phone": "+49 999"})
    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    assert 'value="+49 999"' in page  # her input is still in the form
    assert "<dd>Mo–Do 9–12 Uhr</dd>" in page  # the offer as it is now, beside it
    stored = Offer.objects.get(pk=offer.pk)
    assert (stored.opening_hours, stored.contact_phone) == ("Mo–Do 9–12 Uhr", "+49 123 4567")

    again = client.post(url, _post_data(stored, contact_phone="+49 999"))
    assert again.status_code == 302
    stored = Offer.objects.get(pk=offer.pk)
    assert (stored.opening_hours, stored.contact_phone) == ("Mo–Do 9–12 Uhr", "+49 999")


def test_an_hsds_import_raises_the_version_of_the_offers_it_replaces(world, offers):
    offer = offers.public_offer
    started = offer.version
    payload = hsds.export_services(Offer.objects.filter(pk=offer.pk))
    report = services.offers_import_hsds(world.counsellor, organisation=world.counselling, payload=payload, dry_run=False)
    assert report.ok and report.updated
    assert Offer.objects.get(pk=offer.pk).version == started + 1


def _marked(page: str) -> list[str]:
    """The rows of "As it is now" marked as changed meanwhile (in words, not only by colour)."""
    return re.findall(r'<dt class="changed">([^<]*) <strong>\(changed meanwhile\)</strong></dt>', page)


def test_the_refused_page_marks_in_words_only_the_details_changed_since_she_opened_the_form(world, offers, colleague, client):
    """Before, all two dozen details were listed "as it is now" and she had to find the changed
    one herself."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    offer = offers.public_offer
    url = reverse("offers:offer_edit", args=[offer.pk])
    started = _post_data(offer)
    client.force_login(world.counsellor)
    assert client.post(url, {**started, "opening_hours": "Mo–Do 9–12 Uhr", "capacity": "3"}).status_code == 302

    client.force_login(colleague)
    response = client.post(url, {**started, "contact_phone": "+49 999"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Fields changed by someone else since you opened the form are marked “changed meanwhile”." in page
    assert sorted(_marked(page)) == ["Capacity", "Opening times"]  # not her own change, not the unchanged rest
    assert page.count("<dt") > 20  # the other details are still listed, unmarked

    # The refused page now carries the offer as it is: a second conflict marks only what changed after it.
    again = {name: html.unescape(value)
             for name, value in re.findall(r'<input type="hidden" name="(version|opened)" value="([^"]*)"', page)}
    assert set(again) == {"version", "opened"}
    client.force_login(world.counsellor)
    assert client.post(url, {**_post_data(Offer.objects.get(pk=offer.pk)), "cost": "5 € pro Termin"}).status_code == 302
    client.force_login(colleague)
    second = client.post(url, {**started, **again, "contact_phone": "+49 999"}).content.decode()
    assert _marked(second) == ["Cost"]
