"""Matrix cells for legal holds: only the data-protection officer sees the list and the reasons;
the lead caseworker opens her case's hold page (grounds and review dates, no reasons) and acts
only on the officer's instruction; everyone else gets 404 (anonymous: 302 to the login)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import LegalHold
from tests.matrix.roles import ROLES, client_for

pytestmark = pytest.mark.django_db

URL_NAMES = {"cases:legal_holds", "cases:legal_hold_create", "cases:case_legal_hold",
             "cases:legal_hold_lift"}
REASON = "Familiengericht 12 F 34/26"


def expect(role: str, allowed: set[str], *, ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    return ok if role in allowed else 404


def _hold(world) -> LegalHold:
    return LegalHold.objects.create(case=world.case, ground=LegalHold.Ground.COURT, reason=REASON,
                                    review_on=timezone.localdate() + dt.timedelta(days=30), set_by=world.dpo)


@pytest.mark.parametrize("role", ROLES)
def test_the_list_of_holds_with_reasons_is_the_officers_alone(world, client, role):
    _hold(world)
    response = client_for(client, world, role).get(reverse("cases:legal_holds"))
    assert response.status_code == expect(role, {"dpo"})
    if response.status_code == 200:
        assert REASON in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_case_hold_page_shows_no_reason_and_opens_for_officer_and_lead_only(world, client, role):
    _hold(world)
    response = client_for(client, world, role).get(reverse("cases:case_legal_hold", args=[world.case.pk]))
    assert response.status_code == expect(role, {"dpo", "convenor"})
    if response.status_code == 200:
        assert REASON not in response.content.decode()
        assert "Court proceedings" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_setting_a_hold_from_the_list(world, client, role):
    data = {"reference": world.case.reference, "ground": "section_8a", "reason": "Verfahren 8a-17",
            "review_on": (timezone.localdate() + dt.timedelta(days=60)).isoformat()}
    response = client_for(client, world, role).post(reverse("cases:legal_hold_create"), data)
    assert response.status_code == expect(role, {"dpo"}, ok=302)
    assert LegalHold.objects.filter(case=world.case).exists() == (role == "dpo")


@pytest.mark.parametrize("role", ROLES)
def test_setting_a_hold_on_the_case_page_on_the_officers_instruction(world, client, role):
    data = {"ground": "complaint", "reason": "Beschwerde 2026-3", "instructed_by": world.dpo.pk,
            "review_on": (timezone.localdate() + dt.timedelta(days=60)).isoformat()}
    response = client_for(client, world, role).post(reverse("cases:case_legal_hold", args=[world.case.pk]), data)
    assert response.status_code == expect(role, {"dpo", "convenor"}, ok=302)
    hold = LegalHold.objects.filter(case=world.case).first()
    assert (hold is not None) == (role in {"dpo", "convenor"})
    if role == "convenor":
        assert hold.set_by == world.convenor and hold.set_on_instruction_of == world.dpo


@pytest.mark.parametrize("role", ROLES)
def test_lifting_a_hold(world, client, role):
    hold = _hold(world)
    response = client_for(client, world, role).post(reverse("cases:legal_hold_lift", args=[hold.pk]),
                                                    {"instructed_by": world.dpo.pk})
    assert response.status_code == expect(role, {"dpo", "convenor"}, ok=302)
    hold.refresh_from_db()
    assert (hold.lifted_at is not None) == (role in {"dpo", "convenor"})
