"""The parent's access log speaks plain language; the export keeps the precise codes."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from permissions import audit
from permissions.audit_labels import action_label, basis_label

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code, label", [
    ("protocol.read", "Protocol – read"),
    ("protocol.action.read", "Protocol – read"),
    ("consent.revoke", "Consent – changed"),
    ("case.open", "Case – changed"),
    ("feed.read", "Calendar subscription – read"),
    ("something.new", "Other record – changed"),
    ("dashboard.read", "Overview – read"),
    # reads whose verb has several words (the fifth newcomer walk: "Møde – ændret" for an outbox read)
    ("conference.outbox_read", "Conference – read"),
    ("referral.read_status", "Referral – read"),
    ("summary.municipality_csv", "Half-year summary – read"),
    ("conference.interpreter_language", "Conference – changed"),
])
def test_audit_codes_read_as_plain_language(code, label):
    assert action_label(code) == label


def test_labels_are_german_for_a_german_reader():
    with translation.override("de"):
        assert action_label("protocol.read") == "Protokoll – gelesen"


def test_the_parents_page_and_its_export_show_plain_words_not_codes(client, world):
    audit.record(world.convenor, action="protocol.read", obj=world.protocol, case_id=world.case.pk, legal_basis="team")
    client.force_login(world.parent)
    page = client.get(reverse("access:my_data")).content.decode()
    assert "Protocol – read" in page
    assert ">protocol.read<" not in page
    assert "Member of your case team" in page and "convenor<" not in page
    export = client.get(reverse("access:my_data") + "?format=csv").content.decode()
    assert export.lstrip("\ufeff").startswith("Time,Who,What,How,Why it was allowed")
    assert "Protocol – read" in export and "protocol.read" not in export and ",team" not in export


def test_her_own_pages_read_in_words_with_their_basis(client, world):
    """Her overview and her conference page are named (not "Other record") and say why."""
    client.force_login(world.parent)
    client.get(reverse("dashboard"))
    client.get(reverse("conferences:conference_detail", args=[world.conference.pk]))
    page = client.get(reverse("access:my_data")).content.decode()
    assert "Overview – read" in page and "Conference – read" in page and "Other record" not in page
    from permissions.models import AuditEvent

    assert AuditEvent.objects.get(action="conference.read", actor=world.parent).legal_basis == "family"


def test_a_guests_reads_are_recorded_as_a_guests_and_named_so_in_the_parents_log(client, world):
    """Found in review: a guest's reads were recorded with the basis "team" (every read but the
    conference page), and the parent's log called her "The administration of Fallkonferenz"."""
    from access import grant_services
    from permissions.models import AuditEvent
    from participants.models import Membership, ProfessionalRole
    from tests.world import make_user

    guest = make_user("dolmetscherin", first_name="Dana", last_name="Dolmetsch")
    Membership.objects.create(user=guest, organisation=world.early_help, role=ProfessionalRole.OTHER)  # a guest works in the network
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    client.force_login(guest)
    assert client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).status_code == 200
    assert client.get(reverse("conference-detail", args=[world.conference.pk])).status_code == 200
    assert client.get(reverse("protocol-list")).status_code == 200
    for action in ("protocol.read", "conference.read", "protocol.list"):
        bases = set(AuditEvent.objects.filter(actor=guest, action=action).values_list("legal_basis", flat=True))
        assert bases == {"guest"}, (action, bases)
    client.force_login(world.counsellor)
    client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    assert set(AuditEvent.objects.filter(actor=world.counsellor, action="protocol.read").values_list("legal_basis", flat=True)) == {"team"}

    client.force_login(world.parent)
    page = client.get(reverse("access:my_data")).content.decode()
    assert "Dana Dolmetsch (Frühe Hilfen Test, guest of the conference)" in page
    assert "Invited as a guest to the conference" in page


def test_a_read_under_several_bases_names_each_to_the_parent_not_another_legal_basis():
    with translation.override("en"):
        assert basis_label("audience:everyone team") == "Shared with everyone in the conference; Member of your case team"
