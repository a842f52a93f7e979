"""Permission matrix for the scheduling pages, the scheduling API, the live poll grid and the live
conference page."""
from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from access import grant_services
from cases.models import FamilyMember
from conferences import services
from conferences.models import Conference, Invitation, SlotVote
from tests.conferences.helpers import answer_all, convene, local, without_account
from tests.matrix.roles import ROLES, client_for, user_for
from tests.world import make_professional

URL_NAMES = {
    "conferences:conference_create",
    "conferences:conference_detail",
    "conferences:conference_poll",
    "conferences:poll_grid",
    "conferences:poll_pick",
    "conferences:poll_link_create",
    "conferences:invitation_letter",
    "conferences:poll_link_vote",
    "conferences:invitation_remove",
    "conferences:invitation_add",
    "conferences:conference_rsvp",
    "conferences:conference_move",
    "conferences:conference_cancel",
    "conferences:report_submit",
    "conference-list",
    "conference-detail",
    "conference-poll",
    "conference-vote",
    "conference-pick",
    "conference-rsvp",
    "conference-move",
    "conference-cancel",
    "conference-invite",
}

pytestmark = pytest.mark.django_db

TEAM = {"convenor", "lead_colleague", "counsellor", "midwife"}
SEES_CONFERENCE = TEAM | {"parent"}
CONVENORS = {"convenor", "lead_colleague"}
INVITED = {"convenor", "lead_colleague", "counsellor", "midwife", "parent"}  # in the polling conference
INVITED_TO_WORLD_CONFERENCE = {"convenor", "counsellor", "midwife", "parent"}


@pytest.fixture
def polling(world) -> Conference:
    return convene(world)


