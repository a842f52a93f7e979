"""Permission matrix for programme tracks: enrolments, sessions, attendance. The track of
``offer_world`` is run by the early-help organisation, where world.outsider works."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from offers import track_services as ts
from offers.models import Enrolment, Session
from tests.matrix.roles import ROLES, client_for
from tests.offers.offer_world import build_offer_world

URL_NAMES = {
    "offers:track_enrolments",
    "offers:enrolment_detail",
    "offers:enrolment_end",
    "offers:enrolment_attendance",
    "offers:session_cancel",
}

pytestmark = pytest.mark.django_db

TRACK_STAFF = {"outsider"}


@pytest.fixture
def track(world):
    offers = build_offer_world(world)
    enrolment = Enrolment.objects.create(offer=offers.network_offer, family_label="A.", enrolled_by=world.outsider)
    start = timezone.now() + dt.timedelta(days=2)
    session = Session.objects.create(enrolment=enrolment, staff=world.outsider, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    return offers.network_offer, enrolment, session


def expected(role):
    return 302 if role == "anonymous" else (200 if role in TRACK_STAFF else 404)


@pytest.mark.parametrize("role", ROLES)
def test_track_enrolments(client, world, track, role):
    offer, _enrolment, _session = track
    assert client_for(client, world, role).get(reverse("offers:track_enrolments", args=[offer.pk])).status_code == expected(role)


@pytest.mark.parametrize("role", ROLES)
def test_enrolment_detail(client, world, track, role):
    _offer, enrolment, _session = track
    response = client_for(client, world, role).get(reverse("offers:enrolment_detail", args=[enrolment.pk]))
    assert response.status_code == expected(role)


@pytest.mark.parametrize("role", ROLES)
def test_enrolment_end(client, world, track, role):
    _offer, enrolment, _session = track
    response = client_for(client, world, role).post(reverse("offers:enrolment_end", args=[enrolment.pk]), {"outcome": "completed"})
    enrolment.refresh_from_db()
    assert (enrolment.status == "completed") == (role in TRACK_STAFF)
    assert response.status_code == (302 if role in TRACK_STAFF | {"anonymous"} else 404)


@pytest.mark.parametrize("role", ROLES)
def test_enrolment_attendance(client, world, track, role):
    _offer, enrolment, session = track
    data = {f"session-{session.pk}": "yes", "based_on": ts.session_attendance_based_on([(session.pk, None)])}
    response = client_for(client, world, role).post(reverse("offers:enrolment_attendance", args=[enrolment.pk]), data)
    session.refresh_from_db()
    assert (session.attended is True) == (role in TRACK_STAFF)
    assert response.status_code == (302 if role in TRACK_STAFF | {"anonymous"} else 404)


@pytest.mark.parametrize("role", ROLES)
def test_session_cancel(client, world, track, role):
    _offer, _enrolment, session = track
    response = client_for(client, world, role).post(reverse("offers:session_cancel", args=[session.pk]))
    session.refresh_from_db()
    assert (session.cancelled_at is not None) == (role in TRACK_STAFF)
    assert response.status_code == (302 if role in TRACK_STAFF | {"anonymous"} else 404)
