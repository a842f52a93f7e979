from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = _("Offers and referrals")

    def ready(self) -> None:
        from . import calendar, figures, retention

        calendar.register()
        figures.register()
        retention.register()
