"""Matrix cells for the data-protection officer's file (issue 17): data-subject requests are seen
only by the officer, and by the caseworker on her recorded instruction; the dashboard and the
access export are the officer's alone; data under restriction (Art. 18) is read with a reason only
by the case team, on the page and in the API. Pages: 200/302 allowed, 404 otherwise, 302 to the
login for anonymous. API: 200 allowed, 404 invisible, 403 anonymous (session authentication)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyMember
from permissions.models import AuditEvent
from privacy import services
from privacy.models import DataSubjectRequest, ProcessingRestriction
from tests.matrix.roles import ROLES, client_for

pytestmark = pytest.mark.django_db

URL_NAMES = {
    "privacy:dashboard", "privacy:verify_trail", "privacy:request_list", "privacy:request_create",
    "privacy:request_detail", "privacy:request_extend", "privacy:request_close", "privacy:request_restrict",
    "privacy:request_export", "privacy:restriction_lift", "privacy:restrictions", "privacy:restricted_read",
    "restricted-read",
}
TEAM = {"convenor", "lead_colleague", "counsellor", "midwife"}
LEADS_A_CASE = {"convenor", "lead_colleague"}       # lead caseworkers (the colleague leads the other case)
SECRET = "Nur mit Schweigepflichtentbindung."       # the item the mother entrusted
DESCRIPTION = "Auskunft über alle Daten, DSR-7731"
NEEDS = "Methadonausgabe 8:30 Uhr, danach erst ab 10 Uhr"   # the mother's access needs


def expect(role: str, allowed: set[str], *, ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    return ok if role in allowed else 404


def _request(world, *, kind=DataSubjectRequest.Kind.RESTRICTION, delegated: bool = False) -> DataSubjectRequest:
    extra = {"actor": world.convenor, "instructed_by": world.dpo} if delegated else {"actor": world.dpo}
    actor = extra.pop("actor")
    return services.request_record(actor, case=world.case, family_member=world.mother, kind=kind,
                                   received_on=timezone.localdate(), identity_check="account", description=DESCRIPTION, **extra)


def _restriction(world) -> ProcessingRestriction:
    return services.restriction_set(world.dpo, request=_request(world), grounds="Bis die Richtigkeit geprüft ist")


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_is_the_officers_alone(world, client, role):
    _request(world)
    response = client_for(client, world, role).get(reverse("privacy:dashboard"))
    assert response.status_code == expect(role, {"dpo"})
    if response.status_code == 200:
        assert "Restriction of processing (Art. 18)" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_verifying_the_trail_from_the_dashboard(world, client, role, settings, tmp_path):
    settings.AUDIT_ANCHOR_DIR = str(tmp_path)
    response = client_for(client, world, role).post(reverse("privacy:verify_trail"))
    assert response.status_code == expect(role, {"dpo"}, ok=302)
    assert AuditEvent.objects.filter(action="audit.verify").exists() == (role == "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_the_request_list_shows_requests_to_the_officer_and_the_instructed_caseworker_only(world, client, role):
    _request(world, delegated=True)
    response = client_for(client, world, role).get(reverse("privacy:request_list"))
    assert response.status_code == expect(role, {"dpo"} | LEADS_A_CASE)
    if response.status_code == 200:
        shows = reverse("privacy:request_detail", args=[DataSubjectRequest.objects.get().pk]) in response.content.decode()
        assert shows == (role in {"dpo", "convenor"})


@pytest.mark.parametrize("role", ROLES)
def test_looking_up_a_case_to_record_a_request(world, client, role):
    response = client_for(client, world, role).get(reverse("privacy:request_list"), {"reference": world.case.reference})
    expected = 400 if role == "lead_colleague" else expect(role, {"dpo", "convenor"})  # she leads another case only
    assert response.status_code == expected
    if response.status_code == 200:
        assert "M. (Mother)" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_recording_a_request(world, client, role):
    data = {"reference": world.case.reference, "family_member": world.mother.pk, "kind": "access",
            "received_on": timezone.localdate().isoformat(), "identity_check": "document", "instructed_by": world.dpo.pk}
    response = client_for(client, world, role).post(reverse("privacy:request_create"), data)
    allowed = {"dpo", "convenor"}
    expected = 400 if role == "lead_colleague" else expect(role, allowed, ok=302)  # she leads another case only
    assert response.status_code == expected
    assert DataSubjectRequest.objects.exists() == (role in allowed)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("delegated", [False, True], ids=["officer", "delegated"])
def test_a_request_page_with_its_description(world, client, role, delegated):
    request = _request(world, delegated=delegated)
    response = client_for(client, world, role).get(reverse("privacy:request_detail", args=[request.pk]))
    allowed = {"dpo", "convenor"} if delegated else {"dpo"}
    assert response.status_code == expect(role, allowed)
    if response.status_code == 200:
        assert DESCRIPTION in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_extending_a_delegated_request(world, client, role):
    request = _request(world, delegated=True)
    response = client_for(client, world, role).post(reverse("privacy:request_extend", args=[request.pk]), {"reason": "Akte umfangreich"})
    assert response.status_code == expect(role, {"dpo", "convenor"}, ok=302)
    request.refresh_from_db()
    assert (request.extended_due_on is not None) == (role in {"dpo", "convenor"})


@pytest.mark.parametrize("role", ROLES)
def test_closing_a_request(world, client, role):
    request = _request(world, kind=DataSubjectRequest.Kind.OBJECTION)
    response = client_for(client, world, role).post(reverse("privacy:request_close", args=[request.pk]),
                                                    {"outcome": "refused", "note": "§ 8a-Verfahren"})
    assert response.status_code == expect(role, {"dpo"}, ok=302)
    request.refresh_from_db()
    assert (request.outcome == "refused") == (role == "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_restricting_from_a_request(world, client, role):
    request = _request(world)
    response = client_for(client, world, role).post(reverse("privacy:request_restrict", args=[request.pk]), {"grounds": "Prüfung"})
    assert response.status_code == expect(role, {"dpo"}, ok=302)
    assert ProcessingRestriction.objects.exists() == (role == "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_the_access_export_is_the_officers_alone(world, client, role):
    request = _request(world, kind=DataSubjectRequest.Kind.ACCESS, delegated=True)
    response = client_for(client, world, role).get(reverse("privacy:request_export", args=[request.pk]), {"format": "json"})
    assert response.status_code == expect(role, {"dpo"})
    assert AuditEvent.objects.filter(action="dsr.access_export").exists() == (role == "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_lifting_a_restriction(world, client, role):
    restriction = _restriction(world)
    response = client_for(client, world, role).post(reverse("privacy:restriction_lift", args=[restriction.pk]))
    assert response.status_code == expect(role, {"dpo"}, ok=302)
    restriction.refresh_from_db()
    assert (restriction.lifted_at is not None) == (role == "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_the_list_of_restricted_people_is_for_professionals_and_names_only_their_cases(world, client, role):
    restriction = _restriction(world)
    response = client_for(client, world, role).get(reverse("privacy:restrictions"))
    # every professional: the overview links here for all of them (one without a case in this
    # network, the foreign professional, gets the empty list, not a dead end)
    assert response.status_code == expect(role, TEAM | {"outsider", "foreign_professional"})
    if response.status_code == 200:
        link = reverse("privacy:restricted_read", args=[restriction.pk])
        assert (link in response.content.decode()) == (role in TEAM)


@pytest.mark.parametrize("role", ROLES)
def test_reading_restricted_data_with_a_reason_on_the_page(world, client, role):
    restriction = _restriction(world)
    c = client_for(client, world, role)
    url = reverse("privacy:restricted_read", args=[restriction.pk])
    assert c.get(url).status_code == expect(role, TEAM)
    response = c.post(url, {"reason": "Schutz des Kindes"})
    assert response.status_code == expect(role, TEAM)
    if response.status_code == 200:
        # only as far as she could read it without the restriction: not the midwife (no consent)
        assert (SECRET in response.content.decode()) == (role in {"convenor", "lead_colleague", "counsellor"})
    reads = AuditEvent.objects.filter(action="restriction.read")
    assert reads.exists() == (role in TEAM)
    if role in TEAM:
        assert reads.get().detail["reason"] == "Schutz des Kindes"


@pytest.mark.parametrize("role", ROLES)
def test_reading_restricted_data_with_a_reason_in_the_api(world, client, role):
    restriction = _restriction(world)
    response = client_for(client, world, role).post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Schutz des Kindes"},
                                                    content_type="application/json")
    assert response.status_code == (403 if role == "anonymous" else 200 if role in TEAM else 404)
    if response.status_code == 200:
        texts = [i["text"] for i in response.json()["items"]]
        assert (SECRET in texts) == (role in {"convenor", "lead_colleague", "counsellor"})
    assert AuditEvent.objects.filter(action="restriction.read", channel="api").exists() == (role in TEAM)


@pytest.mark.parametrize("role", ROLES)
def test_reading_her_access_needs_with_a_reason_on_the_page_and_in_the_api(world, client, role):
    """Her access needs (health information, possibly) are refused to the normal reads and read
    with a reason by the case team, as far as it reads them without the restriction (the team
    reads the needs of a family member invited to its conference, the midwife too)."""
    FamilyMember.objects.filter(pk=world.mother.pk).update(access_needs=NEEDS)
    restriction = _restriction(world)
    c = client_for(client, world, role)
    conference = c.get(reverse("conferences:conference_detail", args=[world.conference.pk]))
    assert NEEDS not in conference.content.decode() or role == "parent"  # she reads her own
    page = c.post(reverse("privacy:restricted_read", args=[restriction.pk]), {"reason": "Barrierefreier Raum"})
    assert page.status_code == expect(role, TEAM)
    assert (NEEDS in page.content.decode()) == (role in TEAM)
    api = c.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Barrierefreier Raum"},
                 content_type="application/json")
    assert api.status_code == (403 if role == "anonymous" else 200 if role in TEAM else 404)
    if api.status_code == 200:
        assert api.json()["access_needs"] == NEEDS
    assert [e.detail["access_needs"] for e in AuditEvent.objects.filter(action="restriction.read")] == (
        [[world.mother.pk]] * 2 if role in TEAM else [])


@pytest.mark.parametrize("role", ROLES)
def test_restricted_data_is_refused_to_every_normal_read(world, client, role):
    _restriction(world)
    c = client_for(client, world, role)
    response = c.get(f"/api/protocol-items/{world.item_restricted.pk}/")
    assert response.status_code == (403 if role == "anonymous" else 404)
    consent = c.get(f"/api/consents/{world.consent.pk}/")
    assert consent.status_code == (403 if role == "anonymous" else 200 if role == "parent" else 404)  # she sees her own
