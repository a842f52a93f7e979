from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    name = "protocols"
    verbose_name = _("Protocols")

    def ready(self) -> None:
        from permissions.events import subscribe_access_changed
        from protocols import signals, tasks  # noqa: F401  tasks register with permissions.jobs
        from protocols.live import access_changed_on_commit

        signals.connect()
        # Grant services (permissions, below us) announce access changes after commit; we are
        # already after commit there, so send at once.
        subscribe_access_changed(lambda case_ids: access_changed_on_commit(*case_ids))
