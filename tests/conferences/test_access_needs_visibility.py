"""A conference's access needs may be health information. Its own note (the convenor's) is read by
the case team and the parents of the case on the conference page and in the API, a guest of the
conference (an explicit grant on that one conference) does not read it. The family members' own
needs stay on their records (review h9, H9-2): the team reads every invited member's, each parent
only her own; a note from before that could not be split among them is read by the team only."""
from __future__ import annotations

import html
import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from access import grant_services
from cases.models import CaseTeamMember, FamilyMember
from conferences import services
from conferences.models import Conference, Invitation
from privacy.models import ProcessingRestriction
from tests.conferences.helpers import local
from tests.world import make_professional, make_user

pytestmark = pytest.mark.django_db

NEEDS = "Rollstuhl; Methadon um 9 Uhr"


@pytest.fixture
def conference(world):
    world.conference.access_needs = NEEDS
    world.conference.save(update_fields=["access_needs"])
    return world.conference


@pytest.fixture
def guest(world, conference):
    guest = make_professional("dolmetscherin", world.early_help)
    grant_services.guest_invite(world.convenor, conference=conference, guest=guest, note="Dolmetscherin")
    return guest


def test_a_guest_reads_the_conference_page_without_the_family_access_needs(client, world, conference, guest):
    client.force_login(guest)
    response = client.get(reverse("conferences:conference_detail", args=[conference.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert conference.location in page  # she does read the conference
    assert "Methadon" not in page and "Access needs" not in page


@pytest.mark.parametrize("role", ["convenor", "counsellor", "parent"])
def test_the_team_and_the_parents_still_read_the_access_needs_on_the_page(client, world, conference, guest, role):
    client.force_login(getattr(world, role))
    page = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "Access needs" in page and NEEDS in page


def test_a_guest_gets_the_access_needs_empty_in_the_api(client, world, conference, guest):
    client.force_login(guest)
    detail = client.get(reverse("conference-detail", args=[conference.pk]))
    assert detail.status_code == 200
    assert detail.json()["access_needs"] == "" and detail.json()["location"] == conference.location
    rows = {row["id"]: row for row in client.get(reverse("conference-list")).json()["results"]}
    assert rows[conference.pk]["access_needs"] == ""
    assert "Methadon" not in detail.content.decode()


@pytest.mark.parametrize("role", ["convenor", "counsellor", "parent"])
def test_the_team_and_the_parents_still_get_the_access_needs_in_the_api(client, world, conference, guest, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("conference-detail", args=[conference.pk])).json()["access_needs"] == NEEDS
    rows = {row["id"]: row for row in client.get(reverse("conference-list")).json()["results"]}
    assert rows[conference.pk]["access_needs"] == NEEDS


# --- each family member's own needs (review h9, H9-2) -------------------------------------------

MOTHERS = "Rollstuhl, Aufzug"
FATHERS = "Methadonausgabe 8:30 Uhr, danach erst ab 10 Uhr"


@pytest.fixture
def family(world):
    """The mother (with an account) and the father (with one of his own) have needs on record; both
    are invited to a conference convened without a note of its own."""
    FamilyMember.objects.filter(pk=world.mother.pk).update(access_needs=MOTHERS)
    father_user = make_user("vater")
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         user=father_user, email="vater@example.org", access_needs=FATHERS)
    team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
    conference = services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP,
        invitees=[*(services.Invitee(team_member=m) for m in team), services.Invitee(family_member=world.mother),
                  services.Invitee(family_member=father)], slots=[local(10)])
    return conference, father_user


def _read(client, user, conference) -> tuple[str, dict]:
    client.force_login(user)
    page = html.unescape(client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode())
    return page, client.get(reverse("conference-detail", args=[conference.pk])).json()


def test_convening_copies_no_family_members_needs_into_the_conference(world, family):
    conference, _ = family
    conference.refresh_from_db()
    assert conference.access_needs == ""


@pytest.mark.parametrize("role", ["convenor", "counsellor"])
def test_the_team_reads_every_invited_family_members_needs(client, world, family, role):
    conference, _ = family
    page, api = _read(client, getattr(world, role), conference)
    assert MOTHERS in page and FATHERS in page
    assert {row["access_needs"] for row in api["family_access_needs"]} == {MOTHERS, FATHERS}
    assert api["access_needs"] == ""


def test_each_parent_reads_her_own_needs_only(client, world, family):
    conference, father_user = family
    page, api = _read(client, world.parent, conference)
    assert MOTHERS in page and "Methadon" not in page
    assert api["family_access_needs"] == [{"family_member": world.mother.pk, "name": str(world.mother), "access_needs": MOTHERS}]
    rows = {row["id"]: row for row in client.get(reverse("conference-list")).json()["results"]}
    assert "Methadon" not in str(rows[conference.pk])
    page, api = _read(client, father_user, conference)
    assert FATHERS in page and MOTHERS not in page
    assert [row["access_needs"] for row in api["family_access_needs"]] == [FATHERS]


def test_the_needs_of_a_family_member_whose_processing_is_restricted_are_read_by_her_alone(client, world, family):
    # Review h11, H11-2: Art. 18 keeps only her name and relation in the team's reads.
    conference, father_user = family
    ProcessingRestriction.objects.create(family_member=FamilyMember.objects.get(user=father_user),
                                         grounds="Art. 18: Richtigkeit bestritten", set_by=world.dpo)
    page, api = _read(client, world.counsellor, conference)
    assert MOTHERS in page and "Methadon" not in page
    assert [row["access_needs"] for row in api["family_access_needs"]] == [MOTHERS]
    page, api = _read(client, father_user, conference)
    assert FATHERS in page and [row["access_needs"] for row in api["family_access_needs"]] == [FATHERS]


def test_a_guest_reads_no_family_members_needs(client, world, family):
    conference, _ = family
    guest = make_professional("dolmetscherin", world.early_help)
    grant_services.guest_invite(world.convenor, conference=conference, guest=guest)
    page, api = _read(client, guest, conference)
    assert "Methadon" not in page and MOTHERS not in page and api["family_access_needs"] == []


def test_the_needs_of_a_family_member_no_longer_invited_are_not_shown(client, world, family):
    conference, father_user = family
    services.invitation_remove(world.convenor, invitation=conference.invitations.get(family_member__user=father_user))
    page, api = _read(client, world.convenor, conference)
    assert "Methadon" not in page and [row["access_needs"] for row in api["family_access_needs"]] == [MOTHERS]


def test_a_note_kept_for_the_team_is_not_read_by_the_parents(client, world, conference):
    Conference.objects.filter(pk=conference.pk).update(access_needs_team_only=True)
    page, api = _read(client, world.parent, conference)
    assert "Methadon" not in page and api["access_needs"] == ""
    page, api = _read(client, world.counsellor, conference)
    assert NEEDS in page and api["access_needs"] == NEEDS


def test_the_convening_form_proposes_no_family_members_needs_and_says_who_reads_the_note(client, world):
    FamilyMember.objects.filter(pk=world.mother.pk).update(access_needs=MOTHERS)
    client.force_login(world.convenor)
    page = html.unescape(client.get(reverse("conferences:conference_create", args=[world.case.pk])).content.decode())
    assert MOTHERS not in page
    assert "Everyone invited reads this note, the parents too." in page


def test_the_invitation_still_says_that_access_arrangements_were_noted(world, family, committed):
    conference, _ = family
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    message = next(m for m in mail.outbox if m.to == [world.counsellor.email])
    assert "Access arrangements have been noted" in message.body
    assert MOTHERS not in message.body and "Methadon" not in message.body


# --- the data migration -------------------------------------------------------------------------

def _migrate_existing(world, note: str, *, family: bool = True) -> Conference:
    conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.POLLING,
                                           access_needs=note)
    if family:
        Invitation.objects.create(conference=conference, family_member=world.mother)
        Invitation.objects.create(conference=conference, family_member=FamilyMember.objects.get(
            case=world.case, relation=FamilyMember.Relation.FATHER))
    migration = importlib.import_module("conferences.migrations.0016_access_needs_per_family_member")
    migration.split_access_needs(apps, None)
    conference.refresh_from_db()
    return conference


@pytest.fixture
def father_on_record(world):
    FamilyMember.objects.filter(pk=world.mother.pk).update(access_needs=MOTHERS)
    return FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                       access_needs=FATHERS)


def test_the_migration_empties_a_note_that_was_joined_from_the_records(world, father_on_record):
    conference = _migrate_existing(world, f"{MOTHERS}; {FATHERS}")
    assert (conference.access_needs, conference.access_needs_team_only) == ("", False)


def test_the_migration_keeps_a_note_it_cannot_split_for_the_team_only(world, father_on_record):
    conference = _migrate_existing(world, f"{FATHERS}; Gebärdensprache")
    assert (conference.access_needs, conference.access_needs_team_only) == (f"{FATHERS}; Gebärdensprache", True)


def test_the_migration_leaves_the_note_of_a_conference_without_the_family(world, father_on_record):
    conference = _migrate_existing(world, "Rampe am Seiteneingang", family=False)
    assert (conference.access_needs, conference.access_needs_team_only) == ("Rampe am Seiteneingang", False)
