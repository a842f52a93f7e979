from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    name = "protocols"
    verbose_name = _("Protocols")

    def ready(self) -> None:
        from protocols import access_events, tasks  # noqa: F401  tasks register with permissions.jobs

        access_events.subscribe()
