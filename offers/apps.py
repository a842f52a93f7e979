from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = _("Offers and referrals")

    def ready(self) -> None:
        from conferences.feeds import register_personal_source
        from permissions.retention import register_case_eraser, register_rule
        from protocols.board.figures import register_contributor

        from .calendar import SessionSource
        from .figures import board_tables
        from .retention import erase_case_content, erase_unattached

        register_personal_source(SessionSource())
        register_contributor(board_tables)
        register_case_eraser(erase_case_content)
        register_rule(erase_unattached)
