"""The directory of offers: public search without sign-in, network-only offers, availability."""
from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from offers import services
from offers.models import Offer, pack_codes
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_finds_public_offers_but_not_network_only_ones(client, offers):
    page = client.get(reverse("offers:directory")).content.decode()
    assert offers.public_offer.name in page
    assert offers.foreign_offer.name in page
    assert offers.network_offer.name not in page


def test_a_professional_of_the_network_also_finds_its_network_only_offers(client, world, offers):
    client.force_login(world.outsider)
    assert offers.network_offer.name in client.get(reverse("offers:directory")).content.decode()


def test_a_professional_of_another_network_does_not_find_them(client, world, offers):
    client.force_login(world.foreign_professional)
    assert offers.network_offer.name not in client.get(reverse("offers:directory")).content.decode()
    assert client.get(reverse("offers:offer_public", args=[offers.network_offer.pk])).status_code == 404


@pytest.mark.parametrize("query, found", [
    ({"place": "12345"}, True), ({"place": "Nachbarort"}, True), ({"place": "99999"}, False),
    ({"language": "tr"}, True), ({"language": "da"}, False), ({"target_group": "pregnant"}, True),
    ({"target_group": "relatives"}, False), ({"anonymous": "on"}, True), ({"q": "Schwangere"}, True),
])
def test_filters_narrow_the_public_search(client, offers, query, found):
    page = client.get(reverse("offers:directory"), query).content.decode()
    assert (offers.public_offer.name in page) is found


def test_the_public_offer_page_shows_details_and_no_case_data(client, world, offers):
    page = client.get(reverse("offers:offer_public", args=[offers.public_offer.pk])).content.decode()
    assert "Hauptstraße 1" in page and "+49 123 4567" in page and "Turkish" in page
    assert world.case.reference not in page and offers.referral.client_label + "." not in page
    assert "Bitte um Erstgespräch" not in page


def test_the_public_search_costs_the_same_queries_for_many_offers(client, world, offers):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("offers:directory"), {"language": "de"}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    Offer.objects.bulk_create([
        Offer(organisation=world.counselling, name=f"Angebot {n}", description="x", languages=pack_codes(["de"]),
              visibility=Offer.Visibility.PUBLIC) for n in range(30)
    ])
    assert queries() == few


def test_staff_put_an_offer_on_the_waiting_list_with_the_expected_wait(client, world, offers):
    client.force_login(world.counsellor)
    prefix = f"offer{offers.public_offer.pk}"
    response = client.post(reverse("offers:offer_availability", args=[offers.public_offer.pk]),
                           {f"{prefix}-availability": "waitlist", f"{prefix}-expected_wait_weeks": "6",
                            f"{prefix}-based_on": "accepting:"})
    assert response.status_code == 302
    offers.public_offer.refresh_from_db()
    assert offers.public_offer.availability == "waitlist" and offers.public_offer.expected_wait_weeks == 6
    assert AuditEvent.objects.filter(action="offer.availability", actor=world.counsellor).exists()
    assert "about 6 weeks" in client.get(reverse("offers:offer_public", args=[offers.public_offer.pk])).content.decode()


def test_a_waiting_list_without_an_expected_wait_is_refused(world, offers):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.offer_availability_set(world.counsellor, offer=offers.public_offer, availability="waitlist")


def test_staff_of_another_organisation_cannot_change_an_offer(client, world, offers):
    client.force_login(world.midwife)
    prefix = f"offer{offers.public_offer.pk}"
    response = client.post(reverse("offers:offer_availability", args=[offers.public_offer.pk]),
                           {f"{prefix}-availability": "not_accepting"})
    assert response.status_code == 404
    offers.public_offer.refresh_from_db()
    assert offers.public_offer.availability == "accepting"


def test_staff_publish_a_new_offer_that_the_public_then_finds(client, world, offers):
    client.force_login(world.outsider)
    response = client.post(reverse("offers:offer_create"), {
        "organisation": world.early_help.pk, "kind": "service", "name": "Elterncafé", "description": "Offenes Café.",
        "target_groups": ["young_parents"], "languages": ["de", "ar"], "municipalities": "Teststadt", "postcodes": "12345, 12346",
        "capacity_unit": "concurrent", "visibility": "public", "is_free": "on", "is_active": "on", "anonymous_contact": "on",
    })
    assert response.status_code == 302, response.content.decode()
    offer = Offer.objects.get(name="Elterncafé")
    assert offer.postcodes == ",12345,12346," and offer.languages == ",ar,de,"
    client.logout()
    assert "Elterncafé" in client.get(reverse("offers:directory"), {"place": "12346", "language": "ar"}).content.decode()
    assert AuditEvent.objects.filter(action="offer.create", actor=world.outsider).exists()


def test_a_track_without_its_number_of_sessions_is_refused_with_a_field_message(client, world, offers):
    client.force_login(world.outsider)
    response = client.post(reverse("offers:offer_create"), {
        "organisation": world.early_help.pk, "kind": "track", "name": "Kurs", "description": "Kurs.",
        "capacity_unit": "concurrent", "visibility": "network", "is_active": "on",
    })
    assert response.status_code == 400
    assert "number of sessions" in response.content.decode()


def test_the_demo_seeds_the_directory_tracks_and_residential_offer_once(db):
    from django.core.management import call_command

    from offers.models import CentralCaseManager, Enrolment

    call_command("seed_demo", stdout=io.StringIO())
    counts = (Offer.objects.count(), Enrolment.objects.count(), CentralCaseManager.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Offer.objects.count(), Enrolment.objects.count(), CentralCaseManager.objects.count()) == counts
    two = Offer.objects.get(name="To rådgivningssamtaler")
    last_year = timezone.localdate().year - 1  # a year of families in the last ended year (the board's figures show it)
    assert 500 <= two.enrolments.filter(enrolled_on__year=last_year).count() <= 620
    residential = Offer.objects.get(is_residential_treatment=True, organisation__network__slug="region-syddanmark")
    assert residential.referrals.filter(status="waitlisted").count() == 3
    assert Offer.objects.filter(name__startswith="Kontaktcafé", visibility="public", accepts_contact_requests=True).exists()


