"""Review h11 (2026-12-07): a fresh attacker's review of the paths that change who may read.

A probe asserts what SHOULD hold. A probe marked ``xfail(strict=True)`` is a finding that is not
mended yet: it fails today; its reason names the fault (H11-n). Plain tests are paths that were
probed and held, or findings mended since (H11-1 to H11-3: their probes now pass).
"""
from __future__ import annotations

import html

import pytest
from django.urls import reverse

from cases import policy as cases_policy
from cases.models import CaseTeamMember, FamilyMember
from conferences import services as conference_services
from conferences.models import Conference
from participants.models import Organisation
from privacy.models import ProcessingRestriction
from protocols import policy as protocols_policy
from tests.conferences.helpers import local

pytestmark = pytest.mark.django_db


# --- H11-1: an organisation moved to another network keeps the old network's cases --------------

def _admin_moves(client, world, organisation, network):
    client.force_login(world.admin)
    return client.post(reverse("admin:participants_organisation_change", args=[organisation.pk]), {
        "network": network.pk, "name": organisation.name, "kind": organisation.kind,
        "municipality": "", "email": "", "is_active": "on",
    })


def test_h11_1_an_organisation_moved_to_another_network_reads_nothing_of_the_old_networks_cases(world, client):
    assert cases_policy.cases_for_user(world.counsellor).filter(pk=world.case.pk).exists()  # the control
    _admin_moves(client, world, world.counselling, world.other_network)
    moved = Organisation.objects.get(pk=world.counselling.pk).network_id == world.other_network.pk
    client.force_login(world.counsellor)
    reads = {
        "policy": cases_policy.cases_for_user(world.counsellor).filter(pk=world.case.pk).exists(),
        "case page": client.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 200,
        "restricted item": protocols_policy.protocol_items_for_user(world.counsellor)
        .filter(pk=world.item_restricted.pk).exists(),
        "api": client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 200,
    }
    # Safe: either the move is refused while the organisation sits on case teams of its network,
    # or once it is in another network, its people read nothing of the old network's cases.
    assert not (moved and any(reads.values())), reads


# --- H11-2: Art. 18 leaves a restricted person's access needs (health data) in every read ---------

FATHERS_NEEDS = "Vater: Methadonausgabe 8:30 Uhr, danach erst ab 10 Uhr"


def test_h11_2_a_restricted_fathers_access_needs_leave_the_conference_page_and_api(world, client):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         email="vater@example.org", access_needs=FATHERS_NEEDS)
    team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP,
        invitees=[*(conference_services.Invitee(team_member=m) for m in team),
                  conference_services.Invitee(family_member=father)], slots=[local(10)])
    client.force_login(world.counsellor)

    def reads():
        page = html.unescape(client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode())
        api = client.get(f"/api/conferences/{conference.pk}/").json()
        return {"page": "Methadon" in page,
                "api": any("Methadon" in n["access_needs"] for n in api.get("family_access_needs") or [])}

    assert all(reads().values())  # the control: the team reads them before the restriction
    ProcessingRestriction.objects.create(family_member=father, grounds="Art. 18: Richtigkeit bestritten", set_by=world.dpo)
    # README: while restricted, only "her family-member entry (first name or initials, relation)"
    # stays visible to the team; her access needs are read for the named purpose at /restrictions/.
    assert not any(reads().values())


def test_h11_3_a_restricted_fathers_record_shows_only_name_and_relation(world, client):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         birth_year=1987)
    client.force_login(world.counsellor)

    def reads():
        page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
        api = client.get(f"/api/cases/{world.case.pk}/").json()
        entry = next(m for m in api["family"] if m["id"] == father.pk)
        return {"page": "1987" in page, "api": entry.get("birth_year") == 1987}

    assert all(reads().values())  # the control
    ProcessingRestriction.objects.create(family_member=father, grounds="Art. 18: Widerspruch", set_by=world.dpo)
    assert not any(reads().values())
