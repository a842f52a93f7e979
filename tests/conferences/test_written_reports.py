"""Written reports as a professional meets them in the browser: a link to submit only her own
organisation's report, due dates that follow the conference when it moves, and pages that say
why reports are closed instead of offering a form the service refuses."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from conferences import services
from conferences.models import Conference
from participants.models import Membership, ProfessionalRole
from permissions.models import AuditEvent
from participants.working_days import is_working_day
from tests.conferences.helpers import convene, local

pytestmark = pytest.mark.django_db


def page(client, user, url: str):
    client.force_login(user)
    return client.get(url)


def report_url(report) -> str:
    return reverse("conferences:report_submit", args=[report.conference_id, report.pk])


def ahead(world, days: int) -> int:
    """The first offset from ``days`` on whose report due day (three days before) is a working
    day of the world's network: the tests below about moving and time zones then do not depend on
    the weekday they run on (a due day on a weekend or holiday moves back; tested on its own below)."""
    network = world.network
    while not is_working_day(local(days - 3).date(), country=network.country, region=network.holiday_region):
        days += 1
    return days


def scheduled(world, *, days: int = 10) -> Conference:
    conference = convene(world, slots=[local(days)])
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.get())
    conference.refresh_from_db()
    return conference


# --- whose report is it -------------------------------------------------------------------------

def test_counsellor_sees_a_submit_link_for_her_organisations_report_only(client, world):
    conference = convene(world)
    own = conference.reports.get(organisation=world.counselling)
    other = conference.reports.get(organisation=world.midwifery)
    content = page(client, world.counsellor, reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert report_url(own) in content
    assert report_url(other) not in content
    assert world.midwifery.name in content  # the other report's state is still listed


def test_the_convenor_sees_no_submit_link_for_reports_asked_of_others(client, world):
    conference = convene(world)
    content = page(client, world.convenor, reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    for report in conference.reports.all():
        assert report_url(report) not in content


def test_another_organisations_report_page_offers_no_form(client, world):
    conference = convene(world)
    other = conference.reports.get(organisation=world.midwifery)
    response = page(client, world.counsellor, report_url(other))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="text"' not in content and "<form" not in content.split("<main", 1)[-1]
    assert "Only the organisation asked for this report can submit it." in content


def test_another_organisations_report_cannot_be_posted_and_stays_unchanged(client, world):
    conference = convene(world)
    other = conference.reports.get(organisation=world.midwifery)
    client.force_login(world.counsellor)
    response = client.post(report_url(other), {"text": "Nicht meiner", "shareable_with_parents": "on"})
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.submitted_at is None and other.text == ""


def test_her_own_report_page_offers_the_form_and_submits(client, world):
    conference = convene(world)
    own = conference.reports.get(organisation=world.counselling)
    assert 'name="text"' in page(client, world.counsellor, report_url(own)).content.decode()
    response = client.post(report_url(own), {"text": "Kurzbericht der Suchtberatung", "version": own.version})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.submitted_by == world.counsellor


def test_the_page_of_a_submitted_report_of_another_organisation_shows_what_the_team_may_read(client, world):
    conference = convene(world)
    other = conference.reports.get(organisation=world.midwifery)
    services.report_submit(world.midwife, report=other, text="Bericht der Hebamme", shareable_with_parents=False)
    assert "Bericht der Hebamme" in page(client, world.counsellor, report_url(other)).content.decode()
    client.force_login(world.parent)
    assert client.get(report_url(other)).status_code == 404


# --- due dates follow the conference ------------------------------------------------------------

def test_picking_a_time_sets_the_due_date_three_days_before_the_conference_day(world):
    days = ahead(world, 10)
    conference = scheduled(world, days=days)
    assert set(conference.reports.values_list("due_on", flat=True)) == {local(days - 3).date()}


def test_moving_the_conference_moves_every_report_due_date_with_it(client, world):
    sooner = ahead(world, 6)
    later = ahead(world, sooner + 4)
    conference = scheduled(world, days=later)
    submitted = conference.reports.get(organisation=world.midwifery)
    services.report_submit(world.midwife, report=submitted, text="Bericht", shareable_with_parents=False)
    services.conference_move(world.convenor, conference=conference, starts_at=local(sooner))
    assert set(conference.reports.values_list("due_on", flat=True)) == {local(sooner - 3).date()}
    moved = AuditEvent.objects.filter(action="conference.move", object_id=str(conference.pk)).get()
    assert moved.detail["reports_due_on"] == local(sooner - 3).date().isoformat()
    content = page(client, world.counsellor, reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert date_format(local(sooner - 3).date(), "DATE_FORMAT") in content
    assert date_format(local(later - 3).date(), "DATE_FORMAT") not in content


def test_the_report_request_in_her_overview_names_the_new_due_date_after_a_move(client, world, committed):
    from notifications.models import Kind, Notification

    sooner = ahead(world, 6)
    later = ahead(world, sooner + 4)
    with committed():
        conference = convene(world, slots=[local(later)])
    request = Notification.objects.get(recipient=world.counsellor, kind=Kind.REPORT_REQUESTED)
    assert request.due_on == local(later - 3).date()
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.get())
    with committed():
        services.conference_move(world.convenor, conference=conference, starts_at=local(sooner))
    request.refresh_from_db()
    assert request.due_on == local(sooner - 3).date()
    listed = page(client, world.counsellor, reverse("notifications:list")).content.decode()
    assert date_format(local(sooner - 3).date(), "DATE_FORMAT") in listed
    assert date_format(local(later - 3).date(), "DATE_FORMAT") not in listed


@pytest.mark.parametrize(("country", "conference_day", "due"), [
    ("DE", "2031-03-11", "2031-03-07"),  # Tuesday: three days before is a Saturday -> the Friday
    ("DE", "2031-03-13", "2031-03-10"),  # Thursday: the Monday, a working day, stays
    ("DE", "2031-04-17", "2031-04-10"),  # Thursday after Easter: Easter Monday, the weekend, Good Friday -> Maundy Thursday
    ("DK", "2031-04-17", "2031-04-09"),  # in Denmark Maundy Thursday is a holiday too -> the Wednesday
])
def test_a_due_date_on_a_weekend_or_public_holiday_moves_to_the_working_day_before(world, country, conference_day, due):
    import datetime as dt
    from zoneinfo import ZoneInfo

    world.network.country = country
    day = dt.date.fromisoformat(conference_day)
    starts_at = dt.datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    assert services.report_due_on(starts_at, ZoneInfo("Europe/Berlin"), world.network) == dt.date.fromisoformat(due)


def test_moving_the_conference_close_to_today_makes_reports_due_tomorrow_not_today(world):
    conference = scheduled(world, days=10)
    services.conference_move(world.convenor, conference=conference, starts_at=local(2))
    assert set(conference.reports.values_list("due_on", flat=True)) == {timezone.localdate() + dt.timedelta(days=1)}


def test_a_conference_tomorrow_asks_for_reports_by_its_own_day_never_by_today(world):
    conference = convene(world, slots=[local(1)])
    assert set(conference.reports.values_list("due_on", flat=True)) == {local(1).date()}
    assert local(1).date() > timezone.localdate()


def test_the_due_date_counts_days_in_the_networks_time_zone(world):
    # 00:30 in Berlin is still the day before in UTC: the report is due three local days before.
    conference = scheduled(world, days=10)
    days = ahead(world, 8)
    services.conference_move(world.convenor, conference=conference, starts_at=local(days, 0, 30))
    assert set(conference.reports.values_list("due_on", flat=True)) == {local(days - 3).date()}


def test_the_dashboard_shows_the_due_date_that_follows_the_rule(client, world):
    first = ahead(world, 10)
    second = ahead(world, first + 2)
    conference = convene(world, slots=[local(first), local(second)])
    client.force_login(world.counsellor)
    assert date_format(local(first - 3).date(), "SHORT_DATE_FORMAT") in client.get(reverse("dashboard")).content.decode()
    services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.order_by("starts_at").last())
    assert date_format(local(second - 3).date(), "SHORT_DATE_FORMAT") in client.get(reverse("dashboard")).content.decode()


# --- once reports are closed --------------------------------------------------------------------

@pytest.mark.parametrize(("status", "reason"), [
    (Conference.Status.HELD, "Reports can no longer be submitted: the conference has begun."),
    (Conference.Status.CANCELLED, "Reports can no longer be submitted: the conference was cancelled."),
])
def test_closed_reports_show_why_and_offer_no_link_or_form(client, world, status, reason):
    conference = scheduled(world, days=10)
    own = conference.reports.get(organisation=world.counselling)
    Conference.objects.filter(pk=conference.pk).update(status=status)

    detail = page(client, world.counsellor, reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert report_url(own) not in detail and reason in detail

    response = page(client, world.counsellor, report_url(own))
    assert response.status_code == 200
    assert 'name="text"' not in response.content.decode() and reason in response.content.decode()

    response = client.post(report_url(own), {"text": "Zu spät"})
    assert response.status_code == 400 and reason in response.content.decode()
    own.refresh_from_db()
    assert own.submitted_at is None

    assert report_url(own) not in client.get(reverse("dashboard")).content.decode()


def test_the_service_refuses_a_report_once_the_conference_was_held_and_says_why(world):
    conference = scheduled(world, days=10)
    own = conference.reports.get(organisation=world.counselling)
    Conference.objects.filter(pk=conference.pk).update(status=Conference.Status.HELD)
    with pytest.raises(Exception) as refused:
        services.report_submit(world.counsellor, report=own, text="Zu spät", shareable_with_parents=False)
    assert "the conference has begun" in str(refused.value)


def test_the_closed_notice_is_not_shown_to_parents(client, world):
    conference = scheduled(world, days=10)
    Conference.objects.filter(pk=conference.pk).update(status=Conference.Status.HELD)
    detail = page(client, world.parent, reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "Reports can no longer be submitted" not in detail



# --- from the before-stop review ----------------------------------------------------------------

def test_a_report_cannot_be_rewritten_once_the_conference_has_started_even_before_attendance(client, world):
    """A conference stays "scheduled" until its attendance is recorded; what was read at the table
    must not be rewritten afterwards."""
    conference = scheduled(world, days=10)
    own = conference.reports.get(organisation=world.counselling)
    Conference.objects.filter(pk=conference.pk).update(starts_at=timezone.now() - timezone.timedelta(hours=3))
    conference.refresh_from_db()
    assert conference.status == Conference.Status.SCHEDULED
    assert "has begun" in services.reports_closed_reason(conference)
    client.force_login(world.counsellor)
    response = client.post(report_url(own), {"text": "Nachträglich geändert", "shareable_with_parents": "on"})
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.text != "Nachträglich geändert" and not own.shareable_with_parents
    # The refused POST showed the stored report again: a read, audited as one.
    assert AuditEvent.objects.filter(action="report.read", object_id=str(own.pk), actor=world.counsellor).exists()


def test_a_second_membership_does_not_make_her_speak_for_an_organisation_on_the_team_through_a_colleague(client, world):
    Membership.objects.create(user=world.counsellor, organisation=world.midwifery, role=ProfessionalRole.OTHER)
    conference = scheduled(world, days=10)
    midwifery_report = conference.reports.get(organisation=world.midwifery)
    detail = page(client, world.counsellor, reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert report_url(midwifery_report) not in detail
    assert report_url(midwifery_report) not in client.get(reverse("dashboard")).content.decode()
    response = client.post(report_url(midwifery_report), {"text": "Für die Hebamme", "shareable_with_parents": ""})
    assert response.status_code == 403
    midwifery_report.refresh_from_db()
    assert midwifery_report.submitted_at is None


# --- who reads a report shared with the parents -------------------------------------------------

def test_a_report_shared_with_the_parents_is_read_by_the_parents_but_not_by_a_guest_of_the_conference(client, world):
    """Its author agreed to share it with the parents. A guest invited to the one conference (an
    interpreter, a school social worker) reads the conference page, but not that report."""
    from access import grant_services
    from tests.world import make_professional

    conference = convene(world)
    report = conference.reports.get(organisation=world.counselling)
    services.report_submit(world.counsellor, report=report, text="Frau M. kommt regelmäßig zur Beratung.",
                           shareable_with_parents=True)
    guest = make_professional("schulsozialarbeit", world.early_help)
    grant_services.guest_invite(world.convenor, conference=conference, guest=guest)
    url = reverse("conferences:conference_detail", args=[conference.pk])
    assert "Frau M. kommt regelmäßig zur Beratung." in page(client, world.parent, url).content.decode()
    response = page(client, guest, url)
    assert response.status_code == 200  # she may read the conference page ...
    assert "Frau M. kommt regelmäßig zur Beratung." not in response.content.decode()  # ... not the report
    assert 'id="reports-heading"' not in response.content.decode()


# --- two people revising at once ----------------------------------------------------------------

def test_a_revision_written_on_an_older_version_is_refused_and_her_text_kept_in_the_form(client, world):
    """Two members of the asked organisation (or one in two tabs) revise at once: the later
    submission does not silently replace the earlier one."""
    import re

    conference = convene(world)
    report = conference.reports.get(organisation=world.counselling)
    services.report_submit(world.counsellor, report=report, text="Erste Fassung.", shareable_with_parents=False)
    url = report_url(report)
    client.force_login(world.counsellor)
    form_page = client.get(url).content.decode()
    version = re.search(r'name="version" value="(\d+)"', form_page).group(1)
    # Meanwhile the report is submitted again, from another tab or by a colleague.
    report.refresh_from_db()
    services.report_submit(world.counsellor, report=report, text="Fassung der Kollegin.", shareable_with_parents=True,
                           version=report.version)

    refused = client.post(url, {"text": "Meine Fassung.", "version": version})
    assert refused.status_code == 409
    page_text = refused.content.decode()
    assert "Fassung der Kollegin." in page_text  # the report as it stands now, to compare with
    assert "Meine Fassung." in page_text  # her text is not lost
    report.refresh_from_db()
    assert report.text == "Fassung der Kollegin." and report.shareable_with_parents
    # Submitting again, now on the version she has seen, is her decision and is saved.
    current = re.search(r'name="version" value="(\d+)"', page_text).group(1)
    assert int(current) == report.version
    assert client.post(url, {"text": "Meine Fassung.", "version": current}).status_code == 302
    report.refresh_from_db()
    assert report.text == "Meine Fassung."


def test_a_revision_without_a_version_does_not_replace_a_submitted_report(client, world):
    conference = convene(world)
    report = conference.reports.get(organisation=world.counselling)
    services.report_submit(world.counsellor, report=report, text="Eingereicht.", shareable_with_parents=False)
    client.force_login(world.counsellor)
    refused = client.post(report_url(report), {"text": "Ohne Version."}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "This form is out of date or incomplete" in refused.content.decode()
    report.refresh_from_db()
    assert report.text == "Eingereicht."


def test_the_report_form_tells_its_author_who_reads_it(client, world):
    """The report reaches the whole team: its author is told so before she writes, in German
    formally, so that what the family entrusted to her goes in only with their release."""
    conference = convene(world)
    own = conference.reports.get(organisation=world.counselling)
    client.force_login(world.counsellor)
    content = client.get(report_url(own), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Alle Fachkräfte im Fallteam lesen diesen Bericht" in content
    assert "nur mit ihrer Schweigepflichtentbindung oder auf einer anderen Rechtsgrundlage" in content
