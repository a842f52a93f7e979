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
        post_migrate.connect(_install_action_tally, dispatch_uid="board.action_tally")


def _install_action_tally(sender, using="default", apps=None, **kwargs) -> None:
    """Reinstall the tally's triggers after every migrate (board/action_tally.py): a migration that
    renames a column the trigger reads is followed by triggers that read the new name; a tally
    that was never filled is filled. The same for the conferences' presence (board/presence.py)."""
    if sender.name != "board":
        return
    action_tally.ensure(using)
    presence.ensure(using)
