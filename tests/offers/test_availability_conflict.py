"""Two staff members of the organisation update an offer's availability at once, each from the list
of offers opened before the other saved: the second, made on the availability as it was before
the first, is refused instead of silently replacing it; her choice stays in the form beside the
availability as it is now, and saving again saves it. Edits of the offer's details meanwhile do not
stand in her way, and an HSDS import no longer writes back the availability it read."""
from __future__ import annotations

import pytest
from django.urls import reverse

from offers import hsds, services
from offers.models import Offer
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from tests.world import make_professional

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def colleague(world):
    return make_professional("counsellor2", world.counselling)


def _stored(offer: Offer) -> tuple[str, int | None]:
    stored = Offer.objects.get(pk=offer.pk)
    return stored.availability, stored.expected_wait_weeks


def test_an_availability_set_on_an_old_one_is_refused_and_changes_nothing(world, offers, colleague):
    offer = offers.public_offer
    started = services.availability_based_on(offer.availability, offer.expected_wait_weeks)
    # An edit of the offer's details raises its version; that is not what the availability is compared with.
    services.offer_save(world.counsellor, organisation=world.counselling, offer=offer, version=offer.version,
                        opening_hours="Mo–Do 9–12 Uhr")
    services.offer_availability_set(world.counsellor, offer=offer, availability="waitlist", expected_wait_weeks=6,
                                    based_on=started)
    # The same availability as now overwrites nothing.
    services.offer_availability_set(colleague, offer=offer, availability="waitlist", expected_wait_weeks=6,
                                    based_on=started)
    with pytest.raises(EditConflict) as refused:
        services.offer_availability_set(colleague, offer=offer, availability="not_accepting", based_on=started)
    assert _stored(offer) == ("waitlist", 6)
    assert refused.value.current.availability == "waitlist"
    assert AuditEvent.objects.filter(action="offer.availability").count() == 2


def test_the_page_keeps_her_choice_beside_the_current_availability_and_saves_it_on_the_second_try(
        world, offers, colleague, client):
    offer = offers.public_offer
    prefix = f"offer{offer.pk}"
    url = reverse("offers:offer_availability", args=[offer.pk])
    client.force_login(colleague)
    opened = client.get(reverse("offers:manage_list")).content.decode()
    assert f'name="{prefix}-based_on" value="accepting:"' in opened  # the form carries what it was opened on

    client.force_login(world.counsellor)
    first = client.post(url, {f"{prefix}-availability": "waitlist", f"{prefix}-expected_wait_weeks": "6",
                              f"{prefix}-based_on": "accepting:"})
    assert first.status_code == 302

    client.force_login(colleague)
    refused = client.post(url, {f"{prefix}-availability": "not_accepting", f"{prefix}-based_on": "accepting:"})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert CONFLICT in page
    assert '<option value="not_accepting" selected>' in page  # her choice is still in the form
    assert "<dd>Waiting list</dd>" in page and "<dd>6</dd>" in page  # the availability as it is now, beside it
    assert f'name="{prefix}-based_on" value="waitlist:6"' in page  # saving again is based on it
    assert _stored(offer) == ("waitlist", 6)

    again = client.post(url, {f"{prefix}-availability": "not_accepting", f"{prefix}-based_on": "waitlist:6"})
    assert again.status_code == 302
    assert _stored(offer) == ("not_accepting", None)


def test_an_hsds_import_does_not_write_back_the_availability_it_read(world, offers, monkeypatch):
    """The import reads the offers, then saves them: a colleague's availability saved in between
    was replaced by the one the import had read."""
    offer = offers.public_offer
    payload = hsds.export_services(Offer.objects.filter(pk=offer.pk))
    full_clean = Offer.full_clean

    def colleague_saves_meanwhile(self, *args, **kwargs):
        Offer.objects.filter(pk=offer.pk).update(availability="waitlist", expected_wait_weeks=4)
        return full_clean(self, *args, **kwargs)

    monkeypatch.setattr(Offer, "full_clean", colleague_saves_meanwhile)
    report = services.offers_import_hsds(world.counsellor, organisation=world.counselling, payload=payload, dry_run=False)
    assert report.ok and report.updated
    assert _stored(offer) == ("waitlist", 4)
