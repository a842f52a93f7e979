"""Data-subject requests: recorded with deadline and identity check, extended with a reason,
closed with an outcome; erasure waits for a legal hold; access gives the parent's own export."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyMember, LegalHold
from permissions import anchors, audit
from permissions.models import AuditEvent
from privacy import deadlines, services
from privacy.models import DataSubjectRequest

pytestmark = pytest.mark.django_db
Kind = DataSubjectRequest.Kind


def _record(world, kind=Kind.ACCESS, member=None, actor=None, **extra):
    return services.request_record(actor or world.dpo, case=world.case, family_member=member or world.mother, kind=kind,
                                   received_on=extra.pop("received_on", timezone.localdate()),
                                   identity_check=extra.pop("identity_check", "document"), **extra)


def test_the_officer_records_a_request_with_its_working_day_deadline_and_it_is_audited(world):
    received = timezone.localdate() - dt.timedelta(days=3)
    request = _record(world, received_on=received)
    assert request.due_on == deadlines.answer_due(received, network=world.network)
    assert request.due_on.weekday() < 5
    event = AuditEvent.objects.get(action="dsr.record")
    assert event.case_id == world.case.pk and event.actor == world.dpo and event.detail["kind"] == "access"


def test_a_caseworker_records_only_on_the_officers_instruction(world):
    with pytest.raises(PermissionDenied):
        _record(world, actor=world.convenor)
    request = _record(world, actor=world.convenor, instructed_by=world.dpo)
    assert request.caseworker == world.convenor and request.instructed_by == world.dpo
    with pytest.raises(PermissionDenied):
        _record(world, actor=world.counsellor, instructed_by=world.dpo)


def test_an_account_check_needs_an_account(world):
    with pytest.raises(ValidationError) as error:
        _record(world, member=world.expected_child, identity_check="account")
    assert "identity_check" in error.value.message_dict


def test_the_extension_needs_a_reason_adds_two_months_and_happens_once(world):
    request = _record(world)
    with pytest.raises(ValidationError):
        services.request_extend(world.dpo, request=request, reason="  ")
    request = services.request_extend(world.dpo, request=request, reason="Umfangreiche Akte")
    assert request.extended_due_on == deadlines.extended_due(request.received_on, network=world.network)
    with pytest.raises(ValidationError):
        services.request_extend(world.dpo, request=request, reason="noch einmal")
    assert AuditEvent.objects.filter(action="dsr.extend").count() == 1


def test_erasure_is_not_granted_under_a_legal_hold_and_is_after_it_is_lifted(world):
    hold = LegalHold.objects.create(case=world.case, ground=LegalHold.Ground.COURT, reason="12 F 34/26",
                                    review_on=timezone.localdate() + dt.timedelta(days=30), set_by=world.dpo)
    request = _record(world, kind=Kind.ERASURE, member=world.expected_child)
    with pytest.raises(ValidationError) as error:
        services.request_close(world.dpo, request=request, outcome="granted")
    assert "legal hold" in str(error.value)
    world.expected_child.refresh_from_db()
    assert world.expected_child.display_name == "Baby"
    LegalHold.objects.filter(pk=hold.pk).update(lifted_at=timezone.now(), lifted_by=world.dpo)
    services.request_close(world.dpo, request=request, outcome="granted")
    world.expected_child.refresh_from_db()
    assert world.expected_child.display_name == "[erased]"
    assert AuditEvent.objects.get(action="dsr.close").detail["outcome"] == "granted"


def test_refusing_needs_a_reason(world):
    request = _record(world, kind=Kind.OBJECTION)
    with pytest.raises(ValidationError):
        services.request_close(world.dpo, request=request, outcome="refused")
    services.request_close(world.dpo, request=request, outcome="refused", note="§ 8a-Verfahren läuft")
    with pytest.raises(ValidationError):
        services.request_close(world.dpo, request=request, outcome="granted")


def test_access_gives_the_officer_the_export_the_parent_downloads_herself(world, client):
    client.force_login(world.parent)
    client.get(reverse("cases:case_detail", args=[world.case.pk]))
    own = client.get(reverse("access:my_data") + "?format=json").json()["events"]
    request = _record(world)
    client.force_login(world.dpo)
    response = client.get(reverse("privacy:request_export", args=[request.pk]) + "?format=json")
    assert response.status_code == 200
    exported = json.loads(response.content)["events"]
    # The same rows in the same words (the officer's request events stay out of the family log).
    assert exported == own and any(e["what"] == "Case – read" for e in exported)
    assert AuditEvent.objects.filter(action="dsr.access_export", actor=world.dpo, case=world.case).exists()


def test_access_for_a_person_without_an_account(world, client):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    audit.record(world.convenor, action="consent.record", obj=world.consent, case_id=world.case.pk)
    audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")
    request = _record(world, member=father)
    client.force_login(world.dpo)
    response = client.get(reverse("privacy:request_export", args=[request.pk]) + "?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Time,Who,What")
    assert any("Case – read" in line for line in lines)
    # the mother's consent is hers: its record is not in the father's log (it is in hers)
    assert not any("Consent – changed" in line for line in lines)
    mother_request = _record(world)
    mothers = client.get(reverse("privacy:request_export", args=[mother_request.pk]) + "?format=csv").content.decode("utf-8-sig")
    assert "Consent – changed" in mothers


def test_the_dashboard_shows_requests_by_deadline_with_the_overdue_one_marked(world, client):
    late = _record(world, received_on=timezone.localdate() - dt.timedelta(days=70))
    _record(world, kind=Kind.RECTIFICATION)
    client.force_login(world.dpo)
    response = client.get(reverse("privacy:dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "overdue since" in page
    assert page.index("Access (Art. 15)") < page.index("Rectification (Art. 16)")
    assert reverse("privacy:request_detail", args=[late.pk]) in page
    # no record of processing activities has been generated for the test network yet
    assert "Not yet generated." in page and reverse("records:record", args=[world.network.slug]) in page


def test_verifying_the_trail_from_the_dashboard_records_its_result(world, client, settings, tmp_path):
    settings.AUDIT_ANCHOR_DIR = str(tmp_path)
    client.force_login(world.dpo)
    page = client.get(reverse("privacy:dashboard")).content.decode()
    assert "No external anchor has been written yet." in page
    from permissions import anchors

    anchors.write_anchor(tmp_path)
    response = client.post(reverse("privacy:verify_trail"), follow=True)
    page = response.content.decode()
    assert "The audit trail is intact." in page and "Intact when last verified" in page
    assert "Last external anchor" in page
    assert AuditEvent.objects.filter(action="audit.verify").get().detail["intact"] is True


def test_the_scheduled_verification_is_shown_on_the_dashboard(world, client, settings, tmp_path, capsys):
    settings.AUDIT_ANCHOR_DIR = str(tmp_path)
    audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out
    event = AuditEvent.objects.get(action="audit.verify")
    assert event.channel == "command" and event.detail["intact"] is True
    client.force_login(world.dpo)
    page = client.get(reverse("privacy:dashboard")).content.decode()
    assert "Intact when last verified" in page and "(by the scheduled check)" in page
    assert 'id="audit-broken"' not in page


def test_a_broken_trail_found_by_the_scheduled_check_is_recorded_as_failed_and_shown_at_the_top(world, client, settings,
                                                                                                    tmp_path, capsys):
    settings.AUDIT_ANCHOR_DIR = str(tmp_path)
    events = [audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk) for _ in range(3)]
    call_command("anchor_audit")
    key = events[0].chain_key
    with connection.cursor() as cursor:  # an attacker deletes the case's whole chain
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM permissions_auditevent WHERE chain_key = %s", [key])
        cursor.execute("DELETE FROM permissions_auditchainhead WHERE chain_key = %s", [key])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert f"BROKEN chain {key}" in capsys.readouterr().out
    event = AuditEvent.objects.filter(action="audit.verify").latest("pk")
    assert event.channel == "command" and event.detail["intact"] is False and event.detail["broken_count"] >= 1
    client.force_login(world.dpo)
    page = client.get(reverse("privacy:dashboard")).content.decode()
    assert 'id="audit-broken"' in page and 'role="alert"' in page
    assert page.index('id="audit-broken"') < page.index('id="dpo-requests"')  # above everything else
    assert "broken link" in page and key in page
    # the next (intact) page-side verification does not hide that: it is still broken
    client.post(reverse("privacy:verify_trail"))
    assert AuditEvent.objects.filter(action="audit.verify").latest("pk").detail["intact"] is False


def test_verifying_a_restored_copy_with_no_record_writes_nothing(world, settings, tmp_path, capsys):
    settings.AUDIT_ANCHOR_DIR = str(tmp_path)
    before = AuditEvent.objects.count()
    call_command("verify_audit", "--no-record")
    assert "intact" in capsys.readouterr().out and AuditEvent.objects.count() == before


@pytest.mark.parametrize("language, texts", [
    ("de", ["Offene Anträge nach Frist", "Auskunft (Art. 15)", "überfällig seit", "Zugriffsprotokoll jetzt prüfen",
            "Zugriffsprotokoll der Person", "Frist um zwei Monate verlängern"]),
    ("da", ["Åbne anmodninger efter frist", "Indsigt (art. 15)", "overskredet siden", "Kontrollér logningen nu",
            "Hendes adgangslog", "Forlæng fristen med to måneder"]),
])
def test_the_officers_pages_speak_german_and_danish(world, client, language, texts):
    late = _record(world, received_on=timezone.localdate() - dt.timedelta(days=70))
    request = _record(world)
    client.force_login(world.dpo)
    client.cookies["django_language"] = language
    page = client.get(reverse("privacy:dashboard")).content.decode() + \
        client.get(reverse("privacy:request_detail", args=[request.pk])).content.decode()
    late_page = client.get(reverse("privacy:request_detail", args=[late.pk])).content.decode()
    assert reverse("privacy:request_extend", args=[late.pk]) not in late_page  # past its deadline: no extension
    for text in texts:
        assert text in page, text
    assert "Open requests by deadline" not in page and request.received_on.isoformat() not in page


def test_the_caseworker_finds_the_requests_she_handles_from_her_dashboard(world, client):
    request = _record(world, actor=world.convenor, instructed_by=world.dpo)
    client.force_login(world.convenor)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("privacy:request_list") in page
    listing = client.get(reverse("privacy:request_list")).content.decode()
    assert reverse("privacy:request_detail", args=[request.pk]) in listing
    client.force_login(world.counsellor)
    assert reverse("privacy:request_list") not in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("count, text", [(1, "beschädigt: 1 Glied."), (3, "beschädigt: 3 Glieder.")])
def test_a_broken_audit_trail_is_counted_in_singular_and_plural(world, monkeypatch, count, text):
    monkeypatch.setattr(anchors, "verify_and_record", lambda user, channel: list(range(count)))
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(world.dpo)
    page = client.post(reverse("privacy:verify_trail"), follow=True).content.decode()
    assert text in page and "Glied(er)" not in page


def test_the_access_export_is_in_the_language_of_the_person_it_is_for_not_the_officers(world, client):
    """A Danish-speaking father without an account asks a German officer: his file is Danish."""
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         language="da")
    audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")
    request = _record(world, member=father)
    world.dpo.preferred_language = "de"
    world.dpo.save(update_fields=["preferred_language"])
    client.force_login(world.dpo)
    lines = client.get(reverse("privacy:request_export", args=[request.pk]) + "?format=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Tidspunkt;Hvem;Hvad")
    exported = json.loads(client.get(reverse("privacy:request_export", args=[request.pk]) + "?format=json").content)
    assert any(e["what"] == "Sag – læst" for e in exported["events"])
    page = client.get(reverse("privacy:request_detail", args=[request.pk])).content.decode()
    assert "Die Datei ist in der Sprache der betroffenen Person verfasst: dansk." in page  # the officer's page stays German



def test_the_access_export_is_named_in_the_language_of_its_content(world, client):
    """The Danish father's file, downloaded by a German officer, is Danish inside and by name."""
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         language="da")
    request = _record(world, member=father)
    world.dpo.preferred_language = "de"
    world.dpo.save(update_fields=["preferred_language"])
    client.force_login(world.dpo)
    today = timezone.localdate().isoformat()
    for fmt in ("csv", "json"):
        response = client.get(reverse("privacy:request_export", args=[request.pk]) + f"?format={fmt}")
        assert response.status_code == 200
        assert response["Content-Disposition"] == f"attachment; filename*=utf-8''hvem-har-l%C3%A6st-mine-data-{today}.{fmt}"


@pytest.mark.parametrize("language, disposition", [
    ("de", 'attachment; filename="wer-hat-meine-daten-gelesen-{today}.csv"'),
    ("da", "attachment; filename*=utf-8''hvem-har-l%C3%A6st-mine-data-{today}.csv"),
    ("en", 'attachment; filename="who-read-my-data-{today}.csv"'),
])
def test_the_parents_own_download_is_named_in_her_language(world, client, language, disposition):
    world.parent.preferred_language = language
    world.parent.save(update_fields=["preferred_language"])
    client.force_login(world.parent)
    response = client.get(reverse("access:my_data") + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition.format(today=timezone.localdate().isoformat())
