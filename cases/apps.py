from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """The case of one family: team, family members, consent and legal bases, legal holds (issue 14)."""

    name = "cases"
    verbose_name = _("Cases")
