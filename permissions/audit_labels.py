"""Plain-language labels for audit actions and legal bases.

Audit actions are codes (``protocol.read``, ``consent.revoke``); a parent reads "Protocol –
read", in the page and in its CSV/JSON export alike. The data-protection officer's audit log
reads the same words (``dpo_action_label`` / ``dpo_basis_label``), worded for a third person,
and shows the code itself only for a subject nobody has named yet.
"""
from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from permissions.audit import STABLE_OBJECT_TYPES

SUBJECTS = {
    "case": _("Case"),
    "case_team": _("Case team"),
    "conference": _("Conference"),
    "consent": _("Consent"),
    "dashboard": _("Overview"),
    "disclosure_basis": _("Legal basis for disclosure"),
    "family_member": _("Family member"),
    "feed": _("Calendar subscription"),
    "invitation": _("Invitation"),
    "poll": _("Date poll"),
    "poll_link": _("Personal poll link"),
    "protocol": _("Protocol"),
    "report": _("Written report"),
    "retention": _("Erasure after the retention period"),
    "my_data": _("Your access log"),
    "restriction": _("Restricted data"),
    "access": _("Time-limited access"),
    "account": _("User account"),
    "admin": _("Administration"),
    "audit": _("Audit trail check"),
    "audit_log": _("Audit log"),
    "board_meeting": _("Board meeting"),
    "calendar_reply": _("Reply from a calendar"),
    "contact_request": _("Contact request"),
    "demo": _("Demo data"),
    "dpia": _("Data-protection impact assessment"),
    "dpo": _("Data-protection overview"),
    "dsr": _("Data-subject request"),
    "enrolment": _("Enrolment in a programme"),
    "feed_token": _("Calendar subscription link"),
    "grant": _("Access grant"),
    "grants": _("Access grants"),
    "legal_hold": _("Legal hold"),
    "mail": _("E-mail"),
    "mfa": _("Two-factor keys"),
    "notification": _("Notification"),
    "offer": _("Offer"),
    "offers": _("Offer figures"),
    "records": _("Record of processing activities"),
    "referral": _("Referral"),
    "reminders": _("Reminders"),
    "session": _("Programme session"),
    "summary": _("Half-year summary"),
    "support_request": _("Support request"),
    "yearly_report": _("Annual report"),
}
# The officer's log names a few subjects from outside the family's point of view.
DPO_SUBJECTS = {
    "my_data": _("Parent's access log"),
}
READING_VERBS = {"read", "view", "download", "list", "own", "csv", "print", "export", "watch"}


def action_label(code: str) -> str:
    """``protocol.read`` → "Protocol – read"; unknown subjects are named generically."""
    subject, kind = _subject_and_kind(code)
    return f"{SUBJECTS.get(subject, _('Other record'))} – {kind}"


# Legal bases as recorded on audit events: a code, sometimes with ":<record id>".
BASIS_LABELS = {
    "team": _("Member of your case team"),
    "family": _("You or another parent of your family"),
    "parent": _("You or another parent of your family"),
    "data-subject": _("Your own request"),
    "gdpr-art-15": _("Your right to see this log"),
    "audience:everyone": _("Shared with everyone in the conference"),
    "holding-organisation": _("The organisation you told it to"),
    "consent": _("Your consent (release from confidentiality)"),
    "dpo": _("Data-protection check"),
    "restriction": _("Read despite a restriction of processing, with a recorded reason"),
    "guest": _("Invited as a guest to the conference"),
    "de_65_1_1_consent": _("Consent of the person who told it"),
    "de_65_1_2_family_court": _("A law allows it: family court (§ 65 SGB VIII)"),
    "de_65_1_3_change": _("A law allows it: another office takes over (§ 65 SGB VIII)"),
    "de_65_1_4_specialist": _("A law allows it: advice from a specialist (§ 65 SGB VIII)"),
    "de_65_1_5_203": _("A law allows it (§ 65 SGB VIII)"),
    "de_kkg_4": _("A law allows it: protecting the child (§ 4 KKG)"),
    "dk_consent": _("Your consent (release from confidentiality)"),
    "dk_legal_duty": _("A law requires it"),
    "dk_underretning": _("A law requires it: duty to notify"),
}


