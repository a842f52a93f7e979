from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from permissions import querysets


class BoardConfig(AppConfig):
    """The cooperation board: half-year summaries, yearly reports, board meetings (issue 14)."""

    name = "board"
    verbose_name = _("Cooperation board")

    def ready(self) -> None:
        from board import policy

        querysets.register("board.halfyearsummary", policy.summaries_for_user)
