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

A record of rows edited on one form (the attendance of a conference,
``protocols.services.attendance_record``; of a programme track's sessions,
``offers.track_services.session_attendance``) carries the whole record as opened
(``record_based_on``) and merges per row on top of this (``record_merge``, ``record_rebased``):
only a row both changed, to different values, refuses the save. A row that is gone meanwhile (a
session cancelled, an invitation withdrawn) cannot take what she recorded there: the rest is saved,
and the service names those rows (``record_gone``, ``RecordSaved.not_saved``) so that the page and
the API tell her which were not saved and why, instead of dropping them without a word.

A page form carries what it started from in a hidden field (``VersionField``, ``BasedOnField``)
and mixes in ``StartedFromForm``: a form without it, or with one the page cannot have sent (an old
cached page, a script, a crafted request), is refused as a whole with ``STALE_FORM`` (400, nothing
saved) instead of being compared with a made-up version. Services keep ``None`` for a script or a
task (not checked); a page never passes ``None``.

Protocol items, agreed actions and written reports raise the same ``EditConflict``, with wording
of their own (``message``): an item's live editor shows the current text, a report names who
submitted it meanwhile. One class, so that every page, API view and consumer catches one thing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, NamedTuple
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class EditConflict(ValidationError):
    """A save based on a version of the row that is no longer the current one.
    ``current`` is the row as it now stands (locked by the refusing service). ``message``: the
    wording where the general one does not fit (a text or a dict of field reasons)."""

    def __init__(self, current: Any, message: str | dict[str, str] | None = None):
        self.current = current
        if message is None:
            message = _("Someone else changed this meanwhile. Your changes were not saved: they are still in the "
                        "form, and the values as they are now are shown beside it. Check them and save again.")
        super().__init__(message, code="conflict")


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


class ConflictRow(NamedTuple):
    """One stored value beside her refused input: its label, its text, and whether it changed since
    she opened the form (None: not known, the form does not carry what it was opened on)."""

    label: str
    value: str
    changed: bool | None = None


class ConflictRows(list):
    """``current_values``' rows; ``marked``: whether each row says if it changed since she opened
    the form (the page then says what the mark means)."""

    marked: bool = False


def current_values(form, values: dict[str, Any], *, skip: Iterable[str] = (),
                   changed: set[str] | None = None) -> ConflictRows:
    """The stored values as ``ConflictRow``s in the order of ``form``'s visible fields, for the page
    that shows them beside her refused input. ``changed``: the names of the fields changed since she
    opened the form (``changed_since``), marked in their rows; None: not known, nothing marked."""
    rows = ConflictRows()
    rows.marked = changed is not None
    for bound in form.visible_fields():
        if bound.name in skip or bound.name not in values:
            continue
        rows.append(ConflictRow(str(bound.label), _display(bound.field, values[bound.name]),
                                None if changed is None else bound.name in changed))
    return rows


