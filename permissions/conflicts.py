"""Concurrent edits never silently overwrite each other.

A form or an API request that changes an existing row carries the version of the row the
person started from (a ``version`` column raised by every save, or an existing counter such as
a conference's iCalendar ``sequence``). The service locks the row, compares, and on a
difference raises ``EditConflict`` carrying the row as it stands now; nothing is changed.

Where the row's version is raised by changes that have nothing to do with the field a form
edits (a protocol during its conference, an offer's details beside its availability), the form
carries instead the value of its field as it was opened (``based_on``: the value itself, or a
digest of a long text), and only a change of that field meanwhile refuses it (``check_based_on``). The
page shows her input again beside the current values (``current_values``, the template
``includes/edit_conflict.html``) with status 409; the API answers 409 with the current object.

The attendance of a conference (``protocols.services.attendance_record``) merges per row on top of
this: only a row both changed, to different values, refuses the save.

The same pattern, older and with its own wording, guards protocol items and agreed actions
(``protocols.services.VersionConflict``) and written reports (``conferences.services.ReportConflict``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _


class EditConflict(ValidationError):
    """A save based on a version of the row that is no longer the current one.
    ``current`` is the row as it now stands (locked by the refusing service)."""

    def __init__(self, current: Any):
        self.current = current
        super().__init__(_("Someone else changed this meanwhile. Your changes were not saved: they are still in the "
                           "form, and the values as they are now are shown beside it. Check them and save again."),
                         code="conflict")


def check_version(current: Any, expected: int | None, *, field: str = "version") -> None:
    """Refuse with ``EditConflict`` unless ``expected`` is ``current``'s version. ``None`` (a
    caller that edits on its own behalf, a script or a task, never a person's form) skips the check."""
    if expected is not None and int(expected) != getattr(current, field):
        raise EditConflict(current)


def check_based_on(current: Any, based_on: str | None, *, stored: str, mine: str) -> None:
    """Refuse with ``EditConflict`` (carrying ``current``, the locked row) when the value the form
    was opened on (``based_on``) is no longer the ``stored`` one and hers (``mine``) differs from
    it too: someone else changed this very field meanwhile. Her value being the one stored now
    overwrites nothing. All three as the form carries them (e.g. an ISO date, "" for none).
    ``None`` (a script or a task, never a person's form) skips the check."""
    if based_on is not None and based_on != stored and mine != stored:
        raise EditConflict(current)


def _display(field, value: Any) -> str:
    choices = dict((str(k), v) for k, v in getattr(field, "choices", None) or () if not isinstance(v, (list, tuple)))
    if value is None or value == "" or value == []:
        # A choice that names "nothing" (e.g. "not recorded") says so; otherwise a dash (also for a
        # model choice's placeholder).
        label = choices.get("") if value == "" else None
        return str(label) if label and label != getattr(field, "empty_label", None) else "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(choices.get(str(v), v)) for v in value)
    if choices and str(getattr(value, "pk", value)) in choices:
        return str(choices[str(getattr(value, "pk", value))])
    if isinstance(value, dt.datetime):
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def current_values(form, values: dict[str, Any], *, skip: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The stored values as (label, text) rows in the order of ``form``'s visible fields, for the
    page that shows them beside her refused input."""
    rows = []
    for bound in form.visible_fields():
        if bound.name in skip or bound.name not in values:
            continue
        rows.append((str(bound.label), _display(bound.field, values[bound.name])))
    return rows


def refused_form(make_form: Callable[[Any], Any], conflict: EditConflict, data, values: Callable[[Any], dict[str, Any]],
                 *, field: str = "version", based_on: str | None = None) -> tuple[Any, list[tuple[str, str]]]:
    """What a page shows after ``conflict``: her posted ``data`` in a new form (``make_form``), now
    based on the current row's ``field`` (or on ``based_on``, the value the form carries of its
    field(s) as they are now, where it is not an attribute of the row; ``field`` is then the name
    of the form's hidden input, prefix included), with the conflict as its error; and, beside it,
    the stored values (``values(form)``) as ``current_values`` rows. The page answers 409 with both."""
    now = getattr(conflict.current, field) if based_on is None else based_on
    form = make_form(retry_data(data, now, field=field))
    form.is_valid()
    form.add_error(None, conflict)
    return form, current_values(form, values(form))


def retry_data(data, current_version: int | str, *, field: str = "version"):
    """Her posted data, now based on the current version: saving again is a decision, not an accident."""
    retry = data.copy()
    retry[field] = str(current_version)
    return retry
