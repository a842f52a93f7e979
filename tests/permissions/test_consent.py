"""Consent given -> visible; revoked -> invisible on the very next request; expired -> invisible;
a legal basis without consent -> visible and audited with that basis."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import consent_services as services
from cases.models import Consent, DisclosureBasis
from permissions.models import AuditEvent
from protocols import policy as protocols_policy

pytestmark = pytest.mark.django_db


def sees(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


def test_recording_a_consent_makes_the_restricted_item_visible_to_the_receiving_organisation(world, client):
    assert not sees(world.midwife, world.item_restricted)
    today = timezone.localdate()
    client.force_login(world.convenor)
    response = client.post(reverse("cases:consent_create", args=[world.case.pk]), {
        "given_by": world.mother.pk, "from_organisation": world.youth_welfare.pk, "to_organisations": [world.midwifery.pk],
        "categories": [world.item_restricted.category], "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(), "form_reference": "SE-1",
    })
    assert response.status_code == 302
    assert sees(world.midwife, world.item_restricted)
    assert AuditEvent.objects.filter(action="consent.record", case=world.case).exists()


def test_bad_consent_input_changes_nothing_and_names_the_field(world, client):
    client.force_login(world.convenor)
    before = Consent.objects.count()
    response = client.post(reverse("cases:consent_create", args=[world.case.pk]), {
        "given_by": world.mother.pk, "from_organisation": world.youth_welfare.pk, "to_organisations": [world.youth_welfare.pk],
        "categories": ["finances_housing"], "valid_from": "2026-05-01", "valid_until": "2026-04-01", "form_reference": "SE-2",
    })
    assert response.status_code == 400
    assert Consent.objects.count() == before
    assert "valid_until" in response.context["form"].errors


def test_a_parent_revokes_her_consent_and_the_item_disappears_on_the_next_request(world, client):
    assert sees(world.counsellor, world.item_restricted)
    client.force_login(world.parent)
    page = client.get(reverse("cases:my_consents"))
    assert page.status_code == 200 and "Jugendamt Test" in page.content.decode()
    response = client.post(reverse("cases:consent_revoke", args=[world.consent.pk]))
    assert response.status_code == 302
    world.consent.refresh_from_db()
    assert world.consent.revoked_at is not None and world.consent.revoked_by == world.parent
    assert not sees(world.counsellor, world.item_restricted)
    client.force_login(world.counsellor)
    api = client.get("/api/consents/", {"case": world.case.pk}).json()
    assert [c["state"] for c in api["results"]] == ["revoked"]  # stays on record


def test_revoking_through_the_api_takes_effect_at_once(world, client):
    client.force_login(world.counsellor)
    response = client.post(f"/api/consents/{world.consent.pk}/revoke/")
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    assert not sees(world.counsellor, world.item_restricted)
    assert client.post(f"/api/consents/{world.consent.pk}/revoke/").status_code == 400


def test_expired_consent_hides_the_item(world):
    Consent.objects.filter(pk=world.consent.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert not sees(world.counsellor, world.item_restricted)


def test_a_legal_basis_without_consent_discloses_and_is_audited_with_that_basis(world, client):
    today = timezone.localdate()
    client.force_login(world.convenor)
    response = client.post(reverse("cases:disclosure_basis_create", args=[world.case.pk]), {
        "basis": "de_65_1_2_family_court", "from_organisation": world.youth_welfare.pk, "to_organisations": [world.midwifery.pk],
        "justification": "Anrufung des Familiengerichts nach § 8a", "invoked_on": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=14)).isoformat(), "parents_informed": "", "not_informed_reason": "Gefährdung des Kindes",
    })
    assert response.status_code == 302
    basis = DisclosureBasis.objects.get()
    assert sees(world.midwife, world.item_restricted)
    assert protocols_policy.disclosure_basis_for(world.midwife, world.item_restricted) == f"de_65_1_2_family_court:{basis.pk}"
    assert AuditEvent.objects.filter(action="disclosure_basis.record", legal_basis=f"de_65_1_2_family_court:{basis.pk}").exists()


def test_only_the_bases_of_the_networks_country_can_be_chosen(world):
    with pytest.raises(Exception) as exc:
        services.disclosure_basis_record(
            world.convenor, case=world.case, basis="dk_underretning", from_organisation=world.youth_welfare,
            to_organisations=[world.midwifery], justification="x", invoked_on=timezone.localdate(),
            valid_until=timezone.localdate(), parents_informed=True)
    assert "basis" in exc.value.message_dict


def test_parents_not_informed_needs_a_reason(world):
    with pytest.raises(Exception) as exc:
        services.disclosure_basis_record(
            world.convenor, case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare,
            to_organisations=[world.midwifery], justification="x", invoked_on=timezone.localdate(),
            valid_until=timezone.localdate(), parents_informed=False)
    assert "not_informed_reason" in exc.value.message_dict


def test_api_rejects_bad_consent_with_field_reasons_and_hides_foreign_consents(world, client):
    client.force_login(world.outsider)
    assert client.get(f"/api/consents/{world.consent.pk}/").status_code == 404
    assert client.post(f"/api/consents/{world.consent.pk}/revoke/").status_code == 404
    assert client.get("/api/consents/").json()["results"] == []
    client.force_login(world.convenor)
    response = client.post("/api/consents/", {"case": world.case.pk}, content_type="application/json")
    assert response.status_code == 400 and "given_by" in response.json()


def test_api_records_a_consent(world, client):
    client.force_login(world.counsellor)
    today = timezone.localdate()
    response = client.post("/api/consents/", {
        "case": world.case.pk, "given_by": world.mother.pk, "from_organisation": world.counselling.pk,
        "to_organisations": [world.youth_welfare.pk], "categories": ["addiction_treatment"],
        "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=90)).isoformat(), "form_reference": "SB-7",
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["categories"] == ["addiction_treatment"]
    assert AuditEvent.objects.filter(action="consent.record", channel="api").exists()
