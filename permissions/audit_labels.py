"""Plain-language labels for audit actions, for the parent's "who read my data" page.

Audit actions are codes (``protocol.read``, ``consent.revoke``); a parent reads "Protocol –
read", in the page and in its CSV/JSON export alike; the codes stay in the DPO's audit log.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

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
}
READING_VERBS = {"read", "view", "download", "list", "own", "csv", "print", "export", "watch"}


def action_label(code: str) -> str:
    """``protocol.read`` → "Protocol – read"; unknown subjects are named generically."""
    subject, _dot, rest = (code or "").partition(".")
    verb = rest.rsplit(".", 1)[-1] if rest else ""
    kind = _("read") if verb in READING_VERBS else _("changed")
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


def basis_label(code: str) -> str:
    """``consent:12`` → "Your consent (…)"; empty → "–"; unknown → a generic phrase, never the code."""
    if not code:
        return "–"
    key = code if code in BASIS_LABELS else code.split(":", 1)[0]
    return str(BASIS_LABELS.get(key, _("Another legal basis")))


def actor_label(event, *, viewer) -> str:
    """Who did it, in words a parent understands: a name and an organisation, never a user name."""
    actor = event.actor
    if actor is None:
        return str(_("Fallkonferenz (automatic)"))
    if actor.pk == viewer.pk:
        return str(_("You"))
    organisations = sorted({m.organisation.name for m in actor.memberships.all() if m.is_active})
    name = actor.get_full_name()
    if organisations:
        if name:
            return f"{name} ({', '.join(organisations)})"
        return str(_("Someone from %(organisation)s") % {"organisation": ", ".join(organisations)})
    if hasattr(actor, "family_member"):
        return str(_("Another parent of your family"))
    return str(_("The administration of Fallkonferenz"))
