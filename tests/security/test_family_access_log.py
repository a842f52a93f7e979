"""A parent's "who read my data" log must not reveal a legal basis the parents were deliberately
not told about (§ 8a SGB VIII / § 4 KKG: informing them would endanger the child)."""
from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from cases import consent_services as services
from cases.models import LegalBasis
from protocols import selectors


def _uninformed_basis(world):
    today = timezone.localdate()
    return services.disclosure_basis_record(
        world.convenor, case=world.case, basis=LegalBasis.DE_KKG_4, from_organisation=world.youth_welfare,
        to_organisations=[world.midwifery], justification="Gefährdung", invoked_on=today,
        valid_until=today + dt.timedelta(days=30), parents_informed=False, not_informed_reason="Gefährdet das Kind",
    )


def test_a_parent_does_not_learn_from_her_access_log_of_a_legal_basis_she_was_not_informed_about(world, client):
    record = _uninformed_basis(world)
    selectors.get_item_for_user(world.midwife, world.item_restricted.pk)  # readable now only through the basis
    from permissions.audit import record as audit_record
    audit_record(world.midwife, action="protocol.item.read", obj=world.item_restricted, case_id=world.case.pk,
                 channel="page", legal_basis=f"{record.basis}:{record.pk}")
    client.force_login(world.parent)
    for fmt in ("", "csv", "json"):
        page = client.get(reverse("access:my_data") + (f"?format={fmt}" if fmt else "")).content.decode()
        assert "disclosure_basis" not in page and LegalBasis.DE_KKG_4 not in page, fmt
        assert "disclosurebasis" not in page, fmt


def test_a_parent_still_sees_a_legal_basis_she_was_told_about(world, client):
    today = timezone.localdate()
    services.disclosure_basis_record(
        world.convenor, case=world.case, basis=LegalBasis.DE_KKG_4, from_organisation=world.youth_welfare,
        to_organisations=[world.midwifery], justification="Gefährdung", invoked_on=today,
        valid_until=today + dt.timedelta(days=30), parents_informed=True,
    )
    client.force_login(world.parent)
    page = client.get(reverse("access:my_data") + "?format=csv").content.decode()
    assert "Legal basis for disclosure – changed" in page
