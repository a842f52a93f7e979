"""Plain-language labels for audit actions, for the parent's "who read my data" page.

Audit actions are codes (``protocol.read``, ``consent.revoke``); a parent reads "Protocol –
read". The code stays in the CSV/JSON export, where precision matters more than prose.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SUBJECTS = {
    "case": _("Case"),
    "case_team": _("Case team"),
    "conference": _("Conference"),
    "consent": _("Consent"),
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
}
READING_VERBS = {"read", "view", "download", "list", "own", "csv", "print", "export", "watch"}


def action_label(code: str) -> str:
    """``protocol.read`` → "Protocol – read"; unknown subjects are named generically."""
    subject, _dot, rest = (code or "").partition(".")
    verb = rest.rsplit(".", 1)[-1] if rest else ""
    kind = _("read") if verb in READING_VERBS else _("changed")
    return f"{SUBJECTS.get(subject, _('Other record'))} – {kind}"
