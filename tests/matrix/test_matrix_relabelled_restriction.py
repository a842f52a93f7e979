"""Matrix cells for a restriction of processing (GDPR Art. 18) of the person who FIRST entrusted a
protocol item or a written report, later relabelled to another person (``first_entrusted_by``):
the restriction withholds it as it withholds what she entrusts now (``cases_policy.entrusted_by_any``),
on the pages, in the API, in the iCal feeds and on the live channel, and the team reads it only
with a reason (``privacy.services.restricted_read``, audited).

Found in review: every exclusion looked at ``entrusted_by`` alone, so relabelling an item or a
report from the mother to the father lifted her restriction from it."""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from cases.models import Consent, ConsentScope, FamilyMember, InformationCategory
from conferences.models import WrittenReport
from permissions.models import AuditEvent
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from protocols import live
from protocols.models import AgreedAction, ProtocolItem
from tests.matrix.roles import ROLES, client_for, user_for
from tests.websocket.sessions import protocol_socket

pytestmark = pytest.mark.django_db

# Its cells are rows of pages, endpoints, feeds and the socket named by other modules.
URL_NAMES: set[str] = set()

ITEM_SECRET = "Vertraulich: Rückfall im Mai, erst der Mutter anvertraut"
ACTION_SECRET = "Vertraulich: Substitution wieder aufgenommen"
REPORT_SECRET = "Vertraulich: Bericht der Suchtberatung über die Mutter"
TEAM = {"convenor", "lead_colleague", "counsellor", "midwife"}
SOCKET_READERS = TEAM | {"parent"}


def _consent(world, *, given_by, source, to, category) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=given_by, from_organisation=source, valid_from=today,
                                     valid_until=today + dt.timedelta(days=30), form_reference="SE-R",
                                     recorded_by=world.convenor)
    consent.to_organisations.set(to)
    ConsentScope.objects.create(consent=consent, category=category)
    return consent


def _relabelled(world) -> tuple[ProtocolItem, AgreedAction, WrittenReport]:
    """The world's restricted item (the mother entrusted it to the youth-welfare office; her consent
    covers counselling) relabelled to the father, whose consent covers counselling as well; an
    action in it that falls to the counsellor; and a report of the counselling organisation to the
    youth-welfare office, first entrusted by the mother, relabelled to the father (both consented)."""
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="F.")
    item = world.item_restricted
    _consent(world, given_by=father, source=world.youth_welfare, to=[world.counselling], category=item.category)
    ProtocolItem.objects.filter(pk=item.pk).update(
        text=ITEM_SECRET, entrusted_by=father, first_entrusted_by=world.mother, first_category=item.category,
        first_holding_organisation=item.holding_organisation)
    item.refresh_from_db()
    action = AgreedAction.objects.create(
        case=world.case, item=item, title="Substitution begleiten", description=ACTION_SECRET,
        responsible_organisation=world.counselling, responsible_user=world.counsellor,
        due_on=timezone.localdate() + dt.timedelta(days=3))
    addiction = InformationCategory.ADDICTION_TREATMENT
    for person in (world.mother, father):
        _consent(world, given_by=person, source=world.counselling, to=[world.youth_welfare], category=addiction)
    report = WrittenReport.objects.create(
        conference=world.conference, organisation=world.counselling, due_on=timezone.localdate(), text=REPORT_SECRET,
        audience=WrittenReport.Audience.RESTRICTED, category=addiction, entrusted_by=father,
        first_entrusted_by=world.mother, first_category=addiction, submitted_by=world.counsellor,
        submitted_at=timezone.now())
    report.restricted_to.set([world.youth_welfare])
    return item, action, report


def _restrict_mother(world):
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                              kind=DataSubjectRequest.Kind.RESTRICTION, received_on=timezone.localdate(),
                                              identity_check="account")
    return privacy_services.restriction_set(world.dpo, request=request, grounds="Prüfung der Richtigkeit")


def _pages(c, world, report, action) -> str:
    return "".join(c.get(url).content.decode() for url in (
        reverse("protocols:protocol_detail", args=[world.protocol.pk]),
        reverse("protocols:action_detail", args=[action.pk]),
        reverse("conferences:conference_detail", args=[world.conference.pk]),
        reverse("conferences:report_submit", args=[world.conference.pk, report.pk]),
        reverse("protocols:my_actions"), reverse("dashboard")))


