"""``{{ value|from_iso|date:"DATE_FORMAT" }}``: dates stored as ISO text (frozen report figures)
shown in the active language like every other date."""
import datetime as dt

from django import template

register = template.Library()


@register.filter
def from_iso(value):
    """``"2025-01-01"`` → ``date(2025, 1, 1)``; anything else is returned unchanged."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value
