"""Dates the offers app promises: when a referral must be answered, and when a place may be
expected for someone on a waiting list. Both count working days of the offer's network (Monday to
Friday without the public holidays of its country and state, ``participants.working_days``), so
an answer deadline does not run out over Easter and a waiting time does not shrink over Christmas.
"""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from participants.working_days import add_working_days

from .models import NetworkOfferSettings, Referral

DEFAULT_ANSWER_WORKING_DAYS = NetworkOfferSettings._meta.get_field("referral_answer_working_days").default
WORKING_DAYS_PER_WEEK = 5


def answer_working_days(network_id: int) -> int:
    value = NetworkOfferSettings.objects.filter(network_id=network_id).values_list("referral_answer_working_days", flat=True).first()
    return DEFAULT_ANSWER_WORKING_DAYS if value is None else value


def answer_due_on(referral: Referral, *, network, working_days: int) -> dt.date:
    """The last day on which the receiving organisation answers in time."""
    return add_working_days(timezone.localdate(referral.created_at), working_days, network=network)


def expected_place_on(referral: Referral) -> dt.date | None:
    """About when a waiting person may expect a place: the offer's expected wait in weeks,
    counted as working weeks from the day she was put on the list (holidays lengthen it)."""
    weeks = referral.offer.expected_wait_weeks
    if referral.status != Referral.Status.WAITLISTED or referral.waitlisted_at is None or weeks is None:
        return None
    network = referral.offer.organisation.network
    return add_working_days(timezone.localdate(referral.waitlisted_at), weeks * WORKING_DAYS_PER_WEEK, network=network)
