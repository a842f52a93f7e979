from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from board import action_tally, presence
from permissions import querysets


class BoardConfig(AppConfig):
    """The cooperation board: half-year summaries, yearly reports, board meetings (issue 14)."""

    name = "board"
    verbose_name = _("Cooperation board")

    def ready(self) -> None:
        from board import policy

        querysets.register("board.halfyearsummary", policy.summaries_for_user)
        post_migrate.connect(_install_kept_figures, dispatch_uid="board.action_tally")


def _install_kept_figures(sender, using="default", apps=None, **kwargs) -> None:
    """Reinstall the triggers of the figures PostgreSQL keeps (board/action_tally.py,
    board/presence.py) after every migrate: a migration that renames a column a trigger reads is
    followed by triggers that read the new name; kept rows never filled, or written while no
    trigger watched, are rebuilt."""
    if sender.name != "board":
        return
    action_tally.ensure(using)
    presence.ensure(using)
