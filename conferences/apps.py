from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConferencesConfig(AppConfig):
    name = "conferences"
    verbose_name = _("Conferences")

    def ready(self) -> None:
        from . import mail_outbox, tasks  # noqa: F401  tasks register with permissions.jobs

        mail_outbox.connect()
