"""Referrals and requests to the central case manager that never became part of a case are not
kept forever: ``REFERRAL_RETENTION_DAYS`` after their last change, once finished, the retention
job erases their content (and that of the request's messages and the referral's enrolment and
sessions). Rows, dates, statuses and municipalities stay for the yearly figures; anything still
alive, recent or part of a case is untouched."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from offers.models import Enrolment, Referral, Session, SupportMessage, SupportRequest
from permissions.models import AuditEvent
from operations.retention import ERASED, retention_apply
from records import facts
from records.present import RETENTION_LABELS
from tests.offers.offer_world import build_offer_world
from tests.retention.conftest import occurrences

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - dt.timedelta(days=800)     # beyond the default of 730 days
LATELY = timezone.now() - dt.timedelta(days=100)


def _age(model, obj, when):
    model.objects.filter(pk=obj.pk).update(updated_at=when)


@pytest.fixture
def old_and_new(world):
    offers = build_offer_world(world)
    # An old, finished conversation: a referral request whose referral was declined, and the track
    # enrolment of a second referral of it that completed - never part of a case.
    request = SupportRequest.objects.create(
        network=world.network, kind=SupportRequest.Kind.REFERRAL, sender=world.midwife, sender_organisation=world.midwifery,
        case_manager=offers.case_manager, situation="Lage-Ohnefall", asked_for="Bitte-Ohnefall", client_label="Klientin-Ohnefall",
        consent_reference="SE-Ohnefall", consent_given_on=LONG_AGO.date(), status=SupportRequest.Status.CLOSED,
        created_at=LONG_AGO)
    SupportMessage.objects.create(request=request, author=world.midwife, text="Nachricht-Ohnefall", created_at=LONG_AGO)
    declined = Referral.objects.create(
        offer=offers.public_offer, support_request=request, referred_by=offers.case_manager,
        referred_by_organisation=offers.perinatal, client_label="Kurz-Ohnefall", note="Hinweis-Ohnefall",
        decline_reason="Grund-Ohnefall", status=Referral.Status.DECLINED, municipality="Teststadt", created_at=LONG_AGO,
        answered_at=LONG_AGO, closed_at=LONG_AGO)
    completed = Referral.objects.create(
        offer=offers.network_offer, support_request=request, referred_by=offers.case_manager,
        referred_by_organisation=offers.perinatal, client_label="Zweite-Ohnefall", answer="Antwort-Ohnefall",
        status=Referral.Status.COMPLETED, municipality="Teststadt", created_at=LONG_AGO, closed_at=LONG_AGO)
    enrolment = Enrolment.objects.create(
        offer=offers.network_offer, referral=completed, family_label="Familie-Ohnefall", family_email="ohnefall@example.org",
        status=Enrolment.Status.COMPLETED, municipality="Teststadt", birth_site="Kolding", enrolled_by=world.outsider,
        enrolled_on=LONG_AGO.date(), ended_on=LONG_AGO.date() + dt.timedelta(days=60))
    session = Session.objects.create(enrolment=enrolment, staff=world.outsider, topic="Thema-Ohnefall", location="Raum-Ohnefall",
                                     starts_at=LONG_AGO, ends_at=LONG_AGO + dt.timedelta(hours=1), attended=True)
    for model, obj in ((SupportRequest, request), (Referral, declined), (Referral, completed), (Enrolment, enrolment)):
        _age(model, obj, LONG_AGO)
    # Alive or recent: each must stay as it is.
    waiting = Referral.objects.create(offer=offers.public_offer, referred_by=offers.case_manager,
                                      referred_by_organisation=offers.perinatal, client_label="Wartet-Lange",
                                      status=Referral.Status.WAITLISTED)
    recent = Referral.objects.create(offer=offers.public_offer, referred_by=offers.case_manager,
                                     referred_by_organisation=offers.perinatal, client_label="Kuerzlich-Zu",
                                     status=Referral.Status.CANCELLED)
    of_case = Referral.objects.create(offer=offers.public_offer, referred_by=offers.case_manager, case=world.case,
                                      referred_by_organisation=offers.perinatal, client_label="ImFall-Alt",
                                      status=Referral.Status.COMPLETED)
    _age(Referral, waiting, LONG_AGO)
    _age(Referral, recent, LATELY)
    _age(Referral, of_case, LONG_AGO)
    # The world's request with an open referral (still "requested"), aged: alive through its referral.
    _age(SupportRequest, offers.support_request, LONG_AGO)
    _age(SupportRequest, offers.consultation, LATELY)
    return {"request": request, "declined": declined, "completed": completed, "enrolment": enrolment, "session": session,
            "kept": {"Wartet-Lange", "Kuerzlich-Zu", "ImFall-Alt", offers.support_request.situation,
                     offers.consultation.situation, offers.referral.note},
            "secrets": ["Lage-Ohnefall", "Bitte-Ohnefall", "Klientin-Ohnefall", "SE-Ohnefall", "Nachricht-Ohnefall",
                        "Kurz-Ohnefall", "Hinweis-Ohnefall", "Grund-Ohnefall", "Zweite-Ohnefall", "Antwort-Ohnefall",
                        "Familie-Ohnefall", "ohnefall@example.org", "Thema-Ohnefall", "Raum-Ohnefall"]}


def test_finished_referrals_and_requests_of_no_case_are_erased_after_the_period(old_and_new):
    assert all(occurrences(secret) for secret in old_and_new["secrets"])
    report = retention_apply()
    for secret in old_and_new["secrets"]:
        assert occurrences(secret) == [], secret
    assert report.other_rows["unattached referrals"] == 2
    assert report.other_rows["unattached support requests"] == 1
    assert report.other_rows["unattached enrolments"] == 1 and report.other_rows["unattached sessions"] == 1
    assert "unattached referrals: 2" in report.lines()
    event = AuditEvent.objects.get(action="retention.erase_unattached")
    assert sorted(event.detail["referrals"]) == sorted([old_and_new["declined"].pk, old_and_new["completed"].pk])
    assert "Ohnefall" not in str(event.detail)


def test_rows_dates_statuses_and_municipalities_stay_for_the_figures(old_and_new):
    retention_apply()
    declined = Referral.objects.get(pk=old_and_new["declined"].pk)
    assert declined.client_label == ERASED and declined.status == Referral.Status.DECLINED
    assert declined.municipality == "Teststadt" and declined.closed_at == old_and_new["declined"].closed_at
    assert declined.updated_at == LONG_AGO  # no auto_now date moved
    enrolment = Enrolment.objects.get(pk=old_and_new["enrolment"].pk)
    assert (enrolment.status, enrolment.birth_site, enrolment.family_email) == (Enrolment.Status.COMPLETED, "Kolding", "")
    assert enrolment.ended_on == old_and_new["enrolment"].ended_on
    assert Session.objects.get(pk=old_and_new["session"].pk).attended is True
    assert SupportRequest.objects.get(pk=old_and_new["request"].pk).status == SupportRequest.Status.CLOSED


def test_open_recent_and_case_referrals_and_live_requests_stay(old_and_new):
    retention_apply()
    for text in old_and_new["kept"]:
        assert occurrences(text), text


def test_a_second_run_erases_nothing_more_and_a_dry_run_nothing_at_all(old_and_new):
    dry = retention_apply(dry_run=True)
    assert dry.other_rows["unattached referrals"] == 2
    assert occurrences("Kurz-Ohnefall")
    retention_apply()
    again = retention_apply()
    assert set(again.other_rows.values()) == {0}
    assert AuditEvent.objects.filter(action="retention.erase_unattached").count() == 1


@override_settings(REFERRAL_RETENTION_DAYS=0)
def test_zero_switches_it_off(old_and_new):
    report = retention_apply()
    assert report.other_rows == {}
    assert occurrences("Kurz-Ohnefall")


@override_settings(REFERRAL_RETENTION_DAYS=30)
def test_the_period_comes_from_the_setting_and_shows_in_the_art_30_record(old_and_new, world):
    retention_apply()
    assert occurrences("Kuerzlich-Zu") == []  # 100 days old: past a 30-day period
    row = next(r for r in facts.build_record_content(world.network)["retention"] if r["record"] == "unattached_referrals")
    assert row == {"record": "unattached_referrals", "value": 30, "unit": "days_after_last_change"}
    assert "unattached_referrals" in RETENTION_LABELS
