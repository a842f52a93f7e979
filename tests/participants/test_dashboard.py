"""Each role's landing dashboard shows its own data from the database, and nothing of other roles."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases.models import Case, CaseTeamMember
from conferences import services as conference_services
from conferences.models import Conference, Invitation
from participants.models import Membership, ProfessionalRole
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from protocols import services as protocol_services
from protocols.models import AgreedAction, Protocol, ProtocolItem
from tests.world import hold_conference

pytestmark = pytest.mark.django_db


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_caseworker_sees_her_cases_and_upcoming_conference_linked(client, world):
    page = dashboard(client, world.convenor)
    assert "My cases" in page
    assert reverse("cases:case_detail", args=[world.case.pk]) in page
    assert world.other_case.reference not in page  # led by her colleague
    assert reverse("conferences:conference_detail", args=[world.conference.pk]) in page
    assert "Half-year summaries" not in page
    assert world.action_parent.title not in page


def test_caseworker_sees_overdue_actions_of_her_cases_whoever_they_fall_to(client, world):
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(due_on=timezone.localdate() - dt.timedelta(days=3))
    page = dashboard(client, world.convenor)
    assert "Overdue actions in my cases" in page
    assert world.action_counselling.title in page
    assert world.counsellor.get_full_name() in page
    # the title opens the action itself, where she follows it up or hands it over
    assert f'href="{reverse("protocols:action_detail", args=[world.action_counselling.pk])}">{world.action_counselling.title}<' in page
    assert client.get(reverse("protocols:action_detail", args=[world.action_counselling.pk])).status_code == 200


def test_caseworker_sees_no_overdue_action_when_all_are_on_time(client, world):
    page = dashboard(client, world.convenor)
    assert "No action in your cases is overdue." in page


def test_professional_sees_her_open_actions_and_upcoming_conference(client, world):
    page = dashboard(client, world.counsellor)
    assert world.action_counselling.title in page
    assert world.case.reference in page
    assert "My cases" not in page  # not a caseworker
    assert world.action_parent.title not in page  # the mother's action
    assert world.summary.get_half_display() not in page and "Half-year summaries" not in page


def test_professional_is_warned_about_her_overdue_actions(client, world):
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    page = dashboard(client, world.counsellor)
    assert "1 action is overdue." in page


def test_done_actions_leave_the_professionals_list(client, world):
    AgreedAction.objects.filter(pk=world.action_counselling.pk).update(status="done", completed_on=timezone.localdate())
    page = dashboard(client, world.counsellor)
    assert world.action_counselling.title not in page
    assert "No open action falls to you." in page


def test_parent_sees_her_case_next_conference_and_her_actions(client, world):
    page = dashboard(client, world.parent)
    assert "Your family's case" in page
    assert world.case.reference in page
    assert world.conference.location in page
    assert world.action_parent.title in page
    assert world.action_counselling.title not in page
    assert "My open actions" not in page and "My cases" not in page


def test_parent_of_another_case_sees_nothing_of_this_case(client, world):
    page = dashboard(client, world.other_parent)
    assert world.other_case.reference in page
    assert world.case.reference not in page
    assert world.action_parent.title not in page
    assert "No conference is scheduled yet." in page


def _family_section(page: str) -> str:
    return page.split('id="family"', 1)[1].split("</section>", 1)[0]


def test_a_parent_who_is_a_guest_of_another_familys_conference_does_not_see_it_as_her_familys_next(client, world):
    # Only a professional of the network is a guest: this parent of another case also works for early help.
    Membership.objects.create(user=world.other_parent, organisation=world.early_help, role=ProfessionalRole.SOCIAL_WORKER)
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=world.other_parent)
    link = reverse("conferences:conference_detail", args=[world.conference.pk])
    family = _family_section(dashboard(client, world.other_parent))
    assert world.other_case.reference in family  # her own family's case
    assert link not in family and world.conference.location not in family
    assert "No conference is scheduled yet." in family
    family = _family_section(dashboard(client, world.parent))
    assert world.case.reference in family and link in family


def test_board_member_sees_the_summaries_and_no_case_data(client, world):
    page = dashboard(client, world.board_member)
    assert "Half-year summaries" in page
    assert f"{world.summary.year} H{world.summary.half}" in page
    assert reverse("board:summary_detail", args=[world.summary.pk]) in page
    for secret in (world.case.reference, world.other_case.reference, world.action_counselling.title, world.action_parent.title):
        assert secret not in page


def test_data_protection_officer_gets_the_audit_log_link_and_no_case_data(client, world):
    page = dashboard(client, world.dpo)
    assert reverse("access:audit_log") in page
    assert world.case.reference not in page
    assert "Half-year summaries" not in page


def test_technical_admin_sees_no_case_content_and_is_led_to_the_administration(client, world):
    page = dashboard(client, world.admin)
    assert "no role in a network" not in page  # she is the administration: no dead end telling her to ask one
    assert page.count(f'href="{reverse("admin:index")}"') == 2  # the navigation and the dashboard
    assert world.case.reference not in page
    assert f'href="{reverse("admin:index")}"' not in dashboard(client, world.convenor)


def _add_case_with_actions(world, number: int) -> None:
    case = Case.objects.create(network=world.network, reference=f"KT-2026-{100 + number}", lead_organisation=world.youth_welfare,
                               lead_caseworker=world.convenor, status=Case.Status.ACTIVE)
    CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.convenor)
    CaseTeamMember.objects.create(case=case, organisation=world.counselling, user=world.counsellor)
    start = timezone.now() + dt.timedelta(days=3 + number)
    conference = Conference.objects.create(case=case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                           starts_at=start, ends_at=start + dt.timedelta(hours=1))
    protocol = Protocol.objects.create(conference=conference)
    item = ProtocolItem.objects.create(protocol=protocol, title="Vereinbarungen", created_by=world.convenor)
    for days in (-5, 5):
        AgreedAction.objects.create(case=case, item=item, title=f"Aufgabe {number} {days}", responsible_organisation=world.counselling,
                                    responsible_user=world.counsellor, due_on=timezone.localdate() + dt.timedelta(days=days))


@pytest.mark.parametrize("role", ["convenor", "counsellor", "parent", "board_member"])
def test_dashboard_query_count_does_not_grow_with_rows(client, world, role):
    user = getattr(world, role)
    client.force_login(user)
    _add_case_with_actions(world, 1)
    client.get(reverse("dashboard"))  # the audit chain's head exists from the first read on
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("dashboard")).status_code == 200
    for number in range(2, 7):
        _add_case_with_actions(world, number)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("dashboard")).status_code == 200
    assert len(many) == len(few)


def test_caseworker_sees_minutes_whose_release_is_overdue(client, world):
    held = timezone.now() - dt.timedelta(days=20)
    Conference.objects.filter(pk=world.conference.pk).update(
        status=Conference.Status.HELD, starts_at=held, ends_at=held + dt.timedelta(minutes=90))
    page = dashboard(client, world.convenor)
    assert "Overdue protocol steps" in page
    assert "release the draft minutes" in page
    assert reverse("protocols:protocol_detail", args=[world.protocol.pk]) in page


def test_caseworker_with_minutes_on_time_sees_no_overdue_step(client, world):
    page = dashboard(client, world.convenor)
    assert "All minutes are on time." in page
    assert "release the draft minutes" not in page


def _add_conferences_in_every_protocol_step(world, number: int) -> None:
    """Three cases the convenor leads whose conferences lie in the protocol window: one whose
    protocol is still to be opened, one with a draft, one released with a correction pending on
    an item the counselling organisation holds (the counsellor decides it, the convenor waits)."""
    from cases.models import InformationCategory
    from protocols.models import Audience, CorrectionProposal

    now = timezone.now()
    for index, step in enumerate(("open", "draft", "released")):
        case = Case.objects.create(network=world.network, reference=f"KT-2026-{300 + number * 3 + index}",
                                   lead_organisation=world.youth_welfare, lead_caseworker=world.convenor, status=Case.Status.ACTIVE)
        CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.convenor)
        CaseTeamMember.objects.create(case=case, organisation=world.counselling, user=world.counsellor)
        CaseTeamMember.objects.create(case=case, organisation=world.midwifery, user=world.midwife)
        conference = Conference.objects.create(case=case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                               starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=2))
        if step == "open":
            continue
        protocol = Protocol.objects.create(conference=conference, minute_taker=world.convenor)
        item = ProtocolItem.objects.create(protocol=protocol, title="Beratung", text="Vertraulich", created_by=world.convenor,
                                           audience=Audience.RESTRICTED, holding_organisation=world.counselling,
                                           category=InformationCategory.ADDICTION_TREATMENT)
        item.restricted_to.set([world.counselling])
        if step == "released":
            Protocol.objects.filter(pk=protocol.pk).update(status=Protocol.Status.RELEASED, released_at=now,
                                                           corrections_until=timezone.localdate() + dt.timedelta(days=5))
            CorrectionProposal.objects.create(item=item, author=world.counsellor, proposed_text="Korrektur")


@pytest.mark.parametrize("role", ["convenor", "counsellor", "midwife"])
def test_dashboard_protocol_list_costs_the_same_queries_for_one_and_for_many_conferences(client, world, role):
    """The protocols waiting for her (open, continue, release, decide, finalise, correct) are read in a fixed
    number of queries, not a few per conference."""
    user = getattr(world, role)
    client.force_login(user)
    _add_conferences_in_every_protocol_step(world, 1)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as few:
        shown = len(client.get(reverse("dashboard")).context["board"].protocol_tasks)
    for number in range(2, 6):
        _add_conferences_in_every_protocol_step(world, number)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("dashboard")).context["board"].protocol_tasks) > shown > 0
    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)


def test_counsellor_sees_the_open_poll_and_the_report_asked_of_her_until_she_answers(client, world):
    """What waits for her answer is one click from her dashboard: the date poll she has not
    answered, and the written report asked of her organisation; both leave once done."""
    from conferences import services
    from tests.conferences.helpers import answer_all, convene

    conference = convene(world, report_organisation_ids=[world.counselling.pk])
    report = conference.reports.get(organisation=world.counselling)
    page = dashboard(client, world.counsellor)
    assert "Waiting for your answer" in page
    assert reverse("conferences:conference_poll", args=[conference.pk]) in page
    assert reverse("conferences:report_submit", args=[conference.pk, report.pk]) in page
    parent_page = dashboard(client, world.parent)  # her poll too, but no report: those are the professionals'
    assert reverse("conferences:conference_poll", args=[conference.pk]) in _waiting(parent_page)
    assert reverse("conferences:report_submit", args=[conference.pk, report.pk]) not in parent_page

    invitation = conference.invitations.get(user=world.counsellor)
    services.poll_vote(world.counsellor, invitation=invitation, answers=answer_all(conference, "yes"))
    services.report_submit(world.counsellor, report=report, text="Bericht der Suchtberatung", shareable_with_parents=False)
    services.invitation_rsvp(world.counsellor, invitation=world.invitation_counsellor, rsvp="accepted")
    assert "Waiting for your answer" not in dashboard(client, world.counsellor)


def test_team_members_who_do_not_lead_see_the_released_draft_with_its_correction_deadline(client, world):
    """A released draft in its correction window waits for every professional on the team, not
    only the convenor: one click to the protocol, the deadline as a date in the active language.
    Parents and outsiders are not asked; once the window closes the entry leaves."""
    from django.utils import translation
    from django.utils.formats import date_format

    from protocols import services
    from tests.world import hold_conference

    hold_conference(world.conference)
    detail = reverse("protocols:protocol_detail", args=[world.protocol.pk])
    assert detail not in dashboard(client, world.midwife)  # a draft is not hers to correct yet
    protocol = services.protocol_release(world.convenor, protocol=world.protocol)
    with translation.override("de"):
        until_de = date_format(protocol.corrections_until, "DATE_FORMAT")
    for user in (world.midwife, world.counsellor):
        page = dashboard(client, user)
        assert f'href="{detail}"' in page
        assert "Draft protocol: read it and propose corrections until" in page
        assert protocol.corrections_until.isoformat() not in page
    client.force_login(world.midwife)
    german = client.get(reverse("dashboard"), headers={"accept-language": "de"}).content.decode()
    assert until_de in german and protocol.corrections_until.isoformat() not in german
    assert "Draft protocol: read it" not in dashboard(client, world.parent)
    assert detail not in dashboard(client, world.outsider)

    Protocol.objects.filter(pk=protocol.pk).update(corrections_until=timezone.localdate() - dt.timedelta(days=1))
    assert "Draft protocol: read it" not in dashboard(client, world.midwife)


def _waiting(page: str) -> str:
    """The "Waiting for your answer" section of a dashboard ("" when there is none)."""
    if 'id="waiting-answers"' not in page:
        return ""
    start = page.index('id="waiting-answers"')
    return page[start:page.index("</section>", start)]


def test_an_unanswered_invitation_waits_for_the_answer_of_the_counsellor_and_of_the_mother(client, world):
    """A scheduled conference she was invited to and has not answered ("No answer yet") waits
    for her answer, one click from the question "Will you come?"; once she answers, it leaves.
    The convenor's own conference does not ask her."""
    rsvp = reverse("conferences:conference_detail", args=[world.conference.pk]) + "#rsvp-heading"
    for user, invitation in ((world.counsellor, world.invitation_counsellor), (world.parent, world.invitation_parent)):
        waiting = _waiting(dashboard(client, user))
        assert rsvp in waiting and "will you come?" in waiting and world.case.reference in waiting
        conference_services.invitation_rsvp(user, invitation=invitation, rsvp="declined")
        assert rsvp not in dashboard(client, user)
    assert rsvp not in _waiting(dashboard(client, world.convenor))


