"""A parent whose account is linked to several cases (one family-member record per case) finds
each of them on her dashboard and her account page, each with what belongs to it alone."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseTeamMember, FamilyMember
from conferences.models import Conference, Invitation
from permissions.models import AuditEvent
from protocols import services as protocol_services
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.world import hold_conference

pytestmark = pytest.mark.django_db


def _family_section(page: str) -> str:
    return page.split('id="family"', 1)[1].split("</section>", 1)[0]


def _case_entry(page: str, case: Case) -> str:
    """The part of her family section that belongs to ``case``."""
    return _family_section(page).split(f'id="family-case-{case.pk}"', 1)[1].split("</article>", 1)[0]


def _link_second_case(world) -> FamilyMember:
    return FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="Mia",
                                       email=world.parent.email, user=world.parent)


def _conference_for(case: Case, member: FamilyMember, convenor, *, days: int, location: str) -> Conference:
    start = timezone.now() + dt.timedelta(days=days)
    conference = Conference.objects.create(case=case, convenor=convenor, status=Conference.Status.SCHEDULED,
                                           starts_at=start, ends_at=start + dt.timedelta(hours=1), location=location)
    Invitation.objects.create(conference=conference, family_member=member)
    return conference


def test_a_mother_with_two_cases_sees_both_and_the_next_conference_under_the_case_it_belongs_to(client, world):
    _link_second_case(world)  # the newer case, without a conference
    client.force_login(world.parent)
    page = client.get(reverse("dashboard")).content.decode()
    first, second = _case_entry(page, world.case), _case_entry(page, world.other_case)
    assert world.case.reference in first and world.other_case.reference in second
    assert reverse("cases:case_detail", args=[world.case.pk]) in first
    assert reverse("cases:case_detail", args=[world.other_case.pk]) in second
    assert world.conference.location in first
    assert world.conference.location not in second and "No conference is scheduled yet." in second
    assert world.action_parent.title in first and world.action_parent.title not in second
    assert "Your family's cases" in page or "Your family&#x27;s cases" in page


def test_each_case_shows_its_own_next_conference_and_her_own_actions(client, world):
    member = _link_second_case(world)
    later = _conference_for(world.other_case, member, world.lead_colleague, days=20, location="Jugendamt, Zimmer 9")
    _conference_for(world.other_case, member, world.lead_colleague, days=40, location="Familienzentrum")  # not the next
    item = ProtocolItem.objects.create(protocol=Protocol.objects.create(conference=later), title="Absprachen",
                                       audience=Audience.EVERYONE, created_by=world.lead_colleague)
    AgreedAction.objects.create(case=world.other_case, item=item, title="Kinderarzt anrufen", responsible_family_member=member,
                                due_on=timezone.localdate() + dt.timedelta(days=3))
    client.force_login(world.parent)
    page = client.get(reverse("dashboard")).content.decode()
    first, second = _case_entry(page, world.case), _case_entry(page, world.other_case)
    assert "Jugendamt, Zimmer 9" in second and "Familienzentrum" not in page
    assert reverse("conferences:conference_detail", args=[later.pk]) in second
    assert world.conference.location in first and "Jugendamt, Zimmer 9" not in first
    assert "Kinderarzt anrufen" in second and "Kinderarzt anrufen" not in first
    # the other parent of the second case sees his case only, not her conference invitation's place
    client.force_login(world.other_parent)
    assert world.case.reference not in client.get(reverse("dashboard")).content.decode()


def test_the_dashboard_read_of_both_cases_is_audited_for_each(client, world):
    _link_second_case(world)
    client.force_login(world.parent)
    client.get(reverse("dashboard"))
    event = AuditEvent.objects.filter(actor=world.parent, action="dashboard.read").latest("pk")
    assert set(event.detail["shown_cases"]) == {world.case.pk, world.other_case.pk}


def test_her_account_page_lists_each_of_her_cases(client, world):
    _link_second_case(world)
    client.force_login(world.parent)
    page = client.get(reverse("account")).content.decode()
    cases = page.split('id="cases-heading"', 1)[1].split("</section>", 1)[0]
    for case in (world.case, world.other_case):
        assert f'href="{reverse("cases:case_detail", args=[case.pk])}"' in cases
        assert case.reference in cases
    assert reverse("cases:access_code_enter") in cases
    client.force_login(world.other_parent)
    page = client.get(reverse("account")).content.decode()
    assert world.other_case.reference in page and world.case.reference not in page


def test_a_professionals_account_page_lists_no_family_case(client, world):
    client.force_login(world.convenor)
    page = client.get(reverse("account")).content.decode()
    assert world.case.reference not in page and world.other_case.reference not in page


def _add_family_case(world, number: int) -> None:
    """One more case of the mother's, with a conference ahead, a released draft and an action of hers."""
    case = Case.objects.create(network=world.network, reference=f"KT-2026-{700 + number}", lead_organisation=world.youth_welfare,
                               lead_caseworker=world.convenor, status=Case.Status.ACTIVE)
    CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.convenor)
    member = FamilyMember.objects.create(case=case, relation=FamilyMember.Relation.MOTHER, display_name="M.",
                                         user=world.parent)
    conference = _conference_for(case, member, world.convenor, days=5 + number, location=f"Raum {number}")
    held_at = timezone.now() - dt.timedelta(days=number)
    held = Conference.objects.create(case=case, convenor=world.convenor, status=Conference.Status.HELD,
                                     starts_at=held_at, ends_at=held_at + dt.timedelta(hours=1))
    Invitation.objects.create(conference=held, family_member=member)
    protocol = Protocol.objects.create(conference=held, status=Protocol.Status.RELEASED, released_at=timezone.now())
    item = ProtocolItem.objects.create(protocol=protocol, title="Absprachen", audience=Audience.EVERYONE,
                                       created_by=world.convenor)
    AgreedAction.objects.create(case=case, item=item, title=f"Aufgabe {number}", responsible_family_member=member,
                                due_on=timezone.localdate() + dt.timedelta(days=number))
    assert conference.pk


