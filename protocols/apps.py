from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from permissions import querysets


class ProtocolsConfig(AppConfig):
    name = "protocols"
    verbose_name = _("Protocols")

    def ready(self) -> None:
        from protocols import access_events, invitations, policy, tasks  # noqa: F401  tasks register with permissions.jobs

        querysets.register("protocols.protocol", policy.protocols_for_user)
        querysets.register("protocols.protocolitem", policy.protocol_items_for_user)
        querysets.register("protocols.agreedaction", policy.actions_for_user)

        access_events.subscribe()
        invitations.subscribe()
        post_migrate.connect(_install_action_history, dispatch_uid="protocols.action_history")


def _install_action_history(sender, using="default", apps=None, **kwargs) -> None:
    """Reinstall the notes' trigger after every migrate (protocols/action_history.py)."""
    if sender.name != "protocols":
        return
    from protocols import action_history

    action_history.install(using)
