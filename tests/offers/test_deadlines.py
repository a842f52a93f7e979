"""Deadlines of the offers app count the network's working days: weekends and public holidays of
its country (and state) do not count."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from offers import deadlines
from offers import referral_services as rs
from offers.models import Offer, Referral

pytestmark = pytest.mark.django_db

# Wednesday before Easter 2027: Good Friday (26 March) and Easter Monday (29 March) are German
# and Danish public holidays; five working days later is Friday 2 April, not Wednesday 31 March.
BEFORE_EASTER = dt.datetime(2027, 3, 24, 10, 0, tzinfo=dt.timezone.utc)


def aware(year, month, day, hour=12):
    return timezone.make_aware(dt.datetime(year, month, day, hour))


def test_the_answer_deadline_skips_easter(world, offers):
    Referral.objects.filter(pk=offers.referral.pk).update(created_at=BEFORE_EASTER)
    offers.referral.refresh_from_db()
    due = deadlines.answer_due_on(offers.referral, network=world.network, working_days=5)
    assert due == dt.date(2027, 4, 2)


def test_a_referral_is_not_flagged_while_easter_holidays_extend_its_deadline(world, offers):
    Referral.objects.filter(pk=offers.referral.pk).update(created_at=BEFORE_EASTER)
    assert rs.referrals_flag_unanswered(now=aware(2027, 4, 1)) == 0  # weekdays only would have flagged it
    assert rs.referrals_flag_unanswered(now=aware(2027, 4, 2)) == 0
    assert rs.referrals_flag_unanswered(now=aware(2027, 4, 5)) == 1


def test_the_state_holidays_of_the_network_count(world, offers):
    # Weltkindertag (20 September) is a holiday in Thuringia only.
    world.network.holiday_region = "TH"
    world.network.save(update_fields=["holiday_region"])
    Referral.objects.filter(pk=offers.referral.pk).update(created_at=aware(2027, 9, 13))
    offers.referral.refresh_from_db()
    assert deadlines.answer_due_on(offers.referral, network=world.network, working_days=5) == dt.date(2027, 9, 21)


def test_the_referral_page_shows_the_answer_deadline_in_the_users_language(client, world, offers):
    Referral.objects.filter(pk=offers.referral.pk).update(created_at=BEFORE_EASTER)
    client.force_login(world.counsellor)
    response = client.get(reverse("offers:referral_detail", args=[offers.referral.pk]), HTTP_ACCEPT_LANGUAGE="de")
    text = response.content.decode()
    assert "2. April 2027" in text and "2027-04-02" not in text


def test_the_expected_place_counts_danish_christmas_as_no_working_days(world, offers):
    offer = offers.foreign_offer
    offer.capacity, offer.availability, offer.expected_wait_weeks = 1, Offer.Availability.WAITLIST, 1
    offer.save()
    referral = Referral.objects.create(
        offer=offer, referred_by=world.foreign_professional, referred_by_organisation=world.foreign_org, client_label="L.",
        status=Referral.Status.WAITLISTED, waitlisted_at=aware(2026, 12, 21),
    )
    # Monday 21 December 2026 + five working days: Christmas Day (Friday 25) is a Danish holiday,
    # so the fifth working day is Tuesday 29 December; weekdays alone would give Monday 28.
    assert deadlines.expected_place_on(referral) == dt.date(2026, 12, 29)


def test_the_referrer_sees_when_a_place_is_expected(client, world, offers):
    offer = offers.public_offer
    offer.availability, offer.expected_wait_weeks = Offer.Availability.WAITLIST, 1
    offer.save()
    Referral.objects.filter(pk=offers.referral.pk).update(status=Referral.Status.WAITLISTED, waitlisted_at=aware(2027, 3, 24))
    client.force_login(offers.case_manager)
    response = client.get(reverse("offers:referral_detail", args=[offers.referral.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "A place is expected around 2 April 2027" in response.content.decode()
