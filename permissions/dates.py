"""How far ahead a day or time that a person enters may lie.

Every date field of a form accepts the last day of year 9999, and what the code then computes from
it (the day after a due date in a calendar feed, a meeting's end, the next meeting of a series)
overflows Python's calendar: a 500, or a feed that fails on every fetch (review h6-2, h6-3). No
appointment, due date or time limit in this product is planned more than ``YEARS_AHEAD`` years
ahead, so such a day is refused where it is entered, with a field-level message, and the services
refuse it for every other channel."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

YEARS_AHEAD = 10

MESSAGE = _("Choose a day within the next %(years)d years.")


def latest_day(today: dt.date | None = None) -> dt.date:
    """The last day a person may enter: ``YEARS_AHEAD`` years after today (28 February for a 29th)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def too_far_ahead(value: dt.date | dt.datetime | None) -> bool:
    if value is None:
        return False
    day = value.date() if isinstance(value, dt.datetime) else value
    return day > latest_day()


def not_too_far_ahead(value) -> None:
    """A form field validator (``validators=[not_too_far_ahead]``)."""
    if too_far_ahead(value):
        raise ValidationError(MESSAGE, code="too_far_ahead", params={"years": YEARS_AHEAD})


def refuse_too_far_ahead(**fields) -> None:
    """For services: a field-level ``ValidationError`` for the first field too far ahead."""
    for name, value in fields.items():
        if too_far_ahead(value):
            raise ValidationError({name: ValidationError(MESSAGE, code="too_far_ahead", params={"years": YEARS_AHEAD})})
