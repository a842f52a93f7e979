"""Words for the codes of a stored record (``records.facts``), in the reader's language.

The same rows feed the page, the printable download and the CSV, so they never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from cases.models import InformationCategory, LegalBasis
from participants.models import Country, OrganisationKind

ROLE_LABELS = {
    "lead_organisation": gettext_lazy("leads cases"),
    "case_team": gettext_lazy("on case teams"),
    "offers": gettext_lazy("offers help in the directory"),
    "board_seat": gettext_lazy("seat on the cooperation board"),
    "central_case_manager": gettext_lazy("central case management"),
    "staff_accounts": gettext_lazy("staff with accounts"),
}
SUBJECT_LABELS = {
    "parents": gettext_lazy("Parents and guardians"),
    "children": gettext_lazy("Children"),
    "expected_children": gettext_lazy("Expected children"),
    "relatives": gettext_lazy("Other relatives"),
    "professionals": gettext_lazy("Professionals of the organisations"),
    "board_members": gettext_lazy("Members of the cooperation board"),
    "referral_clients": gettext_lazy("Clients referred to offers"),
    "contact_requesters": gettext_lazy("People asking to be contacted from a public offer page"),
}
DATA_LABELS = {
    "family_minimal": gettext_lazy("Family members: first name or initials, relation, year of birth, expected due date"),
    "family_contact": gettext_lazy("Family members: e-mail address, language, interpreter language, access needs"),
    "case_organisation": gettext_lazy("Pseudonymous case reference, lead organisation, case team"),
    "conference_data": gettext_lazy("Conferences, invitations, answers, date polls"),
    "protocol_content": gettext_lazy("Protocol items with their audience (health and child-welfare information)"),
    "agreed_actions": gettext_lazy("Agreed actions, due dates and progress notes"),
    "consent_records": gettext_lazy("Consents and recorded legal bases with their justification"),
    "professional_accounts": gettext_lazy("Accounts: name, user name, e-mail address, organisation, role, second factor"),
    "access_logs": gettext_lazy("Audit trail: who read or changed what, when, on which legal basis"),
}
PURPOSE_LABELS = {
    "case_conferences": gettext_lazy("Convening participant conferences for families and finding dates"),
    "protocols_and_actions": gettext_lazy("Keeping the conference protocol and following up agreed actions"),
    "consent_management": gettext_lazy("Documenting consents and legal bases for sharing information"),
    "calendar": gettext_lazy("Invitations and personal calendar feeds"),
    "accountability": gettext_lazy("Accountability: audit trail, data-subject rights, retention"),
    "board_figures": gettext_lazy("Anonymised half-year figures for the cooperation board"),
    "offers_and_referrals": gettext_lazy("Directory of offers, referrals and programme tracks"),
}
RETENTION_LABELS = {
    "case_content": gettext_lazy("Case content (names, protocol texts, notes)"),
    "audit_events": gettext_lazy("Audit events"),
    "feed_tokens_and_poll_links": gettext_lazy("Calendar feed tokens and poll links"),
    "contact_requests": gettext_lazy("Contact requests"),
    "unattached_referrals": gettext_lazy("Referrals, requests to the case manager and enrolments in tracks that never became part of a case"),
    "outgoing_mail": gettext_lazy("Outgoing e-mail (recipient addresses; the text only until it was sent or finally failed)"),
    "quarantined_mail": gettext_lazy("Incoming e-mail kept outside the database (set aside for the operator, or handled and left in the mailbox)"),
    "sessions": gettext_lazy("Sign-in sessions"),
    "backups": gettext_lazy("Database backups"),
}
PROCESSOR_LABELS = {
    "hosting": gettext_lazy("Hosting"),
    "email": gettext_lazy("E-mail delivery"),
    "backup": gettext_lazy("Backup storage"),
    "other": gettext_lazy("Other"),
}
MEASURE_LABELS = {
    "mfa_professionals": gettext_lazy("Second factor for professionals and admins"),
    "mfa_parents_and_board": gettext_lazy("Second factor for parents and board members"),
    "mfa_secrets_encrypted": gettext_lazy("Second-factor secrets encrypted at rest (key outside the database)"),
    "session_limits": gettext_lazy("Session limits"),
    "https_only": gettext_lazy("Encrypted connections only (HTTPS, secure cookies)"),
    "access_policy": gettext_lazy("Access decided per object at read time: case team, consent, legal basis"),
    "audit_hmac_chain": gettext_lazy("Audit trail as a keyed hash chain (HMAC-SHA256) per case"),
    "audit_anchors": gettext_lazy("Signed anchors of the audit trail outside the database"),
    "admin_separation": gettext_lazy("Separation of duties: technical admins hold no role and read no case content"),
    "pseudonymous_cases": gettext_lazy("Cases under pseudonymous references, never a family name"),
    "feed_detail": gettext_lazy("Calendar feeds"),
    "retention_erasure": gettext_lazy("Automatic erasure of closed cases after the retention period"),
    "legal_holds": gettext_lazy("Legal holds stop erasure while proceedings run"),
}


@dataclass
class Section:
    key: str
    title: str
    rows: list[list[str]]      # each row: cells in the order of ``columns``
    columns: list[str]


def _label(labels: dict, code: str) -> str:
    return str(labels.get(code, code))


def _choice(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _retention_value(row: dict[str, Any]) -> str:
    value, unit = row["value"], row["unit"]
    if unit in {"years_after_closing", "years", "days_after_last_change"} and value == 0:
        return _("kept without limit (erasure switched off)")
    if unit == "years_after_closing":
        return ngettext("%(n)d year after the case was closed", "%(n)d years after the case was closed", value) % {"n": value}
    if unit == "years":
        return ngettext("%(n)d year", "%(n)d years", value) % {"n": value}
    if unit == "days_after_end":
        return ngettext("%(n)d day after revocation or expiry", "%(n)d days after revocation or expiry", value) % {"n": value}
    if unit == "days_after_handling":
        return ngettext("%(n)d day after it was handled", "%(n)d days after it was handled", value) % {"n": value}
    if unit == "days_after_last_change":
        return ngettext("%(n)d day after the last change, once finished", "%(n)d days after the last change, once finished",
                        value) % {"n": value}
    if unit == "days_after_quarantine":
        return ngettext("%(n)d day after it was set aside", "%(n)d days after it was set aside", value) % {"n": value}
    if unit == "days_after_queuing":
        return ngettext("%(n)d day after it was queued", "%(n)d days after it was queued", value) % {"n": value}
    if unit == "minutes":
        return ngettext("at most %(n)d minute", "at most %(n)d minutes", value) % {"n": value}
    if unit == "copies":
        return _("all nightly copies") if value == 0 else ngettext(
            "the newest %(n)d nightly copy", "the newest %(n)d nightly copies", value) % {"n": value}
    return str(value)


def _measure_value(measure: dict[str, Any]) -> str:
    code, value = measure["code"], measure["value"]
    if code == "session_limits":
        idle, absolute = value
        return _("ends after %(idle)d minutes without activity, at the latest %(absolute)d minutes after sign-in") % {
            "idle": idle, "absolute": absolute}
    if code == "feed_detail":
        return _("neutral titles only") if value == "terse" else _("case reference and conference kind, no names")
    if code == "legal_holds":
        return ngettext("%(n)d hold in force", "%(n)d holds in force", value) % {"n": value}
    if code == "audit_anchors":
        return _("written") if value else _("none written yet")
    return _yes(bool(value))


def record_sections(content: dict[str, Any]) -> list[Section]:
    """The record in the order of Art. 30 (1) (a)–(g), as tables."""
    org_kind = lambda code: _choice(OrganisationKind, code)  # noqa: E731
    basis = lambda code: _choice(LegalBasis, code)  # noqa: E731
    category = lambda code: _choice(InformationCategory, code)  # noqa: E731
    sections = [
        Section("controllers", _("Controllers and their roles"), [
            [c["name"], org_kind(c["kind"]), c["municipality"], c["email"], ", ".join(_label(ROLE_LABELS, r) for r in c["roles"])]
            for c in content["controllers"]
        ], [_("Organisation"), _("Kind"), _("Municipality"), _("Contact"), _("Role in the processing")]),
        Section("officers", _("Data-protection officer of the network"), [[name] for name in content["officers"]], [_("Name")]),
        Section("purposes", _("Purposes of the processing"), [[_label(PURPOSE_LABELS, p)] for p in content["purposes"]], [_("Purpose")]),
        Section("legal_bases", _("Legal bases for disclosure in use"), [[basis(b)] for b in content["legal_bases"]], [_("Legal basis")]),
        Section("subjects", _("Categories of data subjects"), [[_label(SUBJECT_LABELS, s)] for s in content["subjects"]], [_("Data subjects")]),
        Section("data", _("Categories of personal data"),
                [[_label(DATA_LABELS, d)] for d in content["data_categories"]]
                + [[_("Special category (health, child welfare): %(category)s") % {"category": category(c)}]
                   for c in content["information_categories"]],
                [_("Data")]),
        Section("recipients", _("Recipients: information released under consents and legal bases in force"), [
            [r["organisation"], org_kind(r["kind"]), ", ".join(category(c) for c in r["categories"]) or "–",
             ", ".join(basis(b) for b in r["bases"]), str(r["consents"]), str(r["legal_bases"]),
             ", ".join(org_kind(k) for k in r["from_kinds"])]
            for r in content["recipients"]
        ] + ([[_("Cooperation board"), "–", _("anonymised figures only, no personal data"), "–", "–", "–", "–"]]
             if content["board_receives_anonymised_figures"] else []),
            [_("Receiving organisation"), _("Kind"), _("Information categories"), _("Legal bases"), _("Consents"),
             _("Other legal bases"), _("From organisations of the kind")]),
        Section("processors", _("Processors"), [
            [_label(PROCESSOR_LABELS, p["kind"]), p["name"]] for p in content["processors"]
        ], [_("Processing task"), _("Processor")]),
        Section("transfers", _("Transfers to third countries"), [[_("None: the service transfers no data outside the EU/EEA by itself.")]],
                [_("Transfers")]),
        Section("retention", _("Retention periods"), [
            [_label(RETENTION_LABELS, r["record"]), _retention_value(r)] for r in content["retention"]
        ], [_("Record"), _("Kept for")]),
        Section("measures", _("Technical and organisational measures enforced by the service"), [
            [_label(MEASURE_LABELS, m["code"]), _measure_value(m)] for m in content["measures"]
        ], [_("Measure"), _("State")]),
    ]
    return sections


def country_label(code: str) -> str:
    return _choice(Country, code)