def test_in_german_the_directory_lists_german_offers_and_names_each_ones_region(client, offers):
    """A visitor reading German finds the offers of German networks, not Danish ones among them;
    each offer says which network and country it belongs to."""
    page = client.get(reverse("offers:directory"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert offers.public_offer.name in page and offers.foreign_offer.name not in page
    assert "Region: " in page and "Kreis Test</a> (Deutschland)" in page
    assert '<option value="DE" selected>Deutschland</option>' in page


def test_in_danish_it_lists_danish_offers(client, offers):
    page = client.get(reverse("offers:directory"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert offers.foreign_offer.name in page and offers.public_offer.name not in page
    assert "Region Anders</a> (Danmark)" in page


def test_she_chooses_every_country_or_the_other_one(client, offers):
    every = client.get(reverse("offers:directory"), {"country": "all"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert offers.public_offer.name in every and offers.foreign_offer.name in every
    assert "Region Anders</a> (Dänemark)" in every
    danish = client.get(reverse("offers:directory"), {"country": "DK"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert offers.foreign_offer.name in danish and offers.public_offer.name not in danish
    # English is read in both countries: every country unless she chooses one.
    english = client.get(reverse("offers:directory"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert offers.public_offer.name in english and offers.foreign_offer.name in english


def test_an_offers_network_link_narrows_the_directory_to_that_network_and_back(client, world, offers):
    page = client.get(reverse("offers:directory"), {"country": "all", "network": world.other_network.slug},
                      HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert offers.foreign_offer.name in page and offers.public_offer.name not in page
    assert "Es werden nur Angebote des Verbunds Region Anders angezeigt." in page
    assert '<a href="?country=all">Angebote aller Verbünde anzeigen</a>' in page
    assert f'<input type="hidden" name="network" value="{world.other_network.slug}"' in page  # a refined search keeps it


def test_the_api_filters_by_country_and_says_each_offers_country(client, offers):
    every = client.get("/api/offers/").json()["results"]
    assert {row["name"]: row["country"] for row in every if row["name"] in {offers.public_offer.name, offers.foreign_offer.name}} == {
        offers.public_offer.name: "DE", offers.foreign_offer.name: "DK"}
    danish = [row["name"] for row in client.get("/api/offers/", {"country": "DK"}).json()["results"]]
    assert offers.foreign_offer.name in danish and offers.public_offer.name not in danish


@pytest.mark.parametrize("params", [{}, {"country": "DK"}, {"country": "all", "network": "kreis-test"}])
def test_the_country_and_network_filters_cost_no_query_of_their_own(client, world, offers, params):
    """Two statements, as before the filter (count and page): the region comes with the offers' join."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("offers:directory"), params, HTTP_ACCEPT_LANGUAGE="de").status_code == 200
    assert len(ctx.captured_queries) == 2, [q["sql"][:120] for q in ctx.captured_queries]


def test_choosing_a_country_the_network_does_not_lie_in_drops_the_network_and_says_so(client, world, offers):
    """Region Anders (Denmark), then Germany: her German search shows German offers, not nothing."""
    every = client.get(reverse("offers:directory"), {"country": "all"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    link = f'network={world.other_network.slug}&amp;network_country={world.other_network.country}'
    assert link in every  # the region link names the network's country
    params = {"country": "DE", "network": world.other_network.slug, "network_country": world.other_network.country}
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("offers:directory"), params, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert len(ctx.captured_queries) == 2
    assert offers.public_offer.name in page and offers.foreign_offer.name not in page
    assert "Der gewählte Verbund liegt in einem anderen Land" in page
    assert f'value="{world.other_network.slug}"' not in page  # the next search no longer carries it
    kept = client.get(reverse("offers:directory"), {**params, "country": "all"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert offers.foreign_offer.name in kept and offers.public_offer.name not in kept
    assert '<a href="?country=all">Angebote aller Verbünde anzeigen</a>' in kept


@pytest.mark.parametrize("language", ["da", "de", "en"])
def test_a_region_link_from_before_the_country_filter_shows_the_regions_offers_in_any_language(client, world, offers, language):
    """Links to a region made before the country filter carry only ``network``: the region's own
    country is meant, not the country of the language she reads in (a Danish visitor following an
    old link to a German region saw no offer at all)."""
    page = client.get(reverse("offers:directory"), {"network": world.network.slug}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert offers.public_offer.name in page and offers.foreign_offer.name not in page
    assert '<option value="DE" selected>' in page  # the region's country, shown as the chosen one
    assert f'<input type="hidden" name="network" value="{world.network.slug}"' in page
    assert '<input type="hidden" name="network_country" value="DE"' in page  # a refined search carries it on
    # from there she chooses Denmark: the German region is dropped and she is told so, as from a new link
    danish = client.get(reverse("offers:directory"), {"network": world.network.slug, "network_country": "DE", "country": "DK"},
                        HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert offers.foreign_offer.name in danish and offers.public_offer.name not in danish
    assert f'value="{world.network.slug}"' not in danish


def test_an_old_region_link_that_names_the_other_countrys_region_still_finds_it_for_a_german_reader(client, world, offers):
    page = client.get(reverse("offers:directory"), {"network": world.other_network.slug}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert offers.foreign_offer.name in page and offers.public_offer.name not in page
    assert "Es werden nur Angebote des Verbunds Region Anders angezeigt." in page