def test_before_the_restriction_the_team_reads_the_relabelled_item_action_and_report(world, client):
    """The control: the cells below would show them without the restriction."""
    item, action, report = _relabelled(world)
    client.force_login(world.counsellor)
    assert client.get(f"/api/protocol-items/{item.pk}/").status_code == 200
    assert client.get(f"/api/actions/{action.pk}/").status_code == 200
    page = _pages(client, world, report, action)
    assert ITEM_SECRET in page and ACTION_SECRET in page
    client.force_login(world.convenor)
    assert REPORT_SECRET in _pages(client, world, report, action)


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_api_withhold_what_the_restricted_person_first_entrusted(world, client, role):
    item, action, report = _relabelled(world)
    _restrict_mother(world)
    c = client_for(client, world, role)
    page = _pages(c, world, report, action)
    assert ITEM_SECRET not in page and ACTION_SECRET not in page and REPORT_SECRET not in page
    refused = 403 if role == "anonymous" else 404
    assert c.get(f"/api/protocol-items/{item.pk}/").status_code == refused
    assert c.get(f"/api/actions/{action.pk}/").status_code == refused
    if role != "anonymous":
        assert item.pk not in [row["id"] for row in c.get("/api/protocol-items/?limit=500").json()["results"]]
        assert action.pk not in [row["id"] for row in c.get("/api/actions/?limit=500").json()["results"]]


@pytest.mark.parametrize("role", sorted(TEAM | {"parent"}))
def test_the_ical_feeds_withhold_the_action_in_what_she_first_entrusted(world, client, role):
    _, action, _ = _relabelled(world)
    raw = calendar_services.feed_token_create(user_for(world, role))[1]
    client.get(reverse("calendars:feed_tasks", args=[raw]))  # served once before: no cache outlives the restriction
    _restrict_mother(world)
    client.logout()
    for name in ("calendars:feed", "calendars:feed_tasks"):
        body = client.get(reverse(name, args=[raw])).content
        assert f"action-{action.pk}@".encode() not in body and ACTION_SECRET.encode() not in body


@pytest.mark.parametrize("role", ["convenor", "counsellor", "midwife"])
def test_the_team_reads_it_with_a_reason_and_the_read_is_audited(world, client, role):
    item, action, report = _relabelled(world)
    restriction = _restrict_mother(world)
    c = client_for(client, world, role)
    page = c.post(reverse("privacy:restricted_read", args=[restriction.pk]), {"reason": "Prüfung der Richtigkeit"})
    api = c.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Prüfung der Richtigkeit"},
                 content_type="application/json").json()
    # as far as she could read them without the restriction: the counsellor (consents of both) the
    # item, its action and her organisation's report; the convenor (holder of the item, named for
    # the report) all three; the midwife (no consent) none
    expected = {"convenor": ([item.pk], [action.pk], [report.pk]), "counsellor": ([item.pk], [action.pk], [report.pk]),
                "midwife": ([], [], [])}[role]
    assert ([i["id"] for i in api["items"]], [a["id"] for a in api["actions"]], [r["id"] for r in api["reports"]]) == expected
    body = page.content.decode()
    assert (ITEM_SECRET in body, REPORT_SECRET in body) == (bool(expected[0]), bool(expected[2]))
    for event in AuditEvent.objects.filter(action="restriction.read"):
        assert (event.detail["items"], event.detail["actions"], event.detail["reports"]) == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_the_live_channel_does_not_push_it(world, role):
    item, action, _ = await database_sync_to_async(_relabelled)(world)
    await database_sync_to_async(_restrict_mother)(world)
    communicator, reads = await protocol_socket(world, role, world.protocol.pk, readers=SOCKET_READERS)
    if not reads:
        return
    hello = await communicator.receive_json_from(timeout=10)
    assert hello["type"] == "hello" and item.pk not in [i["id"] for i in hello["items"]]

    def change():
        with transaction.atomic():
            ProtocolItem.objects.filter(pk=item.pk).update(title="Neu formuliert")
            live.item_changed_on_commit(world.protocol.pk, item.pk)
        with transaction.atomic():
            AgreedAction.objects.filter(pk=action.pk).update(status=AgreedAction.Status.IN_PROGRESS)
            live.action_changed_on_commit(action.pk)

    await database_sync_to_async(change)()
    while not await communicator.receive_nothing(timeout=0.5):
        message = await communicator.receive_json_from()
        assert ITEM_SECRET not in str(message) and ACTION_SECRET not in str(message), message
        assert "Neu formuliert" not in str(message), message
    await communicator.disconnect()
