"""Issue 13: within one read-only request the policy answers "is she a parent of this case?" and
"is she on its team?" once each (``permissions.requests.request_memo``); the case page asked each
twice. Outside such a request (a POST, a service, a task, a test calling the policy) every call
asks the database, so a change is never answered from before it."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import policy as cases_policy
from cases import services as case_services
from permissions.requests import request_memo_var

pytestmark = pytest.mark.django_db


def _asked(queries, table: str) -> int:
    return sum(1 for q in queries if q["sql"].startswith("SELECT 1 AS") and f'FROM "{table}"' in q["sql"])


def test_the_case_page_asks_parent_and_team_once_each(world, client):
    client.force_login(world.counsellor)
    url = reverse("cases:case_detail", args=[world.case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert _asked(ctx.captured_queries, "participants_familymember") == 1, "\n".join(q["sql"][:160] for q in ctx.captured_queries)
    assert _asked(ctx.captured_queries, "conferences_caseteammember") == 1, "\n".join(q["sql"][:160] for q in ctx.captured_queries)
    assert request_memo_var.get() is None  # nothing is remembered after the request


def test_outside_a_request_every_call_asks_and_sees_a_change_at_once(world):
    assert cases_policy.is_professional_on_case(world.midwife, world.case)
    case_services.case_team_member_remove(world.convenor, member=world.case.team.get(user=world.midwife))
    assert not cases_policy.is_professional_on_case(world.midwife, world.case)


def test_a_post_remembers_nothing(world, client, monkeypatch):
    seen = []
    real = cases_policy.professional_case_ids

    def counting(user):
        seen.append(request_memo_var.get())
        return real(user)

    monkeypatch.setattr(cases_policy, "professional_case_ids", counting)
    client.force_login(world.convenor)
    member = world.case.team.get(user=world.midwife)
    client.post(reverse("cases:case_team_remove", args=[world.case.pk, member.pk]))
    assert seen and all(memo is None for memo in seen)
