"""iCalendar pieces of the subscription feeds that sit above conferences: agreed actions (as
VEVENT and VTODO) and the board meeting download. The building blocks (calendar, time zones,
conference and board meeting events) stay in ``conferences.ical``, which the iMIP mail of
conferences and of the board use as well."""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from icalendar import Event, Todo

from conferences.ical import board_meeting_event, finish, new_calendar, reverse_or_root, site_host, utc


def action_uid(pk: int) -> str:
    return f"action-{pk}@{site_host()}"


def action_title(action, *, terse: bool = False) -> str:
    """A neutral label; a done or dropped action (kept in feeds for a while) says so, so that
    the calendar that holds the event shows the change."""
    title = _("Action due") if terse else f"{action.case.reference} – {_('Agreed action due')}"
    marker = {"done": _("done"), "dropped": _("dropped")}.get(action.status)
    return f"{title} ({marker})" if marker else title


def action_sequence(action) -> int:
    """SEQUENCE of an action's event: ``AgreedAction.sequence``, which the protocols services
    raise whenever the action's status or due date changes, so a client replaces the event it
    holds."""
    return action.sequence


def action_event(action, *, terse: bool = False) -> Event:
    """An agreed action as an all-day, transparent VEVENT on its due date (subscriptions in
    Google and iOS ignore VTODO). Only a neutral label: action titles may hold health terms."""
    event = Event()
    event.add("uid", action_uid(action.pk))
    event.add("dtstamp", utc(action.updated_at))
    event.add("sequence", action_sequence(action))
    event.add("summary", action_title(action, terse=terse))
    event.add("dtstart", action.due_on)
    # The day after, as RFC 5545 wants for an all-day event. An action recorded before due dates
    # were bounded (``permissions.dates``) may fall on the calendar's last day: without DTEND a
    # DATE event lasts that one day (RFC 5545, 3.6.1).
    if action.due_on < dt.date.max:
        event.add("dtend", action.due_on + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add("class", "CONFIDENTIAL")
    event.add("status", "CANCELLED" if action.status == "dropped" else "CONFIRMED")
    event.add("url", reverse_or_root("cases:case_detail", action.case_id))
    return event


def action_todo(action, *, terse: bool = False) -> Todo:
    todo = Todo()
    todo.add("uid", f"todo-{action_uid(action.pk)}")
    todo.add("dtstamp", utc(action.updated_at))
    todo.add("sequence", action_sequence(action))
    todo.add("summary", action_title(action, terse=terse))
    todo.add("due", action.due_on)
    todo.add("status", {"done": "COMPLETED", "dropped": "CANCELLED", "in_progress": "IN-PROCESS"}.get(action.status, "NEEDS-ACTION"))
    if action.completed_on:
        todo.add("completed", utc(getattr(action, "completed_at", None) or action.updated_at))
    todo.add("url", reverse_or_root("cases:case_detail", action.case_id))
    return todo


def board_meeting_download(meeting) -> bytes:
    cal = new_calendar()
    cal.add_component(board_meeting_event(meeting))
    return finish(cal, default_zone=meeting.network.time_zone)
