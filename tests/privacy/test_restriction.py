"""Art. 18: a restricted person's data (items she entrusted, her consents) is refused to every
normal read, on the page and in the API, and read only with a reason, which the audit event keeps."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyMember
from permissions.models import AuditEvent
from privacy import services
from privacy.models import DataSubjectRequest
from tests.world import make_professional

pytestmark = pytest.mark.django_db
SECRET = "Nur mit Schweigepflichtentbindung."


@pytest.fixture
def restriction(world):
    request = services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                      kind=DataSubjectRequest.Kind.RESTRICTION, received_on=timezone.localdate(),
                                      identity_check="account")
    return services.restriction_set(world.dpo, request=request, grounds="Bis die Richtigkeit geprüft ist")


def _pages(client, world) -> str:
    client.force_login(world.convenor)
    protocol = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    client.force_login(world.counsellor)
    return protocol + client.get(reverse("cases:case_consents", args=[world.case.pk])).content.decode()


def test_before_the_restriction_the_team_reads_what_she_entrusted_and_her_consent(world, client):
    page = _pages(client, world)
    assert SECRET in page and "SE-2026-17" in page
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 200
    assert client.get(f"/api/consents/{world.consent.pk}/").status_code == 200


def test_a_restricted_persons_data_is_refused_to_normal_reads_on_page_and_api(world, client, restriction):
    page = _pages(client, world)
    assert SECRET not in page and "SE-2026-17" not in page
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 404
    assert world.item_restricted.pk not in [i["id"] for i in client.get("/api/protocol-items/").json()["results"]]
    assert client.get(f"/api/consents/{world.consent.pk}/").status_code == 404
    client.force_login(world.convenor)  # the holding organisation too
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 404


def test_she_herself_still_sees_her_consents(world, client, restriction):
    client.force_login(world.parent)
    assert client.get(f"/api/consents/{world.consent.pk}/").status_code == 200


def test_a_read_with_a_reason_on_the_page_is_allowed_and_audited_with_the_reason(world, client, restriction):
    client.force_login(world.counsellor)
    url = reverse("privacy:restricted_read", args=[restriction.pk])
    assert SECRET not in client.get(url).content.decode()
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and SECRET not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="restriction.read").exists()
    response = client.post(url, {"reason": "Gefährdungseinschätzung nach § 8a"})
    assert response.status_code == 200 and SECRET in response.content.decode()
    event = AuditEvent.objects.get(action="restriction.read")
    assert event.actor == world.counsellor and event.channel == "page" and event.case_id == world.case.pk
    assert event.detail["reason"] == "Gefährdungseinschätzung nach § 8a"
    assert event.legal_basis == f"restriction:{restriction.pk}"
    assert event.detail["items"] == [world.item_restricted.pk] and event.detail["consents"] == [world.consent.pk]


def test_a_read_with_a_reason_in_the_api_is_allowed_and_audited_with_the_reason(world, client, restriction):
    client.force_login(world.counsellor)
    refused = client.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": ""}, content_type="application/json")
    assert refused.status_code == 400 and "reason" in refused.json()
    response = client.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Schutz des Kindes"},
                           content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert [i["text"] for i in body["items"]] == [SECRET] and [c["id"] for c in body["consents"]] == [world.consent.pk]
    event = AuditEvent.objects.get(action="restriction.read")
    assert event.channel == "api" and event.detail["reason"] == "Schutz des Kindes"


def test_the_midwife_without_consent_reads_nothing_more_under_restriction(world, client, restriction):
    client.force_login(world.midwife)
    body = client.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Neugier"},
                       content_type="application/json").json()
    assert body["items"] == []


def test_lifting_the_restriction_restores_normal_reads(world, client, restriction):
    services.restriction_lift(world.dpo, restriction=restriction)
    client.force_login(world.counsellor)
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 200
    assert client.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "x"},
                       content_type="application/json").status_code == 404


def test_her_access_log_names_the_read_under_restriction_in_plain_words_but_not_the_request(world, client, restriction):
    client.force_login(world.counsellor)
    client.post(reverse("privacy:restricted_read", args=[restriction.pk]), {"reason": "Schutz des Kindes"})
    client.force_login(world.parent)
    rows = client.get(reverse("access:my_data") + "?format=json").json()["events"]
    read = [r for r in rows if r["what"] == "Restricted data – read"]
    assert len(read) == 1 and read[0]["basis"] == "Read despite a restriction of processing, with a recorded reason"
    assert "Counsellor" in read[0]["who"]
    assert not any(r["what"] == "Restricted data – changed" for r in rows)  # setting it was the request's step


def test_the_officer_sees_each_read_under_restriction_with_its_reason_and_the_caseworker_does_not(world, client,
                                                                                                   restriction):
    services.restricted_read(world.counsellor, restriction=restriction, reason="Gefährdungseinschätzung nach § 8a")
    url = reverse("privacy:request_detail", args=[restriction.request.pk])
    client.force_login(world.dpo)
    page = client.get(url).content.decode()
    assert "Gefährdungseinschätzung nach § 8a" in page and world.counsellor.get_username() in page
    instructed = services.request_record(world.convenor, case=world.case, family_member=world.mother,
                                         kind=DataSubjectRequest.Kind.OBJECTION, received_on=timezone.localdate(),
                                         identity_check="account", instructed_by=world.dpo)
    client.force_login(world.convenor)
    response = client.get(reverse("privacy:request_detail", args=[instructed.pk]))
    assert response.status_code == 200 and "Gefährdungseinschätzung" not in response.content.decode()


def test_a_professional_without_a_case_follows_the_overview_link_to_an_empty_list_not_a_dead_end(world, client):
    """Found by crawling the demo network: staff of an organisation with offers only got a 'page
    not found' from the overview's link to the restricted data."""
    newcomer = make_professional("newcomer", world.early_help)
    client.force_login(newcomer)
    overview = client.get(reverse("dashboard")).content.decode()
    link = reverse("privacy:restrictions")
    assert f'href="{link}"' in overview
    page = client.get(link)
    assert page.status_code == 200 and "None on your cases." in page.content.decode()


# --- her access needs (health information, possibly) -----------------------------------------------

NEEDS = "Methadonausgabe 8:30 Uhr, danach erst ab 10 Uhr"


def test_her_access_needs_are_read_with_a_reason_on_the_page_and_in_the_api_and_audited(world, client, restriction):
    FamilyMember.objects.filter(pk=world.mother.pk).update(access_needs=NEEDS)
    client.force_login(world.counsellor)
    conference = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert NEEDS not in conference  # the normal read leaves them out
    page = client.post(reverse("privacy:restricted_read", args=[restriction.pk]), {"reason": "Barrierefreier Raum"})
    assert page.status_code == 200 and NEEDS in page.content.decode()
    body = client.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Barrierefreier Raum"},
                       content_type="application/json").json()
    assert body["access_needs"] == NEEDS
    events = AuditEvent.objects.filter(action="restriction.read").order_by("pk")
    assert [(e.channel, e.detail["access_needs"], e.legal_basis) for e in events] == [
        ("page", [world.mother.pk], f"restriction:{restriction.pk}"), ("api", [world.mother.pk], f"restriction:{restriction.pk}")]


def test_her_access_needs_are_not_given_where_the_reader_would_not_read_them_without_the_restriction(world, restriction):
    """The team reads a family member's needs with the conferences she is invited to: she is no
    longer invited to any, so the read with a reason gives none and names none."""
    FamilyMember.objects.filter(pk=world.mother.pk).update(access_needs=NEEDS)
    world.conference.invitations.filter(family_member=world.mother).update(removed_at=timezone.now())
    read = services.restricted_read(world.counsellor, restriction=restriction, reason="Barrierefreier Raum")
    assert read["access_needs"] == ""
    assert AuditEvent.objects.get(action="restriction.read").detail["access_needs"] == []