@pytest.mark.parametrize("role", ["counsellor", "parent"])
def test_unanswered_invitations_cost_the_same_queries_for_one_and_for_many(client, world, role):
    user = getattr(world, role)
    client.force_login(user)

    def invite(number: int) -> None:
        start = timezone.now() + dt.timedelta(days=10 + number)
        conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                               starts_at=start, ends_at=start + dt.timedelta(hours=1))
        Invitation.objects.create(conference=conference, user=world.counsellor, organisation=world.counselling)
        Invitation.objects.create(conference=conference, family_member=world.mother)

    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as few:
        shown = len(client.get(reverse("dashboard")).context["board"].open_invitations)
    for number in range(5):
        invite(number)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("dashboard")).context["board"].open_invitations) == shown + 5
    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)


def test_many_open_polls_do_not_crowd_the_unanswered_invitations_out_of_her_overview(world):
    """At most ``limit`` of each kind: the soonest polls and the soonest invitations, both shown."""
    from conferences.selectors import answers_waiting_for
    from conferences.models import SlotPoll

    def poll(number: int) -> Conference:
        conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.POLLING)
        SlotPoll.objects.create(conference=conference, closes_at=timezone.now() + dt.timedelta(days=3 + number))
        Invitation.objects.create(conference=conference, user=world.counsellor, organisation=world.counselling)
        return conference

    polls = [poll(number) for number in range(5)]  # more than twice the limit
    waiting = answers_waiting_for(world.counsellor, limit=2, reports=False)
    assert [c.pk for c in waiting.polls] == [polls[0].pk, polls[1].pk]  # the two soonest deadlines
    assert [c.pk for c in waiting.invitations] == [world.conference.pk]  # not crowded out by the polls


