"""The parent's access log speaks plain language; the export keeps the precise codes."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from permissions import audit
from permissions.audit_labels import action_label

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code, label", [
    ("protocol.read", "Protocol – read"),
    ("protocol.action.read", "Protocol – read"),
    ("consent.revoke", "Consent – changed"),
    ("case.open", "Case – changed"),
    ("feed.read", "Calendar subscription – read"),
    ("something.new", "Other record – changed"),
    ("dashboard.read", "Overview – read"),
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
