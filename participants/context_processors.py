"""Navigation for the base layout, by role. Entries whose page does not exist are left out."""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from participants.roles import roles_of

# (url name, label, which role flag shows it)
NAV = [
    ("cases:case_list", _("Cases"), "is_professional"),
    ("protocols:my_actions", _("My actions"), "is_professional"),
    ("protocols:my_agreements", _("My agreements"), "is_parent"),
    ("cases:my_consents", _("My consents"), "is_parent"),
    ("calendars:calendar", _("Calendar"), None),
    ("offers:directory", _("Find help"), "is_professional"),
    ("offers:manage_list", _("Our offers"), "is_professional"),
    ("offers:request_list", _("Central case manager"), "is_professional"),
    ("offers:referral_list", _("Referrals"), "is_professional"),
    ("offers:partnership_figures", _("Partnership figures"), "is_board_member"),
    ("offers:partnership_figures", _("Partnership figures"), "is_coordinator"),
    ("board:summary_list", _("Half-year summaries"), "is_board_member"),
    ("board:summary_list", _("Half-year summaries"), "is_coordinator"),
    ("board:board_meeting_list", _("Board meetings"), "is_board_member"),
    ("board:board_meeting_list", _("Board meetings"), "is_coordinator"),
    ("privacy:dashboard", _("Data protection"), "is_dpo"),
    ("access:audit_log", _("Audit log"), "is_dpo"),
    ("records:index", _("Records of processing"), "is_dpo"),
    ("access:my_data", _("Who read my data"), "is_parent"),
]


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": roles_of(None), "nav_items": []}
    user_roles = roles_of(user)
    items, seen = [], set()
    for url_name, label, flag in NAV:
        if url_name in seen or (flag and not getattr(user_roles, flag)):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        seen.add(url_name)
        items.append({"url": url, "label": label, "current": request.path.startswith(url) and url != "/"})
    if user.is_staff:  # technical admins: the admin site is their whole journey
        url = reverse("admin:index")
        items.append({"url": url, "label": _("Administration"), "current": request.path.startswith(url)})
    return {"roles": user_roles, "nav_items": items}
