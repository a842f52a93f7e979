from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """The pages and services of access itself: explicit grants (substitutes, conference guests,
    delegated minute-takers; the rows are ``permissions.models``), the data-protection officer's
    audit log and grant overview, and a parent's log of who read her family's data (Art. 15).
    Above ``protocols``: granting a guest or the minutes needs the case, its conferences and
    protocols (issue 14)."""

    name = "access"
    verbose_name = _("Grants and access logs")