def _subject_and_kind(code: str) -> tuple[str, str]:
    subject, _dot, rest = (code or "").partition(".")
    verb = rest.rsplit(".", 1)[-1] if rest else ""
    # A verb of several words reads where one of them does: ``outbox_read``, ``case_view``,
    # ``municipality_csv``, ``read_status`` (a parent must not be told her meeting was changed
    # when someone only looked at it).
    reads = verb in READING_VERBS or not READING_VERBS.isdisjoint(verb.split("_"))
    return subject, (_("read") if reads else _("changed"))


def dpo_action_label(code: str) -> str:
    """The officer's wording: ``restriction.read`` → "Restricted data – read"; a code whose
    subject has no label yet is shown as it is, so she still sees exactly what happened."""
    subject, kind = _subject_and_kind(code)
    name = DPO_SUBJECTS.get(subject) or SUBJECTS.get(subject)
    if name is None:
        return code or "–"
    return f"{name} – {kind}"


def basis_label(code: str) -> str:
    """``consent:12`` → "Your consent (…)"; empty → "–"; unknown → a generic phrase, never the code.
    One read of several items under several bases (``audit.record_read``: "audience:everyone
    team") names each, once."""
    if not code:
        return "–"
    labels = []
    for part in code.split():
        key = part if part in BASIS_LABELS else part.split(":", 1)[0]
        label = str(BASIS_LABELS.get(key, _("Another legal basis")))
        if label not in labels:
            labels.append(label)
    return "; ".join(labels)


# The same bases as named to the officer: the parent-facing ones speak to "you".
DPO_BASIS_LABELS = {
    "team": _("Member of the case team"),
    "family": _("Parent of the family"),
    "parent": _("Parent of the family"),
    "data-subject": _("Request of the data subject"),
    "gdpr-art-15": _("Right of access (Art. 15 GDPR)"),
    "holding-organisation": _("The organisation that holds the information"),
    "consent": _("Consent (release from confidentiality)"),
    "de_65_1_1_consent": _("Consent of the person who confided it (§ 65 SGB VIII)"),
    "dk_consent": _("Consent (release from confidentiality)"),
}


def dpo_basis_label(code: str) -> str:
    """``restriction:3`` → "Read despite a restriction … (no. 3)"; empty → "–"; an unknown
    basis is shown as its code. Several bases of one read ("audience:everyone consent:7 team",
    ``audit.record_read``) are each named, separated by semicolons."""
    if not code:
        return "–"
    return "; ".join(_one_dpo_basis(part) for part in code.split())


def _one_dpo_basis(code: str) -> str:
    key, _colon, record_id = (code, "", "") if code in BASIS_LABELS else code.partition(":")
    label = DPO_BASIS_LABELS.get(key) or BASIS_LABELS.get(key)
    if label is None:
        return code
    if record_id:
        return str(_("%(basis)s (no. %(id)s)") % {"basis": label, "id": record_id})
    return str(label)


def dpo_object_label(event) -> str:
    """What the event was about, named as the officer reads it: "Protocol item 12" rather than
    ``protocols.protocolitem 12``; a type no model carries any more is shown as it was stored."""
    stored = event.object_type or ""
    label = {stable: current for current, stable in STABLE_OBJECT_TYPES.items()}.get(stored, stored)
    try:
        name = str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        name = stored
    name = name[:1].upper() + name[1:]
    return f"{name} {event.object_id}".strip() or "–"


def actor_label(event, *, viewer) -> str:
    """Who did it, in words a parent understands: a name and an organisation, never a user name."""
    actor = event.actor
    if actor is None:
        return str(_("Fallkonferenz (automatic)"))
    if actor.pk == viewer.pk:
        return str(_("You"))
    organisations = sorted({m.organisation.name for m in actor.memberships.all() if m.is_active})
    name = actor.get_full_name()
    if organisations and name and getattr(event, "legal_basis", "") == "guest":  # a professional of the network, invited to one conference
        return str(_("%(name)s (%(organisation)s, guest of the conference)") % {"name": name, "organisation": ", ".join(organisations)})
    if organisations:
        if name:
            return f"{name} ({', '.join(organisations)})"
        return str(_("Someone from %(organisation)s") % {"organisation": ", ".join(organisations)})
    if getattr(event, "legal_basis", "") == "guest":  # invited to one conference by an explicit grant
        return str(_("%(name)s (guest of the conference)") % {"name": name}) if name else str(_("A guest of the conference"))
    members = list(actor.family_members.all())  # prefetched by the log's selector
    if members:
        if any(getattr(member, "is_parent", True) for member in members):
            return str(_("Another parent of your family"))
        return str(_("Someone of your family"))
    return str(_("The administration of Fallkonferenz"))
