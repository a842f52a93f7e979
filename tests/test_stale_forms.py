"""Every page form that changes an existing row carries what it started from (a version, or the
field as it was opened: ``based_on``). A form that comes without it, or with one the page cannot
have sent -- an old cached page, a script, a crafted request -- is refused with a clear message
(reload the page), 400: nothing is saved, no change is audited. Before, such a form went through as
"version 0" or an empty ``based_on``: it silently overwrote a row nobody had edited yet, or met a
confusing conflict.

Each case posts the form as its page sends it, minus (or with a malformed) started-from field; the
complete form is posted too, to show that only that field stands in the way."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from board.models import BoardMeeting, HalfYearSummary
from cases.models import Consent, ConsentScope, InformationCategory
from conferences.models import Conference, Invitation
from offers import services as offer_services
from offers import track_services as ts
from offers.forms import OfferEditForm
from offers.models import Enrolment, Offer, Session
from permissions.models import AuditEvent
from protocols import services as protocol_services
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from tests.conferences.helpers import convene, local
from tests.offers.offer_world import build_offer_world
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

STALE = "This form is out of date or incomplete"


@dataclass
class PageForm:
    user: Any
    url: str
    data: dict          # the form as its page posts it
    field: str          # the hidden field with what it started from (as posted, prefix included)
    malformed: str      # a value of it the page cannot have sent
    stored: Callable[[], Any]  # what the form changes, as stored


# --- one builder per page form ------------------------------------------------------------------

def board_commentary(world) -> PageForm:
    draft = HalfYearSummary.objects.create(network=world.network, year=2020, half=1, definitions_version="x",
                                           commentary="Erster Entwurf.")
    return PageForm(world.coordinator, reverse("board:summary_commentary", args=[draft.pk]),
                    {"commentary": "Neuer Kommentar.", "version": draft.version}, "version", "zwei",
                    lambda: HalfYearSummary.objects.get(pk=draft.pk).commentary)


def _local(value: dt.datetime, world) -> str:
    """``value`` as the meeting form shows it: wall-clock time in the network's zone."""
    return timezone.localtime(value, zoneinfo.ZoneInfo(world.network.time_zone)).strftime("%Y-%m-%dT%H:%M")


def board_meeting_update(world) -> PageForm:
    start = timezone.now() + dt.timedelta(days=60)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                          location="Kreishaus")
    data = {"starts_at": _local(meeting.starts_at, world), "ends_at": _local(meeting.ends_at, world),
            "location": "Rathaus", "summary": "", "version": meeting.version}
    return PageForm(world.coordinator, reverse("board:board_meeting_update", args=[meeting.pk]), data, "version", "-1",
                    lambda: BoardMeeting.objects.get(pk=meeting.pk).location)


def board_meeting_minutes(world) -> PageForm:
    start = timezone.now() - dt.timedelta(hours=3)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                          minutes="Stichpunkte.")
    return PageForm(world.coordinator, reverse("board:board_meeting_minutes", args=[meeting.pk]),
                    {"minutes": "Besprochen.", "decisions": "", "minutes_version": meeting.minutes_version},
                    "minutes_version", "1.5", lambda: BoardMeeting.objects.get(pk=meeting.pk).minutes)


def family_member(world) -> PageForm:
    member = world.mother
    data = {"relation": member.relation, "display_name": "Maria", "email": member.email,
            "birth_year": member.birth_year or "", "due_date": member.due_date.isoformat() if member.due_date else "",
            "version": member.version}
    return PageForm(world.convenor, reverse("cases:case_family_edit", args=[world.case.pk, member.pk]), data, "version",
                    "v1", lambda: type(member).objects.get(pk=member.pk).display_name)


def conference_move(world) -> PageForm:
    conference = world.conference
    data = {"starts_at": local(10).strftime("%Y-%m-%dT%H:%M"), "location": "Jugendamt, Raum 5",
            "sequence": conference.sequence}
    return PageForm(world.convenor, reverse("conferences:conference_move", args=[conference.pk]), data, "sequence", "x",
                    lambda: Conference.objects.values_list("starts_at", "location", "sequence").get(pk=conference.pk))


