"""The data-protection officer's audit log names actions and legal bases in words, not codes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from permissions import audit
from permissions.audit_labels import DPO_SUBJECTS, SUBJECTS, dpo_action_label, dpo_basis_label

ROOT = Path(settings.BASE_DIR)
# Where audit action codes are written: ``action="case.read"``, ``action=f"referral.{outcome}"``,
# and the API views' ``audit_object_type, audit_action = "…", "protocol.item"`` / ``watch_action``.
ACTION_LITERALS = [
    re.compile(r'\baction=f?"([a-z_]+\.[a-z_.{}]*)'),
    re.compile(r'\baudit_object_type, audit_action = "[^"]*", "([a-z_.]+)"'),
    re.compile(r'^\s*(?:audit_action|watch_action) = "([a-z_.]+)"', re.MULTILINE),
]


def _action_codes_in_the_code_base() -> dict[str, str]:
    codes = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "node_modules"}:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in ACTION_LITERALS:
            for match in pattern.finditer(text):
                codes.setdefault(match.group(1), str(relative))
    return codes


def test_every_action_code_written_in_the_code_base_has_a_label():
    codes = _action_codes_in_the_code_base()
    # The collector itself must keep finding the codes, or this test would pass on nothing.
    assert {"restriction.read", "dsr.view", "referral.{outcome}", "protocol.item", "poll.watch"} <= set(codes)
    unlabelled = {code: where for code, where in codes.items()
                  if code.split(".", 1)[0] not in SUBJECTS and code.split(".", 1)[0] not in DPO_SUBJECTS}
    assert unlabelled == {}, f"audit actions without a label in permissions/audit_labels.py: {unlabelled}"


@pytest.mark.parametrize("language, code, label", [
    ("de", "restriction.read", "Eingeschränkte Daten – gelesen"),
    ("da", "restriction.read", "Begrænsede data – læst"),
    ("en", "dsr.view", "Data-subject request – read"),
    ("en", "referral.accept", "Referral – changed"),
    ("en", "my_data.view", "Parent's access log – read"),
    ("en", "something.new", "something.new"),
])
def test_the_officer_reads_actions_in_her_language_and_unknown_codes_as_they_are(language, code, label):
    with translation.override(language):
        assert dpo_action_label(code) == label


@pytest.mark.parametrize("language, code, label", [
    ("en", "dpo", "Data-protection check"),
    ("en", "team", "Member of the case team"),
    ("en", "restriction:7", "Read despite a restriction of processing, with a recorded reason (no. 7)"),
    ("en", "audience:everyone", "Shared with everyone in the conference"),
    ("en", "", "–"),
    ("en", "brand-new-basis", "brand-new-basis"),
    # one read of several items under several bases (``audit.record_read``), found in the Danish crawl
    ("en", "audience:everyone consent:7 team",
     "Shared with everyone in the conference; Consent (release from confidentiality) (no. 7); Member of the case team"),
])
def test_the_officer_reads_legal_bases_in_words(language, code, label):
    with translation.override(language):
        assert dpo_basis_label(code) == label


@pytest.mark.django_db
def test_the_german_audit_log_page_shows_words_not_codes(client, world):
    audit.record(world.convenor, action="restriction.read", obj=world.protocol, case_id=world.case.pk,
                 legal_basis="restriction:1")
    client.force_login(world.dpo)
    page = client.get(reverse("access:audit_log"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Eingeschränkte Daten – gelesen" in page
    assert "Trotz Einschränkung der Verarbeitung gelesen" in page
    assert "Datenschutzkontrolle" in page  # her own view of the log, recorded under "dpo"
    assert "restriction.read" not in page and "restriction:1" not in page
    assert "audit_log.view" not in page and "<td>Webseite</td><td>dpo</td>" not in page


@pytest.mark.django_db
def test_the_audit_log_names_the_object_in_words_not_its_model_code(client, world):
    """Found crawling the demo in Danish: the "Object" column read ``conferences.case 12`` and
    ``protocols.protocolitem``. A case's events keep their stable type after the model moved."""
    audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk)
    audit.record(world.convenor, action="protocol.item.read", obj=world.item_everyone, case_id=world.case.pk,
                 legal_basis="audience:everyone team")
    client.force_login(world.dpo)
    page = client.get(reverse("access:audit_log"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert f"<td>Sag {world.case.pk}</td>" in page
    assert f"<td>Referatpunkt {world.item_everyone.pk}</td>" in page
    assert "conferences.case" not in page and "protocols.protocolitem" not in page
    assert "audience:everyone team" not in page
