from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from permissions import querysets


class ConferencesConfig(AppConfig):
    name = "conferences"
    verbose_name = _("Conferences")

    def ready(self) -> None:
        from . import mail_outbox, policy, tasks  # noqa: F401  tasks register with permissions.jobs

        querysets.register("conferences.conference", policy.conferences_for_user)

        mail_outbox.connect()
