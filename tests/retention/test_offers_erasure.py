"""A closed case's erasure also takes what the offers app keeps about it: the referrals that
belong to it, the requests to the central case manager attached to it and their messages, and
the enrolments and sessions that came from those referrals. Rows, dates and statuses stay."""
from __future__ import annotations

import datetime as dt

import pytest

from offers.models import Enrolment, Referral, Session, SupportMessage, SupportRequest
from operations.retention import ERASED, retention_apply
from tests.offers.offer_world import build_offer_world
from tests.retention.conftest import at, occurrences

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers_of_old_case(world, old_case):
    offers = build_offer_world(world)
    case = old_case.case
    request = SupportRequest.objects.create(
        network=world.network, kind=SupportRequest.Kind.REFERRAL, sender=world.midwife, sender_organisation=world.midwifery,
        case_manager=offers.case_manager, situation="Lage-Alt11", asked_for="Bitte-Alt11", client_label="Klientin-Alt11",
        consent_reference="SE-Alt11", consent_given_on=old_case.conference_day, case=case,
    )
    SupportMessage.objects.create(request=request, author=world.midwife, text="Nachricht-Alt11")
    referral = Referral.objects.create(
        offer=offers.network_offer, support_request=request, referred_by=offers.case_manager,
        referred_by_organisation=offers.perinatal, client_label="Kurz-Alt11", note="Hinweis-Alt11", answer="Antwort-Alt11",
        case=case, status=Referral.Status.COMPLETED, team_consent_reference="Team-Alt11",
        team_consent_given_on=old_case.conference_day,
    )
    enrolment = Enrolment.objects.create(
        offer=offers.network_offer, referral=referral, family_label="Familie-Alt11", family_email="familie-alt11@example.org",
        status=Enrolment.Status.ENDED_EARLY, end_reason="Umzug-Alt11", enrolled_on=old_case.conference_day,
        ended_on=old_case.conference_day + dt.timedelta(days=20), enrolled_by=world.outsider, municipality="Teststadt",
    )
    start = at(old_case.conference_day + dt.timedelta(days=3))
    Session.objects.create(enrolment=enrolment, staff=world.outsider, topic="Thema-Alt11", location="Raum-Alt11",
                           starts_at=start, ends_at=start + dt.timedelta(hours=1), attended=True)
    other = Referral.objects.create(offer=offers.public_offer, referred_by=offers.case_manager,
                                    referred_by_organisation=offers.perinatal, client_label="Andere-Heute", note="Bleibt-Heute")
    return {"referral": referral, "enrolment": enrolment, "other": other,
            "secrets": ["Lage-Alt11", "Bitte-Alt11", "Klientin-Alt11", "SE-Alt11", "Nachricht-Alt11", "Kurz-Alt11",
                        "Hinweis-Alt11", "Antwort-Alt11", "Team-Alt11", "Familie-Alt11", "familie-alt11@example.org",
                        "Umzug-Alt11", "Thema-Alt11", "Raum-Alt11"]}


def test_erasing_a_case_erases_its_referrals_requests_enrolments_and_sessions(offers_of_old_case):
    assert all(occurrences(secret) for secret in offers_of_old_case["secrets"])
    report = retention_apply()
    for secret in offers_of_old_case["secrets"]:
        assert occurrences(secret) == [], secret
    assert report.erased_rows["referrals"] == 1 and report.erased_rows["sessions"] == 1


def test_rows_dates_and_statuses_stay_and_other_referrals_are_untouched(offers_of_old_case):
    referral, enrolment, other = (offers_of_old_case[k] for k in ("referral", "enrolment", "other"))
    before = Enrolment.objects.filter(pk=enrolment.pk).values("status", "enrolled_on", "ended_on", "municipality", "updated_at").get()
    retention_apply()
    referral.refresh_from_db()
    assert (referral.client_label, referral.status, referral.team_consent_given_on) == (ERASED, "completed",
                                                                                         offers_of_old_case["referral"].team_consent_given_on)
    assert Enrolment.objects.filter(pk=enrolment.pk).values("status", "enrolled_on", "ended_on", "municipality", "updated_at").get() == before
    assert Enrolment.objects.get(pk=enrolment.pk).family_email == ""
    other.refresh_from_db()
    assert (other.client_label, other.note) == ("Andere-Heute", "Bleibt-Heute")
