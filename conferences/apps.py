from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from permissions import events, querysets


class ConferencesConfig(AppConfig):
    name = "conferences"
    verbose_name = _("Conferences")

    def ready(self) -> None:
        from . import mail_outbox, policy, services, tasks  # noqa: F401  tasks register with permissions.jobs

        querysets.register("conferences.conference", policy.conferences_for_user)
        querysets.register("conferences.writtenreport", policy.reports_for_user)

        mail_outbox.connect()
        events.subscribe_account_linked(services.poll_links_end_on_account)
        events.subscribe_address_changed(services.poll_links_renew_on_address_change)
        events.subscribe_interpreter_language_changed(services.interpreter_language_follow)
