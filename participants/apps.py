from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Participants")

    def ready(self) -> None:
        from allauth.account.signals import password_reset

        from participants import services

        password_reset.connect(services.on_password_reset, dispatch_uid="participants.email_verified_by_link")
