"""Matrix cells for agreed actions under a restriction of processing (GDPR Art. 18): an action in
an item entrusted by a person whose processing is restricted is hidden wherever its item is, even
from the professional and the organisation it falls to, on the page, in the API, in the iCal feeds
and on the live channel. The restricted person herself still sees what falls to her; the case team
reads it only with a reason (``privacy.services.restricted_read``, audited).

Found in review: the items' routes left such items out, but the actions' arms that do not go
through an item (it falls to her, her organisation, her as a parent) did not."""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from permissions.models import AuditEvent
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from protocols import live
from protocols import services as protocol_services
from protocols.models import AgreedAction, Audience, ProtocolItem
from tests.matrix.roles import ROLES, client_for, user_for
from tests.websocket.sessions import protocol_socket

pytestmark = pytest.mark.django_db

# Its cells are rows of pages, endpoints, feeds and the socket named by other modules.
URL_NAMES: set[str] = set()

TEAM = {"convenor", "lead_colleague", "counsellor", "midwife"}
SOCKET_READERS = TEAM | {"parent"}       # who opens the world's protocol live
SECRET = "Vertraulich: Rückfall im März"  # the description of the action in the restricted item
PARENTS_OWN = "Hilfe annehmen"            # an action in the same item that falls to the mother herself


def _actions(world) -> tuple[AgreedAction, AgreedAction]:
    """Two actions in items the mother entrusted: one falls to the counsellor and her organisation
    (overdue, so the convenor's and the counsellor's dashboards list it), in the restricted item;
    one to the mother herself, in an item of the same holder, labels and person widened to everyone
    (an action falls to a parent only in an item she reads: ``services.action_create``)."""
    today = timezone.localdate()
    own_item = ProtocolItem.objects.create(
        protocol=world.protocol, position=4, title="Für alle geöffnet", text="Von der Mutter anvertraut.",
        audience=Audience.EVERYONE, holding_organisation=world.youth_welfare, entrusted_by=world.mother,
        category=world.item_restricted.category, created_by=world.convenor)
    counselling = AgreedAction.objects.create(
        case=world.case, item=world.item_restricted, title="Substitution begleiten", description=SECRET,
        responsible_organisation=world.counselling, responsible_user=world.counsellor, due_on=today - dt.timedelta(days=2))
    parents = AgreedAction.objects.create(
        case=world.case, item=own_item, title=PARENTS_OWN, description="Nur für die Mutter.",
        responsible_family_member=world.mother, due_on=today + dt.timedelta(days=5))
    return counselling, parents


def _restrict(world):
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=world.mother,
                                              kind=DataSubjectRequest.Kind.RESTRICTION, received_on=timezone.localdate(),
                                              identity_check="account")
    return privacy_services.restriction_set(world.dpo, request=request, grounds="Prüfung")


def _page_status(role: str, visible: bool) -> int:
    return 302 if role == "anonymous" else (200 if visible else 404)


def _api_status(role: str, visible: bool) -> int:
    return 403 if role == "anonymous" else (200 if visible else 404)


def test_before_the_restriction_the_counsellor_reads_the_action_it_falls_to(world, client):
    """The control: without a restriction the cells below would be 200 for her."""
    action, _ = _actions(world)
    client.force_login(world.counsellor)
    assert client.get(f"/api/actions/{action.pk}/").status_code == 200
    assert SECRET in client.get(reverse("protocols:action_detail", args=[action.pk])).content.decode()
    _, raw = calendar_services.feed_token_create(world.counsellor)
    client.logout()
    assert f"todo-action-{action.pk}@".encode() in client.get(reverse("calendars:feed_tasks", args=[raw])).content


@pytest.mark.parametrize("role", ROLES)
def test_the_action_page_and_api_refuse_an_action_in_a_restricted_persons_item(world, client, role):
    action, parents = _actions(world)
    _restrict(world)
    c = client_for(client, world, role)
    assert c.get(reverse("protocols:action_detail", args=[action.pk])).status_code == _page_status(role, False)
    assert c.get(f"/api/actions/{action.pk}/").status_code == _api_status(role, False)
    # She herself is not restricted from her own data: what falls to her stays hers.
    own = role == "parent"
    assert c.get(reverse("protocols:action_detail", args=[parents.pk])).status_code == _page_status(role, own)
    assert c.get(f"/api/actions/{parents.pk}/").status_code == _api_status(role, own)
    assert c.post(reverse("agreed-action-set-status", args=[action.pk]), {"status": "in_progress", "version": action.version},
                  content_type="application/json").status_code == _api_status(role, False)
    if role != "anonymous":
        for query in ("", "?mine=1", "?limit=500"):
            listed = {row["id"] for row in c.get(f"/api/actions/{query}").json()["results"]}
            assert action.pk not in listed
            assert (parents.pk in listed) == own


