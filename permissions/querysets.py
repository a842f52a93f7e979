"""``Model.objects.visible_to(user)``: the policy beside the models it filters.

In the manner of NetBox's ``RestrictedQuerySet.restrict(user, action)``: every model that holds
case data gets a manager whose ``visible_to(user)`` narrows any queryset to what ``user`` may
see, decided by the rule its app registers (``cases/policy.py``, ``conferences/policy.py``,
``protocols/policy.py``, ``board/policy.py``, each from its ``AppConfig.ready``) in the same SQL
statement. A selector that starts from ``Case.objects.visible_to(user)`` cannot forget the rules.
"""
from __future__ import annotations

from typing import Callable

from django.db import models

# model label -> the policy filter that decides what a user may see of it. Empty here: this app
# knows no model above it; each app registers the rule of its own models.
RULES: dict[str, Callable] = {}


def register(label: str, rule: Callable) -> None:
    """An app above this one adds the rule of its model (``"board.halfyearsummary"``) from its
    ``AppConfig.ready``, so that the policy of its model lives beside it (``board/policy.py``,
    ``cases/policy.py`` ...)."""
    if RULES.get(label, rule) is not rule:
        raise ValueError(f"{label} already has a visibility rule")
    RULES[label] = rule


class VisibleToQuerySet(models.QuerySet):
    def visible_to(self, user) -> "VisibleToQuerySet":
        """The rows of this queryset that ``user`` may see (none for anonymous or inactive users)."""
        rule = RULES[self.model._meta.label_lower]
        return self.filter(pk__in=rule(user).values("pk"))


class VisibleToManager(models.Manager.from_queryset(VisibleToQuerySet)):
    pass
