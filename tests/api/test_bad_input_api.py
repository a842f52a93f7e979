"""Bad input gets a 400 with a field-level reason, never a 500; a foreign id answers like a missing
one; CSV exports cannot carry spreadsheet formulas."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import Conference, PollSlot, SlotPoll
from cases.models import FamilyMember
from permissions.csv_export import safe_cell

HUGE = "769387779815242995859456"


@pytest.fixture
def api(client, world):
    client.force_login(world.convenor)
    return client


def test_acknowledging_with_a_list_body_is_a_400(api):
    response = api.post(reverse("protocol-acknowledgement-list"), [None, None], content_type="application/json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"]


@pytest.mark.parametrize("body", [{}, {"protocol": None}, {"protocol": "x"}, {"protocol": int(HUGE)}])
def test_acknowledging_without_a_valid_protocol_names_the_field(api, body):
    response = api.post(reverse("protocol-acknowledgement-list"), body, content_type="application/json")
    assert response.status_code == 400 and "protocol" in response.json()


def test_voting_on_a_conference_without_a_poll_is_a_400_naming_the_answers(api, world):
    api.force_login(world.counsellor)
    response = api.post(reverse("conference-vote", args=[world.conference.pk]), {"answers": {"1": "yes"}},
                        content_type="application/json")
    assert response.status_code == 400 and "answers" in response.json()


@pytest.mark.parametrize("name", ["protocol-item-list", "case-list", "conference-list", "agreed-action-list", "consent-list"])
def test_a_huge_limit_is_capped_and_a_huge_offset_is_a_400(api, name):
    response = api.get(reverse(name), {"limit": HUGE})
    assert response.status_code == 200
    response = api.get(reverse(name), {"offset": HUGE})
    assert response.status_code == 400 and "offset" in response.json()


@pytest.mark.parametrize("param,name", [("protocol", "protocol-item-list"), ("case", "consent-list")])
@pytest.mark.parametrize("value", [HUGE, "-1", "abc"])
def test_a_bad_id_filter_is_a_400_naming_the_parameter(api, param, name, value):
    response = api.get(reverse(name), {param: value})
    assert response.status_code == 400 and param in response.json()


def test_huge_ids_in_bodies_are_400s(api, world):
    for url, body in [
        (reverse("protocol-amendment-list"), {"item": int(HUGE), "text": "x", "reason": "y"}),
        (reverse("conference-pick", args=[world.conference.pk]), {"slot": int(HUGE)}),
        (reverse("consent-list"), {"case": world.case.pk, "given_by": int(HUGE), "from_organisation": world.youth_welfare.pk,
                                   "to_organisations": [world.midwifery.pk], "categories": ["health"],
                                   "valid_from": "2026-01-01", "valid_until": "2026-12-31", "form_reference": "SE-1"}),
    ]:
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)


def test_a_family_member_of_another_case_answers_like_a_missing_one(api, world):
    other = FamilyMember.objects.filter(case=world.other_case).first()
    answers = []
    for given_by in (other.pk, 999999):
        response = api.post(reverse("consent-list"), {
            "case": world.case.pk, "given_by": given_by, "from_organisation": world.youth_welfare.pk,
            "to_organisations": [world.midwifery.pk], "categories": ["parenting_child_welfare"],
            "valid_from": "2026-01-01", "valid_until": "2026-12-31", "form_reference": "SE-1"}, content_type="application/json")
        assert response.status_code == 400
        answers.append(response.json()["given_by"])
    assert answers[0] == answers[1]


def test_another_polls_candidate_time_answers_like_a_missing_one(api, world):
    start = timezone.now() + dt.timedelta(days=5)
    world.conference.status = Conference.Status.POLLING
    world.conference.save(update_fields=["status"])
    SlotPoll.objects.create(conference=world.conference)
    other_conference = Conference.objects.create(case=world.other_case, convenor=world.lead_colleague,
                                                 status=Conference.Status.POLLING, starts_at=start,
                                                 ends_at=start + dt.timedelta(hours=1))
    foreign = PollSlot.objects.create(poll=SlotPoll.objects.create(conference=other_conference), starts_at=start,
                                      ends_at=start + dt.timedelta(hours=1))
    answers = [api.post(reverse("conference-pick", args=[world.conference.pk]), {"slot": slot},
                        content_type="application/json") for slot in (foreign.pk, 999999)]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_a_csv_cell_cannot_start_a_formula(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Jugendamt") == "Jugendamt" and safe_cell(-3) == -3


def test_the_export_writer_neutralises_every_text_cell_it_writes():
    from permissions import csv_export

    out = io.StringIO()
    csv_export.writer(out).writerows([["=1+1", "Jugendamt", 5, -2, None], ["@x", "-y", "+z", "\tq", ""]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'=1+1", "Jugendamt", "5", "-2", ""], ["'@x", "'-y", "'+z", "'\tq", ""]]
