from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = _("Access and audit")

    def ready(self) -> None:
        from permissions import signals

        signals.connect_sessions()
