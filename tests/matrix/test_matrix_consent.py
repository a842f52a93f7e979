"""Matrix cells for the consent, legal-basis and audit pages and API, every role.

Page cells: 200 allowed, 404 invisible object, 403 visible but not allowed, 302 to login for
anonymous. API cells: 200/201 allowed, 404 invisible, 403 anonymous (session authentication).
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import DisclosureBasis
from tests.matrix.roles import ROLES, client_for

pytestmark = pytest.mark.django_db

URL_NAMES = {
    "cases:case_consents", "cases:consent_create", "cases:disclosure_basis_create",
    "cases:consent_revoke", "cases:my_consents", "access:audit_log", "access:my_data",
    "consent-list", "consent-detail", "consent-revoke", "disclosure-basis-list", "disclosure-basis-detail",
    "cases:consent_give", "cases:consent_object", "consent-object", "participants:organisation_members",
    "cases:disclosure_basis_end", "disclosure-basis-end",
}

TEAM = {"convenor", "lead_colleague", "counsellor", "midwife"}
SEES_CASE = TEAM | {"parent"}
PARENTS = {"parent", "other_parent"}


def page_expect(role: str, allowed: set[str], visible: set[str] | None = None) -> int:
    if role == "anonymous":
        return 302
    if role in allowed:
        return 200
    return 403 if visible and role in visible else 404


def api_expect(role: str, allowed: set[str]) -> int:
    if role == "anonymous":
        return 403
    return 200 if role in allowed else 404


@pytest.fixture
def basis(world):
    record = DisclosureBasis.objects.create(
        case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare, invoked_by=world.convenor,
        justification="Gewichtige Anhaltspunkte", valid_until=timezone.localdate() + dt.timedelta(days=7), parents_informed=True)
    record.to_organisations.set([world.midwifery])
    return record


@pytest.mark.parametrize("role", ROLES)
def test_consent_pages(world, client, role):
    c = client_for(client, world, role)
    case = world.case.pk
    assert c.get(reverse("cases:case_consents", args=[case])).status_code == page_expect(role, SEES_CASE)
    assert c.get(reverse("cases:consent_create", args=[case])).status_code == page_expect(role, TEAM, SEES_CASE)
    assert c.get(reverse("cases:disclosure_basis_create", args=[case])).status_code == page_expect(role, TEAM, SEES_CASE)
    assert c.get(reverse("cases:consent_revoke", args=[world.consent.pk])).status_code == page_expect(role, SEES_CASE)
    assert c.get(reverse("cases:my_consents")).status_code == page_expect(role, PARENTS)


@pytest.mark.parametrize("role", ROLES)
def test_audit_pages(world, client, role):
    c = client_for(client, world, role)
    assert c.get(reverse("access:audit_log")).status_code == page_expect(role, {"dpo"})
    assert c.get(reverse("access:my_data")).status_code == page_expect(role, PARENTS)
    assert c.get(reverse("access:my_data"), {"format": "json"}).status_code == page_expect(role, PARENTS)


@pytest.mark.parametrize("role", ROLES)
def test_consent_api(world, client, basis, role):
    c = client_for(client, world, role)
    listing = c.get(reverse("consent-list"))
    if role == "anonymous":
        assert listing.status_code == 403
    else:
        assert listing.status_code == 200
        assert [row["id"] for row in listing.json()["results"]] == ([world.consent.pk] if role in SEES_CASE else [])
    assert c.get(reverse("consent-detail", args=[world.consent.pk])).status_code == api_expect(role, SEES_CASE)
    bases = c.get(reverse("disclosure-basis-list"))
    if role != "anonymous":
        assert [row["id"] for row in bases.json()["results"]] == ([basis.pk] if role in TEAM else [])
    assert c.get(reverse("disclosure-basis-detail", args=[basis.pk])).status_code == api_expect(role, TEAM)
    # revoking last: it changes the world
    assert c.post(reverse("consent-revoke", args=[world.consent.pk])).status_code == api_expect(role, SEES_CASE)


@pytest.mark.parametrize("role", ROLES)
def test_giving_and_objecting_to_consent(world, client, role):
    """Only the parent gives a consent herself or objects to one in her name; the team sees the
    consent but may not object for her (403); everyone else learns nothing (404)."""
    c = client_for(client, world, role)
    assert c.get(reverse("cases:consent_give", args=[world.case.pk])).status_code == page_expect(role, {"parent"})
    api = c.post(reverse("consent-object", args=[world.consent.pk]))
    assert api.status_code == (403 if role == "anonymous" else 200 if role == "parent" else 403 if role in SEES_CASE else 404)
    page = c.post(reverse("cases:consent_object", args=[world.consent.pk]))
    if role == "anonymous":
        assert page.status_code == 302 and "login" in page["Location"]
    elif role == "parent":
        assert page.status_code == 302 and page["Location"] == reverse("cases:my_consents")
    else:
        assert page.status_code == (403 if role in SEES_CASE else 404)


@pytest.mark.parametrize("role", ROLES)
def test_organisation_members_page(world, client, role):
    """The page a lead's notification opens: only leads of an organisation (here the counsellor)."""
    from participants.models import Membership

    Membership.objects.filter(user=world.counsellor).update(is_lead=True)
    c = client_for(client, world, role)
    assert c.get(reverse("participants:organisation_members")).status_code == page_expect(role, {"counsellor"})


# The disclosing organisation's people on the team (here youth welfare) end a legal basis; the
# rest of the team sees it but may not end it (403); everyone else learns nothing (404).
ENDS_BASIS = {"convenor", "lead_colleague"}


@pytest.mark.parametrize("role", ROLES)
def test_ending_a_legal_basis(world, client, basis, role):
    c = client_for(client, world, role)
    assert c.get(reverse("cases:disclosure_basis_end", args=[basis.pk])).status_code == page_expect(role, ENDS_BASIS, TEAM)
    api = c.post(reverse("disclosure-basis-end", args=[basis.pk]))
    assert api.status_code == (403 if role == "anonymous" else 200 if role in ENDS_BASIS else 403 if role in TEAM else 404)
    basis.refresh_from_db()
    assert (basis.ended_at is not None) == (role in ENDS_BASIS)
    page = c.post(reverse("cases:disclosure_basis_end", args=[basis.pk]))
    if role == "anonymous":
        assert page.status_code == 302 and "login" in page["Location"]
    elif role in ENDS_BASIS:  # already ended: she is told so, nothing changes
        assert page.status_code == 302 and page["Location"] == reverse("cases:case_consents", args=[world.case.pk])
    else:
        assert page.status_code == (403 if role in TEAM else 404)
