"""Open Referral HSDS 3.0: the export validates against the published schema (vendored in
tests/offers/hsds_schema with its licence); the import is all-or-nothing with a dry run."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from jsonschema import Draft202012Validator, FormatChecker

from offers import hsds, services
from offers.models import Offer
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parent / "hsds_schema" / "service_package.json").read_text(encoding="utf-8"))


def export(client, network) -> list[dict]:
    response = client.get(reverse("offers:hsds_export", args=[network.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_the_export_is_valid_hsds_3(client, world, offers):
    offers.public_offer.availability, offers.public_offer.expected_wait_weeks = "waitlist", 4
    offers.public_offer.save()
    data = export(client, world.network)
    errors = list(Draft202012Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(data))
    assert not errors, [e.message for e in errors]
    (service,) = data
    assert service["id"] == str(offers.public_offer.uuid)
    assert {lang["code"] for lang in service["languages"]} == {"de", "tr"}
    assert [area["name"] for area in service["service_areas"]] == ["Teststadt", "Nachbarort"]
    assert service["phones"][0]["number"] == "+49 123 4567"
    assert "4 weeks" in service["alert"]


def test_the_export_holds_only_the_networks_public_offers(client, world, offers):
    names = {s["name"] for s in export(client, world.network)}
    assert names == {offers.public_offer.name}
    assert {s["name"] for s in export(client, world.other_network)} == {offers.foreign_offer.name}


def test_the_export_is_stable_between_runs(client, world, offers):
    assert export(client, world.network) == export(client, world.network)


def test_an_unknown_network_has_no_export(client, offers):
    assert client.get(reverse("offers:hsds_export", args=["nowhere"])).status_code == 404


def _record(name: str, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "name": name, "status": "active", "description": f"{name} description",
            "languages": [{"id": str(uuid.uuid4()), "code": "de", "name": "Deutsch"}],
            "service_areas": [{"id": str(uuid.uuid4()), "name": "Teststadt"}], **extra}


def test_a_dry_run_reports_what_would_change_and_writes_nothing(world, offers):
    before = Offer.objects.count()
    report = services.offers_import_hsds(world.outsider, organisation=world.early_help,
                                         payload=[_record("Babylotsin"), _record("Elternkurs")], dry_run=True)
    assert report.ok and report.created == ["Babylotsin", "Elternkurs"]
    assert Offer.objects.count() == before


def test_one_invalid_record_imports_nothing_and_names_the_record(world, offers):
    before = Offer.objects.count()
    bad = _record("Kaputt", status="open")
    report = services.offers_import_hsds(world.outsider, organisation=world.early_help,
                                         payload=[_record("Gut"), bad, {"name": "ohne id"}], dry_run=False)
    assert not report.ok
    assert [(e.index, e.name) for e in report.errors] == [(2, "Kaputt"), (3, "ohne id")]
    assert "status" in report.errors[0].message
    assert Offer.objects.count() == before


def test_an_import_creates_network_only_offers_and_updates_them_by_id(world, offers):
    record = _record("Babylotsin", email="lotsin@example.org")
    report = services.offers_import_hsds(world.outsider, organisation=world.early_help, payload=[record], dry_run=False)
    assert report.ok and report.created == ["Babylotsin"]
    offer = Offer.objects.get(uuid=record["id"])
    assert offer.visibility == "network" and offer.languages == ",de," and offer.contact_email == "lotsin@example.org"
    record["description"] = "neu"
    report = services.offers_import_hsds(world.outsider, organisation=world.early_help, payload=[record], dry_run=False)
    assert report.updated == ["Babylotsin"]
    offer.refresh_from_db()
    assert offer.description == "neu"
    assert AuditEvent.objects.filter(action="offer.import", actor=world.outsider).count() == 2


def test_an_id_held_by_another_organisations_offer_is_answered_as_an_unknown_id_and_never_touches_that_offer(world, offers):
    """The import's answer told an importer whether an id exists anywhere ("this id belongs to an
    offer of another organisation"). Now an id another organisation's offer holds is answered as one
    nobody holds: a new offer of her own organisation (under an id of its own), then "changed" when
    she imports the same catalogue again; the other organisation's offer stays as it was."""
    held, free = _record("Übernahme"), _record("Neuland")
    held["id"] = str(offers.public_offer.uuid)
    answers = {}
    for label, record in (("held", held), ("free", free)):
        dry = services.offers_import_hsds(world.outsider, organisation=world.early_help, payload=[record], dry_run=True)
        first = services.offers_import_hsds(world.outsider, organisation=world.early_help, payload=[record], dry_run=False)
        again = services.offers_import_hsds(world.outsider, organisation=world.early_help, payload=[record], dry_run=False)
        answers[label] = [(r.ok, r.errors, len(r.created), len(r.updated)) for r in (dry, first, again)]
    assert answers["held"] == answers["free"] == [(True, [], 1, 0), (True, [], 1, 0), (True, [], 0, 1)]
    offers.public_offer.refresh_from_db()
    assert offers.public_offer.name == "Beratung für Schwangere" and offers.public_offer.organisation == world.counselling
    (copy,) = Offer.objects.filter(organisation=world.early_help, name="Übernahme")  # one offer, not one per import
    assert copy.uuid != offers.public_offer.uuid and copy.visibility == "network"
    assert Offer.objects.get(organisation=world.early_help, name="Neuland").uuid == uuid.UUID(free["id"])


