from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = _("Access and audit")

    def ready(self) -> None:
        from permissions import signals

        signals.connect_sessions()
        post_migrate.connect(_install_content_version, dispatch_uid="permissions.content_version")


def _install_content_version(sender, using="default", apps=None, **kwargs) -> None:
    """Once per migrate (sent for each app: act on ours only): the content-version triggers."""
    if sender.name != "permissions":
        return
    from permissions import content_version

    content_version.install(using)
