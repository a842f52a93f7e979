from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConferencesConfig(AppConfig):
    name = "conferences"
    verbose_name = _("Conferences")

    def ready(self) -> None:
        from outbox.signals import mail_failed

        from . import tasks  # noqa: F401  registers the background tasks with permissions.jobs
        from .mail_outbox import tell_convenor_of_failed_mail

        mail_failed.connect(tell_convenor_of_failed_mail, dispatch_uid="conferences.mail_failed")
