from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Participants")

    def ready(self) -> None:
        from allauth.account.signals import password_reset

        password_reset.connect(_verified_by_link, dispatch_uid="participants.email_verified_by_link")


def _verified_by_link(sender, request, user, **kwargs) -> None:
    from participants import services

    services.email_verified_by_link(user)
