"""``{{ starts_at|time_range:ends_at }}`` and ``{{ ends_at|range_end:starts_at }}``: a span of time
with the end's date when it ends on another day (``permissions.time_ranges``)."""
from django import template

from permissions import time_ranges

register = template.Library()


@register.filter
def time_range(start, end):
    if not start:
        return ""
    return time_ranges.time_range(start, end or None)


@register.filter
def range_end(end, start):
    """The end of a span as written after its start (its time, or date and time on another day)."""
    if not end or not start:
        return ""
    return time_ranges.range_end(start, end)
