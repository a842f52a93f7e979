"""Matrix cells for a conference's outgoing e-mail: only those who convene it — the lead
caseworker and the caseworkers of the lead organisation on the team — see its outbox; other
team members and the parent are refused (403), everyone else finds no conference (404), the
anonymous are sent to the login. The page never shows another conference's or another case's
mail, and it changes nothing (GET only)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import Conference
from outbox.models import OutboxMessage
from tests.matrix.roles import ROLES, client_for

pytestmark = pytest.mark.django_db

URL_NAMES = {"conferences:conference_outbox"}
SEES_CONFERENCE = {"convenor", "lead_colleague", "counsellor", "midwife", "parent"}
CONVENORS = {"convenor", "lead_colleague"}


def expect(role: str, *, ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    if role not in SEES_CONFERENCE:
        return 404
    return ok if role in CONVENORS else 403


def _row(conference: Conference, recipient: str, status: str) -> OutboxMessage:
    return OutboxMessage.objects.create(key=f"matrix:{conference.pk}:{recipient}", kind="invitation", case=conference.case,
                                        conference=conference, recipient=recipient, from_email="fk@example.org",
                                        recipients=[recipient], raw=b"Subject: x\r\n\r\nx", status=status,
                                        attempts=2, next_attempt_at=timezone.now())


@pytest.mark.parametrize("role", ROLES)
def test_the_outbox_of_a_conference_is_its_convenors(world, client, role):
    _row(world.conference, "wartet@example.org", "pending")
    _row(world.conference, "gescheitert@example.org", "failed")
    other = Conference.objects.create(case=world.other_case, convenor=world.lead_colleague, status=Conference.Status.SCHEDULED,
                                      starts_at=timezone.now() + dt.timedelta(days=3),
                                      ends_at=timezone.now() + dt.timedelta(days=3, hours=1))
    _row(other, "anderer-fall@example.org", "pending")
    response = client_for(client, world, role).get(reverse("conferences:conference_outbox", args=[world.conference.pk]))
    assert response.status_code == expect(role)
    page = response.content.decode()
    if response.status_code == 200:
        assert "wartet@example.org" in page and "gescheitert@example.org" in page
    assert "anderer-fall@example.org" not in page


@pytest.mark.parametrize("role", ROLES)
def test_the_outbox_page_takes_no_post(world, client, role):
    row = _row(world.conference, "wartet@example.org", "pending")
    response = client_for(client, world, role).post(reverse("conferences:conference_outbox", args=[world.conference.pk]))
    assert response.status_code == (302 if role == "anonymous" else 405)
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 2