def test_her_dashboard_costs_the_same_queries_for_one_and_for_many_cases(client, world):
    client.force_login(world.parent)
    _add_family_case(world, 1)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as few:
        board = client.get(reverse("dashboard")).context["board"]
    assert len(board.parent_cases) == 2 and all(entry.next_conference for entry in board.parent_cases)
    for number in range(2, 6):
        _add_family_case(world, number)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as many:
        board = client.get(reverse("dashboard")).context["board"]
    assert len(board.parent_cases) == 6
    assert all(entry.next_conference and entry.next_conference.case_id == entry.case.pk for entry in board.parent_cases)
    assert sum(len(entry.drafts) for entry in board.parent_cases) == 5
    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)


def test_her_dashboard_shows_every_case_of_hers_with_its_own_items_at_a_constant_query_count(client, world):
    """Once cut at 20 without a word: a parent never silently misses a case, nor the actions and
    minutes of a case beyond the twentieth (its entry would have said "Nothing is open for you")."""
    client.force_login(world.parent)
    _add_family_case(world, 1)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as two:
        board = client.get(reverse("dashboard")).context["board"]
    assert len(board.parent_cases) == 2
    for number in range(2, 25):
        _add_family_case(world, number)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as twenty_five:
        response = client.get(reverse("dashboard"))
    board, page = response.context["board"], response.content.decode()
    assert len(board.parent_cases) == 25
    for number in range(1, 25):
        case = Case.objects.get(reference=f"KT-2026-{700 + number}")
        entry = _case_entry(page, case)
        assert f"Aufgabe {number} –" in entry and f"Raum {number}</p>" in entry, case.reference
        assert "Draft minutes to read" in entry
    assert world.action_parent.title in _case_entry(page, world.case)
    assert len(twenty_five) == len(two), "\n".join(q["sql"][:200] for q in twenty_five.captured_queries)


def test_her_account_page_costs_the_same_queries_for_one_and_for_many_cases(client, world):
    client.force_login(world.parent)
    client.get(reverse("account"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("account"))
    for number in range(1, 5):
        _add_family_case(world, number)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("account")).content.decode()
    assert "KT-2026-704" in page
    assert len(many) == len(few)


def _finalise(world) -> None:
    hold_conference(world.conference)
    protocol_services.protocol_release(world.convenor, protocol=world.protocol)
    protocol_services.protocol_finalise(world.convenor, protocol=world.protocol, confirm_early=True)


def test_final_minutes_wait_on_her_dashboard_until_she_confirms_she_has_read_them(client, world):
    """Once the minutes are final the released draft leaves her dashboard; the final minutes take
    its place, under their case, until she confirms that she has read them."""
    _link_second_case(world)
    _finalise(world)
    detail = reverse("protocols:protocol_detail", args=[world.protocol.pk])
    client.force_login(world.parent)
    page = client.get(reverse("dashboard")).content.decode()
    first, second = _case_entry(page, world.case), _case_entry(page, world.other_case)
    assert "Final minutes to confirm" in first and f'<a href="{detail}">What we agreed at the conference on ' in first
    assert "Confirm that you have read it" in first
    assert detail not in second and "Final minutes to confirm" not in second
    assert world.item_everyone.title not in first  # a reference, never content
    event = AuditEvent.objects.filter(actor=world.parent, action="dashboard.read").latest("pk")
    assert world.protocol.pk in event.detail["protocols"]
    protocol_services.protocol_acknowledge(world.parent, protocol=world.protocol)
    page = client.get(reverse("dashboard")).content.decode()
    assert detail not in _family_section(page) and "Final minutes to confirm" not in page
    client.force_login(world.other_parent)
    assert detail not in client.get(reverse("dashboard")).content.decode()


def test_final_minutes_to_confirm_cost_one_query_however_many_there_are(client, world):
    client.force_login(world.parent)
    _add_family_case(world, 1)
    Protocol.objects.filter(conference__case__reference="KT-2026-701").update(status=Protocol.Status.FINAL, finalised_at=timezone.now())
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as few:
        board = client.get(reverse("dashboard")).context["board"]
    assert len(board.parent_finals) == 1
    for number in range(2, 6):
        _add_family_case(world, number)
    Protocol.objects.filter(conference__case__reference__startswith="KT-2026-70").update(status=Protocol.Status.FINAL, finalised_at=timezone.now())
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as many:
        board = client.get(reverse("dashboard")).context["board"]
    assert len(board.parent_finals) == 5 and all(len(entry.finals) == 1 for entry in board.parent_cases[:5])
    assert len(many) == len(few)