class OpenedField(forms.CharField):
    """What a long page form's fields held when she opened it (``values_digest``), as a hidden field,
    so that after a conflict the page can mark which of them someone else changed meanwhile. Only
    for showing: missing or malformed, nothing is marked (the form's version still guards the save)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=False, **kwargs)


def _raw(value: Any) -> str:
    if isinstance(value, (list, tuple, set)):
        return ",".join(sorted(_raw(v) for v in value))
    return str(getattr(value, "pk", value))


def values_digest(values: dict[str, Any]) -> str:
    """``OpenedField``'s text: per field a short digest of its stored value, as ``name=digest`` pairs
    (no content in the page beyond what its fields show anyway)."""
    return urlencode([(name, hashlib.sha256(_raw(value).encode()).hexdigest()[:12]) for name, value in sorted(values.items())])


def changed_since(opened: str | None, values: dict[str, Any]) -> set[str] | None:
    """The names of ``values`` whose stored value is no longer the one ``opened`` (``values_digest``
    of the form as she opened it) names; None when ``opened`` is missing or malformed."""
    try:
        digests = dict(parse_qsl(opened or "", keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    if not digests:
        return None
    now = dict(parse_qsl(values_digest(values), keep_blank_values=True))
    return {name for name in values if name in digests and digests[name] != now[name]}


def _opened_name(form) -> str | None:
    names = [name for name, field in form.fields.items() if isinstance(field, OpenedField)]
    return form.add_prefix(names[0]) if names else None


def refused_form(make_form: Callable[[Any], Any], conflict: EditConflict, data, values: Callable[[Any], dict[str, Any]],
                 *, field: str = "version", based_on: str | None = None) -> tuple[Any, ConflictRows]:
    """What a page shows after ``conflict``: her posted ``data`` in a new form (``make_form``), now
    based on the current row's ``field`` (or on ``based_on``, the value the form carries of its
    field(s) as they are now, where it is not an attribute of the row; ``field`` is then the name
    of the form's hidden input, prefix included), with the conflict as its error; and, beside it,
    the stored values (``values(form)``) as ``current_values`` rows. A form with an ``OpenedField``
    marks the rows changed since she opened it, and now carries the values as they are. The page
    answers 409 with both."""
    now = getattr(conflict.current, field) if based_on is None else based_on
    retry = retry_data(data, now, field=field)
    form = make_form(retry)
    opened, changed = _opened_name(form), None
    if opened is not None:
        stored = values(form)
        changed = changed_since(data.get(opened), stored)
        retry[opened] = values_digest(stored)  # a second conflict marks what changed after this page
    form.is_valid()
    form.add_error(None, conflict)
    return form, current_values(form, values(form), changed=changed)


def retry_data(data, current_version: int | str, *, field: str = "version"):
    """Her posted data, now based on the current version: saving again is a decision, not an accident."""
    retry = data.copy()
    retry[field] = str(current_version)
    return retry


# --- what a page form started from ------------------------------------------------------------

STALE_FORM = gettext_lazy(
    "This form is out of date or incomplete: it does not show which state of the record you started from, so "
    "saving it could overwrite changes made meanwhile. Nothing has been saved. Please open the page again and make "
    "your changes there; what you entered is still shown here.")


def stale_form_error() -> ValidationError:
    return ValidationError(STALE_FORM, code="stale_form")


class VersionField(forms.IntegerField):
    """The version (or counter) of the row a page form was opened on, as a hidden field. Required: a
    form without it, or with anything but a whole number >= 0, is refused (``STALE_FORM``)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(required=True, **kwargs)

    def clean(self, value):
        try:
            return super().clean(value)
        except ValidationError:
            raise stale_form_error() from None


class BasedOnField(forms.CharField):
    """What a page form carries of the field(s) it edits as they were opened (``based_on``), as a
    hidden field. The field must be there ("" is a value: e.g. "no date"); ``well_formed`` says
    whether a value is one the page can have sent. Missing or malformed: refused (``STALE_FORM``)."""

    widget = forms.HiddenInput

    def __init__(self, *, well_formed: Callable[[str], bool], **kwargs):
        self.well_formed = well_formed
        super().__init__(required=False, strip=False, **kwargs)

    def clean(self, value):
        if value is None:  # not posted at all (a missing field; "" is a value)
            raise stale_form_error()
        try:
            value = super().clean(value)
        except ValidationError:
            raise stale_form_error() from None
        if not self.well_formed(value):
            raise stale_form_error()
        return value