def test_board_members_and_coordinators_find_the_board_meetings_in_the_main_navigation(client, world):
    """Before, a coordinator reached the meetings only through "Half-year summaries" -> "Board meetings"."""
    meetings = reverse("board:board_meeting_list")
    for user in (world.board_member, world.coordinator):
        client.force_login(user)
        page = client.get(reverse("dashboard")).content.decode()
        nav = page[page.index('aria-label="Main navigation"'):page.index("</nav>")]
        assert f'href="{meetings}"' in nav and "Board meetings" in nav
        assert client.get(meetings).status_code == 200
    client.force_login(world.counsellor)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="{meetings}"' not in page[page.index('aria-label="Main navigation"'):page.index("</nav>")]


def test_the_mother_opens_the_released_draft_of_her_conference_from_her_dashboard(client, world):
    """Released draft minutes wait for the mother as they wait for the professionals: the link to
    them sits on her dashboard (her case page had it, the dashboard did not). A draft not yet
    released is not hers to read, nor is another family's."""
    hold_conference(world.conference)
    detail = reverse("protocols:protocol_detail", args=[world.protocol.pk])
    assert detail not in dashboard(client, world.parent)  # not released yet
    protocol_services.protocol_release(world.convenor, protocol=world.protocol)
    family = _family_section(dashboard(client, world.parent))
    assert "Draft minutes to read" in family
    assert f'<a href="{detail}">What we agreed at the conference on ' in family
    assert "(draft: it may still change)" in family
    assert world.item_professionals.title not in family and world.item_everyone.title not in family  # a reference, never content
    assert detail not in dashboard(client, world.other_parent)
    client.force_login(world.parent)
    assert client.get(detail).status_code == 200  # and the link leads to the draft she may read


def test_parent_whose_record_was_erased_is_shown_how_to_link_a_case_not_sent_to_an_administrator(client, world):
    """A granted Art. 17 erasure unlinks her account from her only family record: her dashboard
    offers the way to link a case with her caseworker's code, instead of only the professional's
    "no role in a network, ask your network's administrator" (which she cannot act on)."""
    request = privacy_services.request_record(
        world.dpo, case=world.case, family_member=world.mother, kind=DataSubjectRequest.Kind.ERASURE,
        received_on=timezone.localdate(), identity_check="document")
    privacy_services.request_close(world.dpo, request=request, outcome="granted")
    page = dashboard(client, world.parent)
    assert "Your account is not linked to a case." in page
    assert f'href="{reverse("cases:access_code_enter")}"' in page
    assert "no role in a network" not in page
    assert world.case.reference not in page

