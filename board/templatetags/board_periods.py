"""``{{ figures.period|period_label }}`` and ``{{ figures.period|previous_period_label }}``: the half
year of frozen figures, and the one before, in the active language (the stored labels are the
language-neutral "2026 H1")."""
from django import template

from board.figures import shown_period_labels

register = template.Library()


@register.filter
def period_label(period) -> str:
    return shown_period_labels(period or {})[0]


@register.filter
def previous_period_label(period) -> str:
    return shown_period_labels(period or {})[1]