def written_report(world) -> PageForm:
    report = convene(world).reports.get(organisation=world.counselling)
    return PageForm(world.counsellor, reverse("conferences:report_submit", args=[report.conference_id, report.pk]),
                    {"text": "Kurzbericht der Suchtberatung.", "version": report.version}, "version", "null",
                    lambda: type(report).objects.values_list("text", "submitted_at").get(pk=report.pk))


def _offer_edit_data(offer: Offer) -> dict:
    data = {}
    for bound in OfferEditForm(instance=Offer.objects.get(pk=offer.pk)):
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.name] = "on"
        elif value is not None:
            data[bound.name] = value
    return data


def offer_edit(world) -> PageForm:
    offer = build_offer_world(world).public_offer
    return PageForm(world.counsellor, reverse("offers:offer_edit", args=[offer.pk]),
                    {**_offer_edit_data(offer), "opening_hours": "Di–Do 10–14 Uhr"}, "version", "3a",
                    lambda: Offer.objects.get(pk=offer.pk).opening_hours)


def offer_availability(world) -> PageForm:
    offer = build_offer_world(world).public_offer
    prefix = f"offer{offer.pk}"
    data = {f"{prefix}-availability": "waitlist", f"{prefix}-expected_wait_weeks": "6",
            f"{prefix}-based_on": offer_services.availability_based_on(offer.availability, offer.expected_wait_weeks)}
    return PageForm(world.counsellor, reverse("offers:offer_availability", args=[offer.pk]), data, f"{prefix}-based_on",
                    "sometimes:soon", lambda: Offer.objects.values_list("availability", "expected_wait_weeks").get(pk=offer.pk))


def _item_data(item: ProtocolItem, **changes) -> dict:
    return {"title": item.title, "text": item.text, "audience": item.audience, "version": item.version,
            "holding_organisation": item.holding_organisation_id or "", "category": item.category,
            "entrusted_by": item.entrusted_by_id or "", **changes}


def protocol_item(world) -> PageForm:
    item = world.item_everyone
    return PageForm(world.convenor, reverse("protocols:item_edit", args=[item.pk]), _item_data(item, title="Neuer Titel"),
                    "version", "", lambda: ProtocolItem.objects.values_list("title", "version").get(pk=item.pk))


def protocol_item_audience(world) -> PageForm:
    """Who may read an item, changed by a professional of the organisation holding it (not a writer)."""
    item = ProtocolItem.objects.create(
        protocol=world.protocol, position=9, title="In der Suchtberatung anvertraut", text="Rückfall im Mai.",
        audience=Audience.RESTRICTED, holding_organisation=world.counselling, entrusted_by=world.mother,
        category=InformationCategory.ADDICTION_TREATMENT, created_by=world.convenor)
    item.restricted_to.set([world.counselling, world.youth_welfare])
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30),
                                     form_reference="SB-7", recorded_by=world.counsellor)
    consent.to_organisations.set([world.youth_welfare, world.midwifery])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.ADDICTION_TREATMENT)
    return PageForm(world.counsellor, reverse("protocols:item_edit", args=[item.pk]),
                    _item_data(item, audience=Audience.PROFESSIONALS), "version", "+",
                    lambda: ProtocolItem.objects.values_list("audience", "version").get(pk=item.pk))


def next_review(world) -> PageForm:
    day = timezone.localdate() + dt.timedelta(days=60)
    return PageForm(world.convenor, reverse("protocols:next_review", args=[world.protocol.pk]),
                    {"next_review_on": day.isoformat(), "based_on": ""}, "based_on", "2026-13-45",
                    lambda: Protocol.objects.get(pk=world.protocol.pk).next_review_on)


def parent_summary(world) -> PageForm:
    return PageForm(world.convenor, reverse("protocols:parent_summary", args=[world.protocol.pk]),
                    {"parent_summary": "Wir treffen uns im Mai.",
                     "based_on": protocol_services.summary_digest(world.protocol.parent_summary)},
                    "based_on", "abc", lambda: Protocol.objects.get(pk=world.protocol.pk).parent_summary)


