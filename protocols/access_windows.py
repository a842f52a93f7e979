"""Date boundaries of access: consents, legal bases and explicit grants begin and end at midnight.

The policy filters every window by date at query time, so nothing is disclosed early or late in
a page, the API or a feed. What a query cannot do is reach a socket that is already open: the
daily run (``manage.py expire_grants``) finds the cases whose windows opened or closed since its
last run and tells their open protocol screens to re-read what their user may see.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.models import Case, Consent, DisclosureBasis
from permissions import audit, policy
from permissions.models import ConferenceGuestGrant, GrantRefreshState, MinuteTakerGrant, SubstituteGrant
from protocols.live import access_changed_on_commit

EXPIRY_STATE_KEY = "consent-windows"


def _crossing(since: dt.date, today: dt.date, start: str, end: str) -> Q:
    """A window opens on its first day and closes on the day after its last: ``start`` in
    (since, today] or ``end`` in [since, today - 1]."""
    last_valid = today - dt.timedelta(days=1)
    return Q(**{f"{start}__gt": since, f"{start}__lte": today}) | Q(**{f"{end}__gte": since, f"{end}__lte": last_valid})


def cases_crossing_windows(since: dt.date, today: dt.date) -> set[int]:
    """Cases with an unrevoked consent, an unended legal basis or an explicit grant whose window
    opened or closed after ``since`` and on or before ``today``."""
    if since >= today:
        return set()
    ids = set(Consent.objects.filter(revoked_at__isnull=True).filter(_crossing(since, today, "valid_from", "valid_until"))
              .values_list("case_id", flat=True))
    ids |= set(DisclosureBasis.objects.filter(ended_at__isnull=True).filter(_crossing(since, today, "invoked_on", "valid_until"))
               .values_list("case_id", flat=True))
    window = _crossing(since, today, "valid_from", "valid_until")
    ids |= set(ConferenceGuestGrant.objects.filter(window).values_list("content_object__case_id", flat=True))
    ids |= set(MinuteTakerGrant.objects.filter(window).values_list("content_object__conference__case_id", flat=True))
    absent = SubstituteGrant.objects.filter(window).values("content_object_id")
    ids |= set(Case.objects.filter(team__user_id__in=absent, team__removed_at__isnull=True).values_list("pk", flat=True))
    return ids


@dataclass
class ExpiryRun:
    since: dt.date
    today: dt.date
    case_ids: list[int]


@transaction.atomic
def expire_windows(*, today: dt.date | None = None, since: dt.date | None = None) -> ExpiryRun:
    """Tell the open screens of exactly the cases whose windows crossed a boundary since the last
    run (yesterday when it never ran, or ``since`` when given), then remember today. Idempotent:
    a second run on the same day finds nothing."""
    today = today or policy._today()
    state = GrantRefreshState.objects.select_for_update().filter(key=EXPIRY_STATE_KEY).first()
    if since is None:
        since = state.last_run_on if state is not None else today - dt.timedelta(days=1)
    case_ids = sorted(cases_crossing_windows(since, today))
    if case_ids:
        access_changed_on_commit(*case_ids)
    if state is None or state.last_run_on < today:
        GrantRefreshState.objects.update_or_create(
            key=EXPIRY_STATE_KEY, defaults={"last_run_on": today, "last_run_at": timezone.now()}
        )
    return ExpiryRun(since=since, today=today, case_ids=case_ids)


def passed_windows_announce(*, since: str | None = None, channel: str = audit.Channel.TASK) -> dict:
    """Tell open screens of the cases whose windows passed, and audit the run. ``since``: ISO
    date to treat as the last run (default: the stored last run, else yesterday)."""
    run = expire_windows(since=dt.date.fromisoformat(since) if since else None)
    result = {"since": run.since.isoformat(), "today": run.today.isoformat(), "cases": run.case_ids}
    audit.record(channel, action="access.windows_passed", object_type="permissions.grants", channel=channel, detail=result)
    return result
