"""Enrolments in a track made without a referral belong to no referral and no case, so neither
the case erasure nor the rule for unattached referrals reaches them. ``REFERRAL_RETENTION_DAYS``
after their last change, once ended and with no session changed since, the daily retention job
erases the family's label, e-mail and reason for ending and the sessions' topics and places.
Rows, dates, statuses, municipalities and attendance stay for the yearly figures."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from offers import track_services as ts
from offers.models import Enrolment, Session
from operations.retention import ERASED, retention_apply
from permissions.models import AuditEvent
from tests.offers.offer_world import build_offer_world
from tests.retention.conftest import occurrences

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - dt.timedelta(days=800)     # beyond the default of 730 days
LATELY = timezone.now() - dt.timedelta(days=100)


def enrol(world, offers, tag: str, *, end: bool = True) -> Enrolment:
    enrolment = ts.enrolment_create(world.outsider, offer=offers.network_offer, family_label=f"Familie-{tag}",
                                    family_email=f"{tag.lower()}@example.org", municipality="Teststadt")
    ts.session_schedule(world.outsider, enrolment=enrolment, staff=world.outsider,
                        starts_at=timezone.now() + dt.timedelta(days=1), topic=f"Thema-{tag}", location=f"Wohnung-{tag}")
    if end:
        ts.enrolment_end(world.outsider, enrolment=enrolment, completed=False, reason=f"Rückfall-{tag}")
    return enrolment


def age(enrolment: Enrolment, when, *, sessions_too: bool = True) -> None:
    Enrolment.objects.filter(pk=enrolment.pk).update(updated_at=when)
    if sessions_too:
        Session.objects.filter(enrolment=enrolment).update(updated_at=when)


@pytest.fixture
def direct(world):
    offers = build_offer_world(world)
    old = enrol(world, offers, "Direkt")
    age(old, LONG_AGO)
    return offers, old


def secrets(tag: str) -> list[str]:
    return [f"Familie-{tag}", f"{tag.lower()}@example.org", f"Rückfall-{tag}", f"Thema-{tag}", f"Wohnung-{tag}"]


def test_an_ended_direct_enrolment_is_erased_by_the_daily_job(direct):
    _offers, old = direct
    assert all(occurrences(secret) for secret in secrets("Direkt"))
    report = retention_apply()
    for secret in secrets("Direkt"):
        assert occurrences(secret) == [], secret
    assert report.other_rows["direct enrolments"] == 1 and report.other_rows["direct enrolment sessions"] == 1
    event = AuditEvent.objects.get(action="retention.erase_direct_enrolments")
    assert event.detail["enrolments"] == [old.pk] and "Direkt" not in str(event.detail)


def test_the_management_command_runs_it(direct):
    call_command("apply_retention", stdout=open("/dev/null", "w"))
    assert occurrences("Familie-Direkt") == []


def test_rows_dates_statuses_and_attendance_stay(direct):
    _offers, old = direct
    Session.objects.filter(enrolment=old).update(attended=True)
    before = Enrolment.objects.filter(pk=old.pk).values("status", "enrolled_on", "ended_on", "municipality", "updated_at").get()
    retention_apply()
    assert Enrolment.objects.filter(pk=old.pk).values("status", "enrolled_on", "ended_on", "municipality",
                                                      "updated_at").get() == before
    erased = Enrolment.objects.get(pk=old.pk)
    assert (erased.family_label, erased.end_reason, erased.family_email) == (ERASED, ERASED, "")
    session = Session.objects.get(enrolment=old)
    assert (session.topic, session.location, session.attended) == (ERASED, ERASED, True)


def test_active_recent_and_recently_touched_enrolments_stay(world, direct):
    offers, _old = direct
    active = enrol(world, offers, "Aktiv", end=False)
    age(active, LONG_AGO)
    recent = enrol(world, offers, "Kuerzlich")
    age(recent, LATELY)
    touched = enrol(world, offers, "Beruehrt")
    age(touched, LONG_AGO, sessions_too=False)  # a session was changed lately
    retention_apply()
    for tag in ("Aktiv", "Kuerzlich", "Beruehrt"):
        for secret in secrets(tag):
            if tag != "Aktiv" or not secret.startswith("Rückfall"):  # an active one has no reason for ending
                assert occurrences(secret), secret


def test_a_second_run_erases_nothing_more(direct):
    retention_apply()
    again = retention_apply()
    assert again.other_rows["direct enrolments"] == 0
    assert AuditEvent.objects.filter(action="retention.erase_direct_enrolments").count() == 1


@override_settings(REFERRAL_RETENTION_DAYS=0)
def test_zero_switches_it_off(direct):
    retention_apply()
    assert occurrences("Familie-Direkt")
