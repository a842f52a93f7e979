"""Places of an offer: how many are taken, whether one is free, the waiting list's order.

Counted in SQL from the referrals and enrolments themselves (no counter to keep in step). A place
is held by an accepted or running referral, by a place offered to the next person on the
waiting list, and by a direct enrolment (one without a referral) in a track. For capacity per
year, everything that took a place in the current calendar year counts.
"""
from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from .models import Enrolment, Offer, Referral


def places_taken(offer: Offer) -> int:
    referrals = Referral.objects.filter(offer=offer)
    enrolments = Enrolment.objects.filter(offer=offer, referral__isnull=True)
    if offer.capacity_unit == Offer.CapacityUnit.PER_YEAR:
        year = timezone.localdate().year
        taken = referrals.filter(Q(accepted_at__year=year, status__in=["accepted", "in_progress", "completed"])
                                 | Q(status="waitlisted", place_offered_at__isnull=False)).count()
        return taken + enrolments.filter(enrolled_on__year=year).count()
    taken = referrals.filter(Q(status__in=Referral.HOLDS_PLACE) | Q(status="waitlisted", place_offered_at__isnull=False)).count()
    return taken + enrolments.filter(status=Enrolment.Status.ACTIVE).count()


def has_free_place(offer: Offer) -> bool:
    return offer.capacity is None or places_taken(offer) < offer.capacity


def waiting_list(offer: Offer):
    """Who waits, in order: first come, first served."""
    return Referral.objects.filter(offer=offer, status=Referral.Status.WAITLISTED).order_by("waitlisted_at", "pk")


def position_on_waiting_list(referral: Referral) -> int | None:
    if referral.status != Referral.Status.WAITLISTED or referral.waitlisted_at is None:
        return None
    ahead = waiting_list(referral.offer).filter(
        Q(waitlisted_at__lt=referral.waitlisted_at) | Q(waitlisted_at=referral.waitlisted_at, pk__lt=referral.pk)
    ).count()
    return ahead + 1