def test_a_derived_id_held_elsewhere_too_leads_to_the_next_one_the_same_at_every_import(world, offers):
    held = _record("Übernahme")
    held["id"] = str(offers.public_offer.uuid)
    Offer.objects.filter(pk=offers.foreign_offer.pk).update(uuid=hsds.own_id(world.early_help.pk, offers.public_offer.uuid))
    first = services.offers_import_hsds(world.outsider, organisation=world.early_help, payload=[held], dry_run=False)
    again = services.offers_import_hsds(world.outsider, organisation=world.early_help, payload=[held], dry_run=False)
    assert (first.created, again.updated) == (["Übernahme"], ["Übernahme"])
    assert Offer.objects.filter(name="Übernahme").count() == 1
    assert Offer.objects.filter(pk__in=[offers.public_offer.pk, offers.foreign_offer.pk], name="Übernahme").count() == 0


def test_the_import_page_answers_a_held_id_as_it_answers_a_new_one(client, world, offers):
    client.force_login(world.outsider)
    held, free = _record("Übernahme"), _record("Übernahme")
    held["id"] = str(offers.public_offer.uuid)
    reports = []
    for record in (held, free):
        response = client.post(reverse("offers:offer_import"), {"organisation": world.early_help.pk, "text": json.dumps([record]),
                                                                  "dry_run": "on"})
        page = response.content.decode()
        reports.append((response.status_code, page[page.index("<section"):page.index("</section>")]))
    assert reports[0] == reports[1]
    assert reports[0][0] == 200 and "Übernahme" in reports[0][1] and "another organisation" not in reports[0][1]


def test_the_export_of_one_service_imports_back_unchanged(client, world, offers):
    data = export(client, world.network)
    report = services.offers_import_hsds(world.counsellor, organisation=world.counselling, payload=data, dry_run=False)
    assert report.ok and report.updated == [offers.public_offer.name]
    offers.public_offer.refresh_from_db()
    assert offers.public_offer.languages == ",de,tr," and offers.public_offer.municipalities == "Teststadt, Nachbarort"


def test_the_import_page_shows_every_error_and_imports_nothing(client, world, offers):
    client.force_login(world.outsider)
    payload = json.dumps([_record("Gut"), _record("Schlecht", status="weird")])
    response = client.post(reverse("offers:offer_import"), {"organisation": world.early_help.pk, "text": payload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported" in page and "Record 2 (Schlecht)" in page
    assert not Offer.objects.filter(name="Gut").exists()
