"""Permission matrix for protocols, items, agreed actions, their API and the live channel.

Readers of ``world.protocol`` are the case team and the invited parent. The convenor and the
lead organisation's caseworker (``lead_colleague``) write; everyone else on the team reads.
Everyone off the case gets 404 (pages, API) or a socket closed with 4404; the anonymous visitor
the login page (pages), 401/403 (API) or 4401 (socket).
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from django.utils import timezone

from conferences.models import Conference
from protocols.services import summary_digest
from protocols.models import AgreedAction, Amendment, CorrectionProposal
from tests.matrix.roles import ROLES, client_for, user_for
from tests.world import hold_conference

URL_NAMES = {
    "protocols:my_agreements",
    "protocols:protocol_open", "protocols:protocol_detail", "protocols:protocol_print", "protocols:item_create",
    "protocols:next_review", "protocols:parent_summary", "protocols:protocol_release", "protocols:protocol_finalise",
    "protocols:protocol_acknowledge", "protocols:item_edit", "protocols:action_create", "protocols:item_review",
    "protocols:correction_propose", "protocols:amendment_create", "protocols:correction_decide",
    "protocols:my_actions", "protocols:action_detail", "protocols:attendance", "protocols:action_remove",
    "protocols:action_reassign",
    "protocol-list", "protocol-detail", "protocol-release", "protocol-finalise",
    "protocol-item-list", "protocol-item-detail",
    "protocol-amendment-list", "protocol-amendment-detail", "protocol-acknowledgement-list",
    "agreed-action-list", "agreed-action-detail", "agreed-action-set-status", "agreed-action-reassign",
}

WRITERS = {"convenor", "lead_colleague"}
TEAM = WRITERS | {"counsellor", "midwife"}
READERS = TEAM | {"parent"}
# who can read world.item_professionals (and so world.action_counselling): the team
ACTION_READERS = TEAM
ACTION_UPDATERS = WRITERS | {"counsellor"}


@pytest.fixture
def extras(world):
    start = timezone.now() + dt.timedelta(minutes=30)  # within the hour before it: the protocol may be opened
    second = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                       starts_at=start, ends_at=start + dt.timedelta(minutes=60))
    proposal = CorrectionProposal.objects.create(item=world.item_everyone, author=world.counsellor, proposed_text="Korrektur")
    amendment = Amendment.objects.create(item=world.item_everyone, author=world.convenor, text="Nachtrag", reason="Test")
    return {"second": second, "proposal": proposal, "amendment": amendment}


def expected(role: str, *, ok_roles: set[str], visible: set[str], ok: int, anonymous: int = 302) -> int:
    if role == "anonymous":
        return anonymous
    if role not in visible:
        return 404
    return ok if role in ok_roles else 403


def page_cells(world, extras):
    p, item, action = world.protocol.pk, world.item_everyone.pk, world.action_counselling.pk
    item_form = {"title": "Neuer Punkt", "text": "x", "audience": "professionals"}
    return {
        # name: (method, url, data, ok roles, visible roles, ok status)
        "protocols:protocol_detail": ("get", reverse("protocols:protocol_detail", args=[p]), None, READERS, READERS, 200),
        "protocols:protocol_print": ("get", reverse("protocols:protocol_print", args=[p]), None, READERS, READERS, 200),
        "protocols:protocol_open": ("post", reverse("protocols:protocol_open", args=[extras["second"].pk]), None, WRITERS, TEAM, 302),
        "protocols:item_create": ("post", reverse("protocols:item_create", args=[p]), item_form, WRITERS, READERS, 302),
        "protocols:next_review": ("post", reverse("protocols:next_review", args=[p]), {"next_review_on": "", "based_on": ""}, WRITERS, READERS, 302),
        "protocols:parent_summary": ("post", reverse("protocols:parent_summary", args=[p]), {"parent_summary": "Kurz", "based_on": summary_digest(world.protocol.parent_summary)}, WRITERS, READERS, 302),
        "protocols:protocol_release": ("post", reverse("protocols:protocol_release", args=[p]), None, WRITERS, READERS, 302),
        "protocols:protocol_finalise": ("post", reverse("protocols:protocol_finalise", args=[p]), None, WRITERS, READERS, 302),
        "protocols:protocol_acknowledge": ("post", reverse("protocols:protocol_acknowledge", args=[p]), None, READERS, READERS, 302),
        "protocols:item_edit": ("get", reverse("protocols:item_edit", args=[item]), None, WRITERS, READERS, 200),
        "protocols:action_create": ("get", reverse("protocols:action_create", args=[item]), None, WRITERS, READERS, 200),
        "protocols:item_review": ("post", reverse("protocols:item_review", args=[item]), {"outcome": "done"}, WRITERS, READERS, 302),
        "protocols:correction_propose": ("post", reverse("protocols:correction_propose", args=[item]), {"proposed_text": "x", "version": world.item_everyone.version}, TEAM, READERS, 302),
        "protocols:amendment_create": ("post", reverse("protocols:amendment_create", args=[item]), {"text": "x", "reason": "y"}, WRITERS, READERS, 302),
        "protocols:correction_decide": ("post", reverse("protocols:correction_decide", args=[extras["proposal"].pk]),
                                        {"decision": "reject", "reason": "nein"}, WRITERS, READERS, 302),
        # attendance: only the convenor records it (the world's conference lies ahead: the form
        # is shown, and saving it is refused with a reason)
        "protocols:attendance": ("get", reverse("protocols:attendance", args=[p]), None, WRITERS, READERS, 200),
        # removing an action: the protocol's writers while it is a draft; the responsible
        # counsellor sees the action but may not remove it; others do not see it
        "protocols:action_remove": ("post", reverse("protocols:action_remove", args=[action]), None, WRITERS, ACTION_READERS, 302),
        "protocols:action_detail": ("get", reverse("protocols:action_detail", args=[action]), None, ACTION_READERS, ACTION_READERS, 200),
        # giving an action to someone else: the convenor (and the lead organisation's caseworker);
        # the responsible counsellor and the midwife see it but may not
        "protocols:action_reassign": ("post", reverse("protocols:action_reassign", args=[action]),
                                      {"reassign-responsible": f"org:{world.midwifery.pk}", "reassign-reason": "Wechsel",
                                       "reassign-version": world.action_counselling.version}, WRITERS, ACTION_READERS, 302),
    }


PAGE_CELLS = [
    "protocols:protocol_detail", "protocols:protocol_print", "protocols:protocol_open", "protocols:item_create",
    "protocols:next_review", "protocols:parent_summary", "protocols:protocol_release", "protocols:protocol_finalise",
    "protocols:protocol_acknowledge", "protocols:item_edit", "protocols:action_create", "protocols:item_review",
    "protocols:correction_propose", "protocols:amendment_create", "protocols:correction_decide", "protocols:action_detail",
    "protocols:attendance", "protocols:action_remove", "protocols:action_reassign",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGE_CELLS)
@pytest.mark.parametrize("role", ROLES)
def test_protocol_pages(client, world, extras, role, name):
    method, url, data, ok_roles, visible, ok = page_cells(world, extras)[name]
    client = client_for(client, world, role)
    response = getattr(client, method)(url, data or {})
    assert response.status_code == expected(role, ok_roles=ok_roles, visible=visible, ok=ok), (role, name)
    if role == "anonymous":
        assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_action_status_update_page(client, world, role):
    url = reverse("protocols:action_detail", args=[world.action_counselling.pk])
    response = client_for(client, world, role).post(url, {"status": "in_progress", "note": "n", "version": 1})
    assert response.status_code == expected(role, ok_roles=ACTION_UPDATERS, visible=ACTION_READERS, ok=302)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_my_actions_lists_only_what_falls_to_the_user(client, world, role):
    response = client_for(client, world, role).get(reverse("protocols:my_actions"))
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role in {"board_member", "coordinator", "dpo", "admin"}:  # no professional, no family: refused with a reason
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert (world.action_counselling.title in body) == (role == "counsellor")
    assert (world.action_parent.title in body) == (role == "parent")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_protocol_api(client, world, extras, role):
    client = client_for(client, world, role)
    p, item, action = world.protocol.pk, world.item_everyone.pk, world.action_counselling.pk
    api_anonymous = {401, 403}
    hold_conference(world.conference)  # a draft is released after the conference

    def check(response, *, ok_roles, visible, ok):
        want = expected(role, ok_roles=ok_roles, visible=visible, ok=ok, anonymous=-1)
        if want == -1:
            assert response.status_code in api_anonymous
        else:
            assert response.status_code == want, (role, response.request["PATH_INFO"], response.content[:200])

    for name in ("protocol-list", "protocol-item-list", "protocol-amendment-list", "protocol-acknowledgement-list", "agreed-action-list"):
        response = client.get(reverse(name))
        if role == "anonymous":
            assert response.status_code in api_anonymous
        else:
            assert response.status_code == 200
    if role != "anonymous":
        ids = {r["id"] for r in client.get(reverse("protocol-list")).json()["results"]}
        assert (p in ids) == (role in READERS)
    check(client.get(reverse("protocol-detail", args=[p])), ok_roles=READERS, visible=READERS, ok=200)
    check(client.get(reverse("protocol-item-detail", args=[item])), ok_roles=READERS, visible=READERS, ok=200)
    check(client.get(reverse("protocol-amendment-detail", args=[extras["amendment"].pk])), ok_roles=READERS, visible=READERS, ok=200)
    check(client.get(reverse("agreed-action-detail", args=[action])), ok_roles=ACTION_READERS, visible=ACTION_READERS, ok=200)
    check(client.patch(reverse("protocol-item-detail", args=[item]), {"version": world.item_everyone.version, "text": "neu"},
                       content_type="application/json"), ok_roles=WRITERS, visible=READERS, ok=200)
    check(client.post(reverse("agreed-action-set-status", args=[action]),
                      {"status": "in_progress", "version": AgreedAction.objects.get(pk=action).version}, content_type="application/json"),
          ok_roles=ACTION_UPDATERS, visible=ACTION_READERS, ok=200)
    check(client.post(reverse("agreed-action-reassign", args=[action]),
                      {"responsible_organisation": world.midwifery.pk, "reason": "Wechsel",
                       "version": AgreedAction.objects.get(pk=action).version}, content_type="application/json"),
          ok_roles=WRITERS, visible=ACTION_READERS, ok=200)
    check(client.post(reverse("protocol-finalise", args=[p])), ok_roles=WRITERS, visible=READERS, ok=400)
    check(client.post(reverse("protocol-release", args=[p])), ok_roles=WRITERS, visible=READERS, ok=200)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_live_channel(world, role):
    from django.contrib.auth.models import AnonymousUser

    from config.routing import websocket_urlpatterns

    from tests.websocket.sessions import live_scope

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{world.protocol.pk}/")
    user = user_for(world, role)
    if user is None:
        communicator.scope["user"] = AnonymousUser()
    else:
        await live_scope(communicator, user)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    if role in READERS:
        hello = await communicator.receive_json_from(timeout=10)
        assert hello["type"] == "hello"
        assert hello["can_write"] == (role in WRITERS)
        await communicator.disconnect()
    else:
        closed = await communicator.receive_output(timeout=10)
        assert closed == {"type": "websocket.close", "code": 4401 if role == "anonymous" else 4404}


# Who must have completed a second factor when MFA is required (professionals and technical admins).
NEEDS_SECOND_FACTOR = {"convenor", "lead_colleague", "counsellor", "midwife", "outsider", "foreign_professional", "admin"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
async def test_live_channel_without_second_factor(world, role, settings):
    """With MFA required, the live channel refuses exactly whom the pages refuse (4403), before
    anything of the case is sent; the others get what they get without MFA."""
    from config.routing import websocket_urlpatterns
    from tests.websocket.sessions import live_scope

    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{world.protocol.pk}/")
    await live_scope(communicator, user_for(world, role))
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    first = await communicator.receive_output(timeout=10)
    if role in NEEDS_SECOND_FACTOR:
        assert first == {"type": "websocket.close", "code": 4403}
    elif role in READERS:
        assert first["type"] == "websocket.send" and '"hello"' in first["text"]
        await communicator.disconnect()
    else:
        assert first == {"type": "websocket.close", "code": 4404}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
async def test_live_channel_after_logout(world, role):
    """A socket opened on a session that has since been signed out is refused (4401), and an
    open one is closed at the logout."""
    from channels.db import database_sync_to_async

    from config.routing import websocket_urlpatterns
    from tests.websocket.sessions import live_scope

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{world.protocol.pk}/")
    client = await live_scope(communicator, user_for(world, role))
    assert (await communicator.connect(timeout=10))[0]
    if role in READERS:
        assert (await communicator.receive_json_from(timeout=10))["type"] == "hello"
    await database_sync_to_async(client.logout)()
    while True:
        output = await communicator.receive_output(timeout=10)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == (4401 if role in READERS else 4404)
    again = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{world.protocol.pk}/")
    again.scope.update(communicator.scope)
    assert (await again.connect(timeout=10))[0]
    assert await again.receive_output(timeout=10) == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize("role", ROLES)
def test_my_agreements_is_a_page_for_parents_only(client, world, role):
    response = client_for(client, world, role).get(reverse("protocols:my_agreements"))
    assert response.status_code == expected(role, ok_roles={"parent", "other_parent"}, visible={"parent", "other_parent"}, ok=200)
    if role == "parent":
        assert world.action_parent.title in response.content.decode()
        assert world.action_counselling.title not in response.content.decode()  # in a professionals-only item
    if role == "other_parent":
        assert world.action_parent.title not in response.content.decode()


@pytest.mark.parametrize("role", [*ROLES, "guest"])
def test_the_summary_for_the_parents_on_page_print_and_api(client, world, role):
    """The team and the parents read the summary written for the parents; a guest of the
    conference (an explicit grant: she reads the protocol's items for everyone) does not."""
    from access import grant_services
    from protocols import services
    from tests.world import make_professional

    services.parent_summary_set(world.convenor, protocol=world.protocol, text="Zusammenfassung für die Eltern.")
    if role == "guest":
        guest = make_professional("matrix-protocol-guest", world.early_help)
        grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
        client.force_login(guest)
    else:
        client_for(client, world, role)
    reads = READERS | {"guest"}
    p = world.protocol.pk
    for url in (reverse("protocols:protocol_detail", args=[p]), reverse("protocols:protocol_print", args=[p])):
        response = client.get(url)
        assert response.status_code == expected(role, ok_roles=reads, visible=reads, ok=200), url
        if role in ("parent", "guest"):  # the page and print for those off the team
            assert ("Zusammenfassung für die Eltern." in response.content.decode()) == (role == "parent"), url
    detail = client.get(reverse("protocol-detail", args=[p]))
    listing = client.get(reverse("protocol-list"))
    if role not in reads:
        assert detail.status_code in (403, 404)
        return
    assert detail.json()["parent_summary"] == ("Zusammenfassung für die Eltern." if role in READERS else "")
    [row] = [r for r in listing.json()["results"] if r["id"] == p]
    assert row["parent_summary"] == detail.json()["parent_summary"]