def page_status(role: str, *, allowed: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    if role not in SEES_CONFERENCE:
        return 404
    return ok if role in allowed else 403


def api_status(role: str, *, allowed: set[str], ok: int = 200, visible: set[str] = SEES_CONFERENCE, forbidden: int = 403) -> int:
    if role == "anonymous":
        return 403
    if role not in visible:
        return 404
    return ok if role in allowed else forbidden


@pytest.mark.parametrize("role", ROLES)
def test_convene_page(client, world, role):
    response = client_for(client, world, role).get(reverse("conferences:conference_create", args=[world.case.pk]))
    assert response.status_code == page_status(role, allowed=CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_conference_page(client, world, role):
    response = client_for(client, world, role).get(reverse("conferences:conference_detail", args=[world.conference.pk]))
    assert response.status_code == page_status(role, allowed=SEES_CONFERENCE)


@pytest.mark.parametrize("role", ROLES)
def test_poll_page(client, world, polling, role):
    response = client_for(client, world, role).get(reverse("conferences:conference_poll", args=[polling.pk]))
    assert response.status_code == page_status(role, allowed=SEES_CONFERENCE)
    if response.status_code == 200:
        # Only the team sees everyone's answers; a parent sees her own form.
        assert ("poll-grid" in response.content.decode()) == (role in TEAM)


@pytest.mark.parametrize("role", ROLES)
def test_poll_vote_on_the_page(client, world, polling, role):
    data = {f"slot_{s.pk}": "yes" for s in polling.poll.slots.all()}
    response = client_for(client, world, role).post(reverse("conferences:conference_poll", args=[polling.pk]), data)
    expected = page_status(role, allowed=INVITED, ok=302)
    assert response.status_code == expected
    assert SlotVote.objects.exists() == (expected == 302 and role != "anonymous")


@pytest.mark.parametrize("role", ROLES)
def test_poll_grid_fragment(client, world, polling, role):
    response = client_for(client, world, role).get(reverse("conferences:poll_grid", args=[polling.pk]))
    expected = 302 if role == "anonymous" else (200 if role in TEAM else 404)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_pick(client, world, polling, role):
    slot = polling.poll.slots.first()
    response = client_for(client, world, role).post(reverse("conferences:poll_pick", args=[polling.pk]),
                                                    {"slot": slot.pk, "confirm_without_quorum": "1"})
    assert response.status_code == page_status(role, allowed=CONVENORS, ok=302)
    polling.refresh_from_db()
    assert (polling.status == Conference.Status.SCHEDULED) == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_poll_link_create(client, world, polling, role):
    # a father without an account (a parent with one answers signed in and gets no link)
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    invitation = Invitation.objects.create(conference=polling, family_member=father)
    response = client_for(client, world, role).post(reverse("conferences:poll_link_create", args=[polling.pk, invitation.pk]))
    assert response.status_code == page_status(role, allowed=CONVENORS)
    assert invitation.poll_links.exists() == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_invitation_letter(client, world, role):
    invitation = world.conference.invitations.get(family_member=world.mother)
    response = client_for(client, world, role).get(reverse("conferences:invitation_letter", args=[world.conference.pk, invitation.pk]))
    assert response.status_code == page_status(role, allowed=CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_poll_link_vote_needs_only_the_link(client, world, polling, role):
    _, raw = services.poll_link_create(world.convenor, invitation=polling.invitations.get(family_member=without_account(world.mother)))
    c = client_for(client, world, role)
    assert c.get(reverse("conferences:poll_link_vote", args=[raw])).status_code == 200
    assert c.get(reverse("conferences:poll_link_vote", args=["A" * 43])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_invitation_remove_confirmation_page(client, world, role):
    response = client_for(client, world, role).get(
        reverse("conferences:invitation_remove", args=[world.conference.pk, world.invitation_counsellor.pk]))
    assert response.status_code == page_status(role, allowed=CONVENORS)
    world.invitation_counsellor.refresh_from_db()
    assert world.invitation_counsellor.removed_at is None


@pytest.mark.parametrize("role", ROLES)
def test_invitation_remove(client, world, role):
    response = client_for(client, world, role).post(
        reverse("conferences:invitation_remove", args=[world.conference.pk, world.invitation_counsellor.pk]), {"confirm": "1"})
    assert response.status_code == page_status(role, allowed=CONVENORS, ok=302)
    world.invitation_counsellor.refresh_from_db()
    assert (world.invitation_counsellor.removed_at is not None) == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_invitation_add_page(client, world, role):
    response = client_for(client, world, role).get(reverse("conferences:invitation_add", args=[world.conference.pk]))
    assert response.status_code == page_status(role, allowed=CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_invitation_add_post(client, world, role):
    member = world.case.team.get(user=world.lead_colleague)
    response = client_for(client, world, role).post(reverse("conferences:invitation_add", args=[world.conference.pk]),
                                                    {"invitee": f"team_{member.pk}", "required": "optional"})
    assert response.status_code == page_status(role, allowed=CONVENORS, ok=302)
    added = Invitation.objects.filter(conference=world.conference, user=world.lead_colleague).exists()
    assert added == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_rsvp(client, world, role):
    response = client_for(client, world, role).post(reverse("conferences:conference_rsvp", args=[world.conference.pk]),
                                                    {"rsvp": "accepted"})
    assert response.status_code == page_status(role, allowed=INVITED_TO_WORLD_CONFERENCE, ok=302)
    accepted = Invitation.objects.filter(conference=world.conference, rsvp="accepted").count()
    assert accepted == (1 if role in INVITED_TO_WORLD_CONFERENCE else 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["conferences:conference_move", "conferences:conference_cancel"])
def test_move_and_cancel_pages(client, world, role, name):
    response = client_for(client, world, role).get(reverse(name, args=[world.conference.pk]))
    assert response.status_code == page_status(role, allowed=CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_cancel_post(client, world, role):
    response = client_for(client, world, role).post(reverse("conferences:conference_cancel", args=[world.conference.pk]))
    assert response.status_code == page_status(role, allowed=CONVENORS, ok=302)
    world.conference.refresh_from_db()
    assert (world.conference.status == Conference.Status.CANCELLED) == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_report_page(client, world, polling, role):
    report = polling.reports.get(organisation=world.counselling)
    response = client_for(client, world, role).get(reverse("conferences:report_submit", args=[polling.pk, report.pk]))
    expected = 302 if role == "anonymous" else (200 if role in TEAM else 404)
    assert response.status_code == expected


def _client_or_guest(client, world, role):
    """The client signed in as ``role``, or as a guest invited to the world's conference."""
    if role != "guest":
        return client_for(client, world, role)
    guest = make_professional("matrix-guest", world.early_help)
    grant_services.guest_invite(world.convenor, conference=world.conference, guest=guest)
    client.force_login(guest)
    return client


def _conference_page_and_api(client, world, role):
    """The conference page and its API answer for ``role`` (or a guest), or None where she is
    refused, as the matrix expects (both checked here)."""
    c = _client_or_guest(client, world, role)
    page = c.get(reverse("conferences:conference_detail", args=[world.conference.pk]))
    detail = c.get(reverse("conference-detail", args=[world.conference.pk]))
    if role not in SEES_CONFERENCE | {"guest"}:
        assert page.status_code == page_status(role, allowed=SEES_CONFERENCE)
        assert detail.status_code == api_status(role, allowed=SEES_CONFERENCE)
        return None
    return page, detail


@pytest.mark.parametrize("role", [*ROLES, "guest"])
def test_a_report_shared_with_the_parents_on_the_conference_page(client, world, polling, role):
    """The team reads every submitted report, the parents those shared with them; a guest of the
    conference (an explicit grant: she reads the conference page) reads none of them."""
    from access import grant_services
    from conferences import services

    report = polling.reports.get(organisation=world.counselling)
    services.report_submit(world.counsellor, report=report, text="Geteilt mit den Eltern.", shareable_with_parents=True)
    if role == "guest":
        guest = make_professional("matrix-guest", world.early_help)
        grant_services.guest_invite(world.convenor, conference=polling, guest=guest)
        client.force_login(guest)
        c = client
    else:
        c = client_for(client, world, role)
    response = c.get(reverse("conferences:conference_detail", args=[polling.pk]))
    assert response.status_code == (200 if role == "guest" else page_status(role, allowed=SEES_CONFERENCE))
    assert ("Geteilt mit den Eltern." in response.content.decode()) == (role in SEES_CONFERENCE)


@pytest.mark.parametrize("role", [*ROLES, "guest"])
def test_access_needs_on_the_conference_page_and_in_the_api(client, world, role):
    """The family's access needs (possibly health information) for the case team and the parents;
    a guest of the conference reads the conference, but not them (the API gives her "")."""
    world.conference.access_needs = "Methadon um 9 Uhr"
    world.conference.save(update_fields=["access_needs"])
    answers = _conference_page_and_api(client, world, role)
    if answers is None:
        return
    page, detail = answers
    assert page.status_code == 200 and detail.status_code == 200
    assert ("Methadon um 9 Uhr" in page.content.decode()) == (role in SEES_CONFERENCE)
    assert detail.json()["access_needs"] == ("Methadon um 9 Uhr" if role in SEES_CONFERENCE else "")


@pytest.mark.parametrize("role", [*ROLES, "guest"])
def test_each_family_members_access_needs_for_the_team_and_for_her_alone(client, world, role):
    """Review h9: a family member's needs stay on her record. The team reads the mother's and the
    father's with the conference, the mother only her own, a guest none (page and API alike)."""
    FamilyMember.objects.filter(pk=world.mother.pk).update(access_needs="Rollstuhl")
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         access_needs="Methadon um 9 Uhr")
    Invitation.objects.create(conference=world.conference, family_member=father)
    answers = _conference_page_and_api(client, world, role)
    if answers is None:
        return
    page, detail = answers
    expected = {"Rollstuhl", "Methadon um 9 Uhr"} if role in TEAM else ({"Rollstuhl"} if role == "parent" else set())
    assert {row["access_needs"] for row in detail.json()["family_access_needs"]} == expected
    body = page.content.decode()
    assert {text for text in ("Rollstuhl", "Methadon um 9 Uhr") if text in body} == expected


# --- API ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_api_list_and_detail(client, world, role):
    c = client_for(client, world, role)
    listing = c.get(reverse("conference-list"))
    detail = c.get(reverse("conference-detail", args=[world.conference.pk]))
    if role == "anonymous":
        assert listing.status_code == 403 and detail.status_code == 403
        return
    ids = [row["id"] for row in listing.json()["results"]]
    assert (world.conference.pk in ids) == (role in SEES_CONFERENCE)
    assert detail.status_code == (200 if role in SEES_CONFERENCE else 404)


@pytest.mark.parametrize("role", ROLES)
def test_api_create(client, world, role):
    member = world.case.team.get(user=world.counsellor)
    data = {"case": world.case.pk, "kind": "participant", "slots": [local(10).isoformat()],
            "invitees": [{"team_member": member.pk, "required": True}, {"family_member": world.mother.pk}]}
    response = client_for(client, world, role).post(reverse("conference-list"), data, content_type="application/json")
    assert response.status_code == api_status(role, allowed=CONVENORS, ok=201)
    assert Conference.objects.count() == (2 if role in CONVENORS else 1)


@pytest.mark.parametrize("role", ROLES)
def test_api_poll_ranking(client, world, polling, role):
    response = client_for(client, world, role).get(reverse("conference-poll", args=[polling.pk]))
    assert response.status_code == api_status(role, allowed=TEAM, forbidden=404)


@pytest.mark.parametrize("role", ROLES)
def test_api_vote(client, world, polling, role):
    data = {"answers": {str(k): v for k, v in answer_all(polling, "if_need_be").items()}}
    response = client_for(client, world, role).post(reverse("conference-vote", args=[polling.pk]), data,
                                                    content_type="application/json")
    assert response.status_code == api_status(role, allowed=INVITED, ok=204, forbidden=404)
    assert SlotVote.objects.exists() == (role in INVITED)


@pytest.mark.parametrize("role", ROLES)
def test_api_pick(client, world, polling, role):
    response = client_for(client, world, role).post(reverse("conference-pick", args=[polling.pk]),
                                                    {"slot": polling.poll.slots.first().pk, "confirm_without_quorum": True},
                                                    content_type="application/json")
    assert response.status_code == api_status(role, allowed=CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_api_invite(client, world, role):
    member = world.case.team.get(user=world.lead_colleague)
    response = client_for(client, world, role).post(reverse("conference-invite", args=[world.conference.pk]),
                                                    {"team_member": member.pk}, content_type="application/json")
    assert response.status_code == api_status(role, allowed=CONVENORS, ok=201)
    added = Invitation.objects.filter(conference=world.conference, user=world.lead_colleague).exists()
    assert added == (role in CONVENORS)


@pytest.mark.parametrize("role", ROLES)
def test_api_rsvp(client, world, role):
    response = client_for(client, world, role).post(reverse("conference-rsvp", args=[world.conference.pk]),
                                                    {"rsvp": "tentative"}, content_type="application/json")
    assert response.status_code == api_status(role, allowed=INVITED_TO_WORLD_CONFERENCE, ok=204, forbidden=404)


@pytest.mark.parametrize("role", ROLES)
def test_api_move(client, world, role):
    response = client_for(client, world, role).post(reverse("conference-move", args=[world.conference.pk]),
                                                    {"starts_at": local(12).isoformat(), "sequence": 0},
                                                    content_type="application/json")
    assert response.status_code == api_status(role, allowed=CONVENORS)
    world.conference.refresh_from_db()
    assert world.conference.sequence == (1 if role in CONVENORS else 0)


@pytest.mark.parametrize("role", ROLES)
def test_api_cancel(client, world, role):
    response = client_for(client, world, role).post(reverse("conference-cancel", args=[world.conference.pk]))
    assert response.status_code == api_status(role, allowed=CONVENORS)


def test_api_bad_input_answers_400_with_field_reasons(client, world, polling):
    client.force_login(world.counsellor)
    response = client.post(reverse("conference-vote", args=[polling.pk]), {"answers": {"1": "maybe"}},
                           content_type="application/json")
    assert response.status_code == 400 and "answers" in response.json()
    response = client.post(reverse("conference-vote", args=[polling.pk]),
                           {"answers": {str(polling.poll.slots.first().pk): "yes"}}, content_type="application/json")
    assert response.status_code == 400 and "answers" in response.json()
    assert not SlotVote.objects.exists()


# --- websocket ----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_live_poll_grid_socket(role):
    from asgiref.sync import sync_to_async
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    from config.routing import websocket_urlpatterns
    from tests.world import build_world

    world = await sync_to_async(build_world)()
    conference = await sync_to_async(convene)(world)
    user = user_for(world, role)
    application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    headers = []
    if user is not None:  # the browser's session cookie, read by the stack's session middleware
        from django.conf import settings

        from tests.websocket.sessions import sign_in

        client = await sync_to_async(sign_in)(user)
        headers = [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.session.session_key}".encode())]
    communicator = WebsocketCommunicator(application, f"/ws/conferences/{conference.pk}/poll/", headers=headers)
    connected, code = await communicator.connect(timeout=10)
    if role in TEAM:
        assert connected
        invitation = await sync_to_async(lambda: conference.invitations.get(user=world.counsellor))()
        await sync_to_async(services.poll_vote)(world.counsellor, invitation=invitation,
                                                answers=await sync_to_async(answer_all)(conference, "yes"))
        assert await communicator.receive_json_from(timeout=10) == {"type": "poll.changed"}
        await communicator.disconnect()
    else:
        assert not connected
        assert code == (4401 if role == "anonymous" else 4403)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
async def test_live_conference_page_socket(role):
    """``ws/conferences/<id>/``: the case team hears each answer (state and comment, as its page
    shows them); everyone else — the parent too, whose page has no invitation table — is refused."""
    from asgiref.sync import sync_to_async
    from channels.auth import AuthMiddlewareStack
    from channels.routing import URLRouter

    from config.routing import websocket_urlpatterns
    from tests.world import build_world

    world = await sync_to_async(build_world)()
    user = user_for(world, role)
    application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    headers = []
    if user is not None:
        from django.conf import settings

        from tests.websocket.sessions import sign_in

        client = await sync_to_async(sign_in)(user)
        headers = [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.session.session_key}".encode())]
    communicator = WebsocketCommunicator(application, f"/ws/conferences/{world.conference.pk}/", headers=headers)
    connected, code = await communicator.connect(timeout=10)
    if role in TEAM:
        assert connected
        await sync_to_async(services.invitation_rsvp)(world.counsellor, invitation=world.invitation_counsellor,
                                                      rsvp="tentative", comment="Etwas später")
        assert await communicator.receive_json_from(timeout=10) == {
            "type": "invitation.answered", "invitation": world.invitation_counsellor.pk, "rsvp": "tentative",
            "comment": "Etwas später", "required": True,
        }
        await communicator.disconnect()
    else:
        assert not connected
        assert code == (4401 if role == "anonymous" else 4403)