def conference_attendance(world) -> PageForm:
    hold_conference(world.conference)
    parent = world.invitation_parent
    data = {f"inv-{i.pk}": "" for i in Invitation.objects.filter(conference=world.conference, removed_at__isnull=True)}
    data.update({f"inv-{parent.pk}": "present", "minute_taker": world.convenor.pk,
                 "based_on": protocol_services.attendance_based_on(world.protocol)})
    return PageForm(world.convenor, reverse("protocols:attendance", args=[world.protocol.pk]), data, "based_on",
                    f"{parent.pk}=present", lambda: Invitation.objects.get(pk=parent.pk).attendance)


def action_status(world) -> PageForm:
    action = world.action_counselling
    return PageForm(world.counsellor, reverse("protocols:action_detail", args=[action.pk]),
                    {"status": "in_progress", "note": "Termin vereinbart.", "version": action.version}, "version", "eins",
                    lambda: AgreedAction.objects.values_list("status", "version").get(pk=action.pk))


def correction_proposal(world) -> PageForm:
    """A proposal replaces the item's whole text: it carries the item's version it was written on."""
    hold_conference(world.conference)
    protocol_services.protocol_release(world.convenor, protocol=world.protocol)
    item = ProtocolItem.objects.get(pk=world.item_everyone.pk)
    return PageForm(world.counsellor, reverse("protocols:correction_propose", args=[item.pk]),
                    {"proposed_text": "Richtiger Verlauf.", "version": item.version}, "version", "neu",
                    lambda: list(item.corrections.values_list("proposed_text", flat=True)))


def session_attendance(world) -> PageForm:
    offers = build_offer_world(world)
    enrolment = Enrolment.objects.create(offer=offers.network_offer, family_label="A.", enrolled_by=world.outsider)
    start = timezone.now() - dt.timedelta(days=1)
    session = Session.objects.create(enrolment=enrolment, staff=world.outsider, starts_at=start,
                                     ends_at=start + dt.timedelta(hours=1))
    return PageForm(world.outsider, reverse("offers:enrolment_attendance", args=[enrolment.pk]),
                    {f"session-{session.pk}": "yes", "based_on": ts.session_attendance_based_on([(session.pk, None)])},
                    "based_on", f"{session.pk}=maybe", lambda: Session.objects.get(pk=session.pk).attended)


PAGE_FORMS = [board_commentary, board_meeting_update, board_meeting_minutes, family_member, conference_move,
              written_report, offer_edit, offer_availability, protocol_item, protocol_item_audience, next_review,
              parent_summary, conference_attendance, action_status, session_attendance, correction_proposal]


def _post(client, page: PageForm, data: dict):
    client.force_login(page.user)
    since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.post(page.url, data)
    audited = list(AuditEvent.objects.filter(pk__gt=since).values_list("action", flat=True))
    return response, audited


def _changes(audited: list[str]) -> list[str]:
    """The audit events of changes among ``audited`` (a refused page may still show, and so read, the row)."""
    return [action for action in audited if not action.endswith((".read", ".view", ".list"))]


@pytest.mark.parametrize("build", PAGE_FORMS, ids=lambda build: build.__name__)
@pytest.mark.parametrize("how", ["missing", "malformed"])
def test_a_form_without_what_it_started_from_is_refused_and_saves_nothing(world, client, build, how):
    page = build(world)
    before = page.stored()
    data = dict(page.data)
    if how == "missing":
        del data[page.field]
    else:
        data[page.field] = page.malformed
    response, audited = _post(client, page, data)
    assert response.status_code == 400
    assert STALE in response.content.decode()
    assert page.stored() == before
    assert _changes(audited) == []


@pytest.mark.parametrize("build", PAGE_FORMS, ids=lambda build: build.__name__)
def test_the_complete_form_is_saved(world, client, build):
    """The control: the same form with what it started from goes through."""
    page = build(world)
    before = page.stored()
    response, audited = _post(client, page, page.data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert page.stored() != before
    assert _changes(audited)


def test_the_message_says_what_to_do_in_german_and_danish(world, client):
    page = board_commentary(world)
    data = {"commentary": page.data["commentary"]}
    client.force_login(page.user)
    german = client.post(page.url, data, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Dieses Formular ist veraltet oder unvollständig" in german and "Seite" in german
    danish = client.post(page.url, data, HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Denne formular er forældet eller ufuldstændig" in danish
