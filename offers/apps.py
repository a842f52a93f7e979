from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = _("Offers and referrals")

    def ready(self) -> None:
        from conferences.feeds import register_personal_source

        from .calendar import SessionSource

        register_personal_source(SessionSource())
