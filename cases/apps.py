from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from permissions import events, querysets


class CasesConfig(AppConfig):
    """The case of one family: team, family members, consent and legal bases, legal holds (issue 14)."""

    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from allauth.account.signals import password_reset

        from cases import access_services, policy, services

        querysets.register("cases.case", policy.cases_for_user)
        querysets.register("cases.consent", policy.consents_for_user)
        querysets.register("cases.disclosurebasis", policy.disclosure_bases_for_user)
        events.subscribe_membership_ended(services.team_rows_end_on_departure)
        password_reset.connect(access_services.on_password_reset, dispatch_uid="cases.access_offer_take_by_link")
