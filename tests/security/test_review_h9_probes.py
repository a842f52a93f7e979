"""Review h9 (2026-12-07): a fresh attacker's review of the paths that change who may read
something, across channels (page, REST API, live channel, iCal feeds, mail, links), looking for
places where two channels, or two layers, answer "who may read this" differently.

A probe asserts what SHOULD hold. A probe marked ``xfail(strict=True)`` is a finding that is not
mended yet: it fails today; its reason names the fault (H9-n). Plain tests are paths that were
probed and held.
"""
from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from cases import services as case_services
from cases.models import CaseTeamMember, FamilyMember
from conferences import services as conference_services
from conferences.models import Conference, Invitation
from participants import admin_services
from participants.models import Membership
from protocols import services as protocol_services
from protocols.models import Acknowledgement, AgreedAction, Protocol
from tests.conferences.helpers import convene, local, uninvite_mother, without_account
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

FATHERS_NEEDS = "Vater: Methadonausgabe 8:30 Uhr, danach erst ab 10 Uhr"


# --- H9-1: a parent uninvited from a conference still reads its items through the API -----------

def _uninvite_the_mother(world) -> None:
    """The convenor withdraws the mother's invitation: the conference is to be held without the
    parents (``invitation_remove``: "a parent's view hangs on her invitation")."""
    uninvite_mother(world)


def test_h9_held_the_uninvited_parent_opens_neither_the_conference_nor_its_protocol_page(world, client):
    _uninvite_the_mother(world)
    client.force_login(world.parent)
    assert client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).status_code == 404
    assert client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).status_code == 404
    assert client.get(f"/api/protocols/{world.protocol.pk}/").status_code == 404


def test_h9_1_the_uninvited_parent_reads_none_of_its_items_or_actions_through_the_api(world, client):
    _uninvite_the_mother(world)
    client.force_login(world.parent)
    items = client.get(f"/api/protocol-items/?protocol={world.protocol.pk}").json()
    single = client.get(f"/api/protocol-items/{world.item_everyone.pk}/")
    actions = client.get("/api/actions/").json()
    assert (items["count"], single.status_code) == (0, 404)
    assert world.action_parent.pk not in [a["id"] for a in actions["results"]]


def test_h9_1_the_uninvited_parents_agreements_page_lists_nothing_of_that_conference(world, client):
    AgreedAction.objects.create(case=world.case, item=world.item_everyone, title="Entzugsplatz Klinik anfragen",
                                responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                due_on=timezone.localdate() + dt.timedelta(days=5))
    _uninvite_the_mother(world)
    client.force_login(world.parent)
    page = html.unescape(client.get(reverse("protocols:my_agreements")).content.decode())
    assert "Entzugsplatz" not in page


def test_h9_1_a_parent_never_invited_to_a_second_conference_reads_none_of_it_either(world, client):
    """The same hole, seen from a conference held without the parents from the start (its
    protocol's items written for everyone of the meeting): recorded as a plain probe of the
    page (held), the API half is H9-1."""
    now = timezone.now()
    second = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.HELD,
                                       starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=2))
    Invitation.objects.create(conference=second, user=world.convenor, organisation=world.youth_welfare)
    protocol = Protocol.objects.create(conference=second, minute_taker=world.convenor)
    client.force_login(world.parent)
    assert client.get(reverse("protocols:protocol_detail", args=[protocol.pk])).status_code == 404


# --- H9-2: one parent reads the other parent's access needs (health data) -----------------------

@pytest.fixture
def father(world):
    return FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                       email="vater@example.org", access_needs=FATHERS_NEEDS)


def test_h9_2_the_mother_does_not_read_the_fathers_access_needs(world, client, father):
    team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP,
        invitees=[*(conference_services.Invitee(team_member=m) for m in team),
                  conference_services.Invitee(family_member=world.mother), conference_services.Invitee(family_member=father)],
        slots=[local(10)])
    client.force_login(world.parent)
    page = html.unescape(client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode())
    api = client.get(f"/api/conferences/{conference.pk}/").json()
    assert ("Methadon" in page, "Methadon" in (api.get("access_needs") or "")) == (False, False)


def test_h9_held_a_guest_of_the_conference_does_not_read_the_access_needs(world, client, father):
    team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP,
        invitees=[*(conference_services.Invitee(team_member=m) for m in team),
                  conference_services.Invitee(family_member=father)], slots=[local(10)])
    grant_services.guest_invite(world.convenor, conference=conference, guest=world.outsider)
    client.force_login(world.outsider)
    page = client.get(reverse("conferences:conference_detail", args=[conference.pk]))
    assert page.status_code == 200 and "Methadon" not in html.unescape(page.content.decode())


# --- H9-3: a poll link mailed to a wrong address keeps working after the address is corrected ---

def test_h9_3_correcting_her_address_ends_the_poll_link_mailed_to_the_old_one(world):
    member = without_account(world.mother)
    FamilyMember.objects.filter(pk=member.pk).update(email="falsch@example.org")
    member.refresh_from_db()
    conference = convene(world)
    invitation = conference.invitations.get(family_member=member)
    _link, raw = conference_services.poll_link_create(world.convenor, invitation=invitation)
    case_services.family_member_update(world.convenor, member=member, version=member.version,
                                       email="richtig@example.org")
    assert conference_services.poll_link_resolve(raw) is None


def test_h9_held_withdrawing_the_invitation_ends_the_poll_link(world):
    member = without_account(world.mother)
    conference = convene(world)
    invitation = conference.invitations.get(family_member=member)
    _link, raw = conference_services.poll_link_create(world.convenor, invitation=invitation)
    conference_services.invitation_remove(world.convenor, invitation=invitation)
    assert conference_services.poll_link_resolve(raw) is None


# --- H9-4: a lead caseworker who left the lead organisation still lists who read the minutes ----

def test_h9_4_a_lead_caseworker_who_left_the_lead_organisation_lists_no_ones_acknowledgements(world, client):
    hold_conference(world.conference)
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.FINAL, finalised_at=timezone.now())
    Acknowledgement.objects.create(protocol=world.protocol, user=world.counsellor)
    # she moves from youth welfare to the midwifery practice and stays on the team for it
    admin_services.membership_end(world.admin, membership=Membership.objects.get(user=world.convenor,
                                                                                   organisation=world.youth_welfare))
    Membership.objects.filter(user=world.convenor, organisation=world.youth_welfare).update(is_active=False)
    Membership.objects.create(user=world.convenor, organisation=world.midwifery, role="midwife")
    case_services.case_team_member_add(world.lead_colleague, case=world.case, organisation=world.midwifery,
                                       user=world.convenor)
    client.force_login(world.convenor)
    assert client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).status_code == 200
    listed = client.get("/api/acknowledgements/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r for r in rows if r["user"] != str(world.convenor)] == []
