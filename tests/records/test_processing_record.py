"""The record of processing activities (GDPR Art. 30) is generated from the live configuration:
it changes when an organisation joins, a legal basis is first used or a retention setting
changes, and every earlier version stays with its date."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cases.models import DisclosureBasis, LegalBasis
from participants.models import Organisation, OrganisationKind
from permissions.models import AuditEvent
from records import facts, selectors, services
from records.models import ProcessingRecord

pytestmark = pytest.mark.django_db


def refresh(world):
    return services.processing_record_refresh(world.dpo, network=world.network)


def page(client, world, *args) -> str:
    client.force_login(world.dpo)
    response = client.get(reverse("records:record", args=[world.network.slug]) if not args
                          else reverse("records:version", args=[world.network.slug, *args]))
    assert response.status_code == 200
    return response.content.decode()


def test_opening_the_record_stores_the_first_version_with_what_the_service_does(world, client):
    html = page(client, world)
    record = ProcessingRecord.objects.get(network=world.network)
    assert record.version == 1 and record.created_by == world.dpo
    for organisation in (world.youth_welfare, world.counselling, world.midwifery, world.early_help):
        assert organisation.name in html
    assert world.foreign_org.name not in html
    assert "Parents and guardians" in html and "Expected children" in html
    assert "10 years after the case was closed" in html
    assert "Second-factor secrets encrypted at rest" in html
    assert "Separation of duties" in html
    # The consent in force: counselling receives parenting information from youth welfare.
    counselling = next(r for r in record.content["recipients"] if r["organisation"] == world.counselling.name)
    assert counselling["consents"] == 1 and counselling["categories"] == ["parenting_child_welfare"]
    assert counselling["from_kinds"] == [OrganisationKind.YOUTH_WELFARE]


def test_an_unchanged_configuration_stores_no_new_version(world):
    first, created = refresh(world)
    again, created_again = refresh(world)
    assert created and not created_again and again.pk == first.pk
    assert AuditEvent.objects.filter(action="records.generate").count() == 1


def test_the_record_changes_when_an_organisation_joins_and_the_old_version_stays(world, client):
    first, _ = refresh(world)
    Organisation.objects.create(network=world.network, name="Kinderklinik Neu", kind=OrganisationKind.PAEDIATRICS)
    html = page(client, world)
    assert "Kinderklinik Neu" in html
    assert "version 2 of the record was stored" in html
    assert ProcessingRecord.objects.filter(network=world.network).count() == 2
    first.refresh_from_db()
    assert "Kinderklinik Neu" not in json.dumps(first.content)
    old = page(client, world, 1)
    assert "Kinderklinik Neu" not in old and "This is an earlier version; the newest is version 2." in old


def test_the_record_changes_when_a_legal_basis_is_first_used(world):
    first, _ = refresh(world)
    assert LegalBasis.DE_KKG_4 not in first.content["legal_bases"]
    assert first.content["legal_bases"] == [LegalBasis.DE_CONSENT]
    basis = DisclosureBasis.objects.create(
        case=world.case, basis=LegalBasis.DE_KKG_4, from_organisation=world.midwifery, invoked_by=world.midwife,
        justification="Gewichtige Anhaltspunkte", valid_until=timezone.localdate() + dt.timedelta(days=30), parents_informed=True)
    basis.to_organisations.add(world.youth_welfare)
    second, created = refresh(world)
    assert created and second.version == 2
    assert second.content["legal_bases"] == sorted([LegalBasis.DE_CONSENT, LegalBasis.DE_KKG_4])
    youth_welfare = next(r for r in second.content["recipients"] if r["organisation"] == world.youth_welfare.name)
    assert youth_welfare["legal_bases"] == 1 and youth_welfare["bases"] == [LegalBasis.DE_KKG_4]


def test_the_record_changes_when_a_retention_setting_changes(world, client):
    refresh(world)
    with override_settings(CASE_RETENTION_YEARS=7):
        html = page(client, world)
    assert "7 years after the case was closed" in html
    versions = list(ProcessingRecord.objects.filter(network=world.network).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].content["retention"][0]["value"] == 10 and versions[1].content["retention"][0]["value"] == 7


def test_a_revoked_consent_leaves_the_recipients(world):
    refresh(world)
    world.consent.revoked_at = timezone.now()
    world.consent.save(update_fields=["revoked_at"])
    second, created = refresh(world)
    assert created
    assert all(r["organisation"] != world.counselling.name for r in second.content["recipients"])


@override_settings(PROCESSORS=[{"kind": "hosting", "name": "Kommunales Rechenzentrum Minden"}])
def test_configured_processors_are_listed(world, client):
    assert "Kommunales Rechenzentrum Minden" in page(client, world)


def test_versions_are_listed_with_their_dates(world, client):
    refresh(world)
    Organisation.objects.create(network=world.network, name="Kinderklinik Neu", kind=OrganisationKind.PAEDIATRICS)
    refresh(world)
    client.force_login(world.dpo)
    html = client.get(reverse("records:versions", args=[world.network.slug])).content.decode()
    assert "Version 2" in html and "Version 1" in html
    assert html.index("Version 2") < html.index("Version 1")


def test_downloads_carry_the_version_and_never_a_case(world, client):
    record, _ = refresh(world)
    client.force_login(world.dpo)
    url = lambda fmt: reverse("records:download", args=[world.network.slug, record.version, fmt])  # noqa: E731
    body = client.get(url("json"))
    assert body["Content-Disposition"].startswith('attachment; filename="record-of-processing-kreis-test-v1-')
    data = json.loads(body.content)
    assert data["version"] == 1 and data["content_hash"] == facts.content_hash(data["content"])
    csv_text = client.get(url("csv")).content.decode("utf-8-sig")
    assert world.counselling.name in csv_text and "Retention periods" in csv_text
    html = client.get(url("html")).content.decode()
    assert "Record of processing activities" in html and record.content_hash in html
    for text in (body.content.decode(), csv_text, html):
        for secret in (world.case.reference, world.other_case.reference, world.mother.display_name + " ", "Baby"):
            assert secret not in text
    assert client.get(reverse("records:download", args=[world.network.slug, record.version, "xml"])).status_code == 404
    assert client.get(reverse("records:version", args=[world.network.slug, 99])).status_code == 404


def test_the_record_page_is_german_formal_when_asked(world, client):
    client.force_login(world.dpo)
    html = client.get(reverse("records:record", args=[world.network.slug]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Verzeichnis von Verarbeitungstätigkeiten" in html
    assert "10 Jahre nach Abschluss des Falls" in html


def test_the_dashboard_summary_names_the_latest_version_for_the_officer_only(world):
    assert selectors.latest_record_summary(world.dpo, world.network)["version"] is None
    refresh(world)
    summary = selectors.latest_record_summary(world.dpo, world.network)
    assert summary["version"] == 1 and summary["created_at"] is not None
    assert summary["dpia"]["dsk"] == {"label": "German (DSK guidance)", "sections_saved": 0, "sections_total": 10,
                                      "last_saved_at": None, "default": True}
    for other in (world.convenor, world.board_member, world.coordinator, world.admin, world.parent):
        assert selectors.latest_record_summary(other, world.network) is None


def test_only_the_officer_or_a_system_command_may_generate(world):
    from django.core.exceptions import PermissionDenied

    for actor in (world.convenor, world.admin, "someone"):
        with pytest.raises(PermissionDenied):
            services.processing_record_refresh(actor, network=world.network)
    assert not ProcessingRecord.objects.exists()


def test_the_record_names_the_audit_anchors_once_one_is_written(world):
    from permissions import anchors

    first, _ = refresh(world)
    assert {"code": "audit_anchors", "value": False} in first.content["measures"]
    anchors.write_anchor()
    second, created = refresh(world)
    assert created and {"code": "audit_anchors", "value": True} in second.content["measures"]


def test_a_legal_hold_in_force_is_counted_among_the_measures(world):
    from cases.models import LegalHold

    first, _ = refresh(world)
    assert {"code": "legal_holds", "value": 0} in first.content["measures"]
    LegalHold.objects.create(case=world.case, ground=LegalHold.Ground.COURT, reason="Az. 1 F 2/26",
                             review_on=timezone.localdate() + dt.timedelta(days=30), set_by=world.dpo)
    second, _ = refresh(world)
    assert {"code": "legal_holds", "value": 1} in second.content["measures"]
    assert "Az. 1 F 2/26" not in json.dumps(second.content)


def test_the_daily_command_stores_a_version_only_where_the_configuration_changed(world):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("generate_processing_records", stdout=out)
    assert "kreis-test: version 1 (stored)" in out.getvalue() and "region-anders: version 1 (stored)" in out.getvalue()
    Organisation.objects.create(network=world.network, name="Kinderklinik Neu", kind=OrganisationKind.PAEDIATRICS)
    out = io.StringIO()
    call_command("generate_processing_records", stdout=out)
    assert "kreis-test: version 2 (stored)" in out.getvalue() and "region-anders: version 1 (unchanged)" in out.getvalue()
    events = AuditEvent.objects.filter(action="records.generate")
    assert events.count() == 3 and {e.actor_label for e in events} == {"generate_processing_records"}