class StartedFromForm:
    """Mixin for a page form with a ``VersionField`` or ``BasedOnField``: as the field is hidden, a
    missing or malformed one becomes the form's own error (``STALE_FORM``, said once), shown where the
    form shows its errors; the view answers 400 and saves nothing. ``stale`` tells the view."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        refused = [name for name, field in self.fields.items()
                   if isinstance(field, (VersionField, BasedOnField)) and name in self._errors]
        for name in refused:
            del self._errors[name]
        if refused:
            self.add_error(None, stale_form_error())

    @property
    def stale(self) -> bool:
        return self.is_bound and any(error.code == "stale_form" for error in self.non_field_errors().as_data())


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date_or_empty(value: str) -> bool:
    """Whether ``value`` is an ISO date or "" (a ``based_on`` of a date field that may be empty)."""
    if value == "":
        return True
    if not ISO_DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- a record of rows, merged per row ---------------------------------------------------------

def record_based_on(rows: Iterable[tuple[str, str]]) -> str:
    """What a form carries of a record of rows as it was opened: ``key=value`` pairs, e.g.
    ``minute_taker=7&12=present&13=``."""
    return urlencode(list(rows))


def record_parse(based_on: str) -> dict[str, str]:
    """``record_based_on``'s text as {key: value}; a row it does not name counts as unknown (a change
    of it meanwhile conflicts)."""
    return dict(parse_qsl(based_on or "", keep_blank_values=True))


def record_well_formed(based_on: str, *, key: Callable[[str], bool], value: Callable[[str, str], bool],
                       required: Iterable[str] = ()) -> bool:
    """Whether ``based_on`` is a record a page can have sent: well-formed pairs, each ``key`` and
    ``value(key, value)`` allowed, every ``required`` key named."""
    try:
        pairs = parse_qsl(based_on, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return False
    keys = [k for k, _v in pairs]
    return (len(keys) == len(set(keys)) and all(key(k) and value(k, v) for k, v in pairs)
            and set(required) <= set(keys))


def record_merge(rows: dict[str, tuple[str, str]], based: dict[str, str] | None) -> tuple[list[str], list[str]]:
    """Of a record's rows ``{key: (hers, stored)}``: (the keys to write, the keys that clash).
    A row she changed (against ``based``, the record her form was opened on) is written; a row she
    left as it was keeps what someone else recorded there meanwhile; a row both changed, to
    different values (or one her form did not show), clashes. ``based`` None (a script or a task):
    every row that differs is written."""
    write, clashes = [], []
    for key, (mine, stored) in rows.items():
        if mine == stored:
            continue
        if based is None or based.get(key) == stored:
            write.append(key)
        elif based.get(key) != mine:
            clashes.append(key)
    return write, clashes


def record_rebased(data, fields: Iterable[tuple[str, str]], started: dict[str, str], now: dict[str, str]):
    """Her posted ``data`` for a second try after a conflict: what she changed (against ``started``,
    the record her form was opened on) stays; what she left as it was takes the value it has ``now``,
    so that saving again does not undo someone else's record by accident; so does a row her form
    did not show (added meanwhile). ``fields``: (form field name, key in the record) of every row."""
    data = data.copy()
    for name, key in fields:
        if key not in started or data.get(name, "") == started[key]:
            data[name] = now.get(key, "")
    return data


def record_gone(rows: dict[str, tuple[str, str]], based: dict[str, str] | None,
                gone: Iterable[str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Of a record's rows ``{key: (hers, stored)}``, set aside those whose row is ``gone`` meanwhile
    (a session cancelled, an invitation withdrawn): (the rows left to merge, the keys of the gone
    rows she changed). Those are never written, and she is told. A gone row she left as it was (against
    ``based``, the record her form was opened on; against the stored value for a script or a task,
    ``based`` None) stands in nobody's way and is not mentioned."""
    gone = set(gone)
    kept = {key: row for key, row in rows.items() if key not in gone}
    lost = [key for key, (mine, stored) in rows.items()
            if key in gone and mine != (stored if based is None else based.get(key, stored))]
    return kept, lost


@dataclass
class RecordSaved:
    """What a service saving a record of rows did: ``current``, the record's row (locked and
    up to date), and ``not_saved``, the rows she changed that were gone meanwhile (e.g. the
    cancelled sessions, the withdrawn invitations), for the page and the API to name."""

    current: Any
    not_saved: list[Any] = field(default_factory=list)
    saved: int = 0