@pytest.mark.parametrize("role", ROLES)
def test_the_lists_of_actions_leave_it_out(world, client, role):
    """The dashboard (her open actions, the convenor's overdue ones), "my actions", the convenor's
    view of her cases' actions and a parent's agreements."""
    action, parents = _actions(world)
    _restrict(world)
    c = client_for(client, world, role)
    pages = [reverse("dashboard"), reverse("protocols:my_actions"), reverse("protocols:my_actions") + "?scope=convened",
             reverse("protocols:my_agreements"), reverse("protocols:protocol_detail", args=[world.protocol.pk])]
    for url in pages:
        body = c.get(url).content.decode()
        assert action.title not in body and SECRET not in body, url
        if role != "parent":
            assert PARENTS_OWN not in body, url
    if role == "parent":
        assert PARENTS_OWN in c.get(reverse("protocols:my_agreements")).content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_ical_feeds_leave_it_out(world, client, role):
    action, parents = _actions(world)
    user = user_for(world, role)
    tokens = []
    if user is not None:
        tokens.append(calendar_services.feed_token_create(user)[1])
        if role in TEAM:
            tokens.append(calendar_services.feed_token_create(user, kind=FeedToken.Kind.CASE, case=world.case)[1])
    for raw in tokens:  # served once before: a cached feed must not outlive the restriction
        client.get(reverse("calendars:feed", args=[raw]))
    _restrict(world)
    client.logout()  # the token is the key
    for raw in tokens:
        for name in ("calendars:feed", "calendars:feed_tasks"):
            response = client.get(reverse(name, args=[raw]))
            if response.status_code != 200:
                continue
            assert f"action-{action.pk}@".encode() not in response.content, (name, raw)
            assert b"Substitution begleiten" not in response.content
            if role != "parent":
                assert f"action-{parents.pk}@".encode() not in response.content, (name, raw)
    if role == "parent":  # what falls to her stays in her own feed
        assert f"todo-action-{parents.pk}@".encode() in client.get(reverse("calendars:feed_tasks", args=[tokens[0]])).content


@pytest.mark.parametrize("role", ["convenor", "counsellor", "midwife"])
def test_the_team_reads_it_with_a_reason_and_the_read_is_audited(world, client, role):
    action, parents = _actions(world)
    restriction = _restrict(world)
    c = client_for(client, world, role)
    page = c.post(reverse("privacy:restricted_read", args=[restriction.pk]), {"reason": "Schutz des Kindes"})
    api = c.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Schutz des Kindes"},
                 content_type="application/json").json()
    # as far as she could read them without the restriction: the item's actions for its holder and
    # for the counsellor (her consent covers it); the midwife (no consent, not responsible) none
    expected = {"convenor": [action.pk, parents.pk], "counsellor": [action.pk, parents.pk], "midwife": []}[role]
    assert [a["id"] for a in api["actions"]] == expected
    assert (SECRET in page.content.decode()) == (action.pk in expected)
    for event in AuditEvent.objects.filter(action="restriction.read"):
        assert event.detail["actions"] == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_the_live_channel_does_not_push_it(world, role):
    action, parents = await database_sync_to_async(_actions)(world)
    await database_sync_to_async(_restrict)(world)
    communicator, reads = await protocol_socket(world, role, world.protocol.pk, readers=SOCKET_READERS)
    if not reads:
        return
    assert (await communicator.receive_json_from(timeout=10))["type"] == "hello"

    def change():
        # Whatever writes the action (its status, a reminder, the admin) announces it the same way;
        # the team cannot change it through the service any more, the mother changes her own.
        with transaction.atomic():
            AgreedAction.objects.filter(pk=action.pk).update(status=AgreedAction.Status.IN_PROGRESS)
            live.action_changed_on_commit(action.pk)
        protocol_services.action_update_status(world.parent, action=parents, status="in_progress", note="")

    await database_sync_to_async(change)()
    received = []
    # Her own action's item carries a holder: its item event asks the policy before the action
    # event is handled, so on a loaded machine she waits longer for it.
    while not await communicator.receive_nothing(timeout=5 if role == "parent" and not received else 0.5):
        message = await communicator.receive_json_from()
        assert SECRET not in str(message) and "Substitution begleiten" not in str(message), message
        if message["type"] == "action":
            received.append(message["action"]["id"])
    assert received == ([parents.pk] if role == "parent" else [])
    await communicator.disconnect()
