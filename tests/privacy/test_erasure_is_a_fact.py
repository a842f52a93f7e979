"""Art. 17: a granted erasure is a recorded fact of the family member's record (``erased_at``),
not only the marker in her name. A correction cannot undo it, her account no longer stands for
her record (and loses what the link gave), and she is not invited again. What the law keeps
(the audit trail) stays."""
from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from cases import services as case_services
from cases.models import ERASED_MARK, CaseTeamMember, FamilyMember
from conferences import services as conference_services
from conferences.models import Conference
from permissions.models import AuditEvent
from privacy import services
from privacy.models import DataSubjectRequest
from tests.conferences.helpers import local

pytestmark = pytest.mark.django_db

REFUSED = "This person's data were erased (Art. 17 GDPR): her record can no longer be corrected."
NOT_INVITED = "This person's data were erased (Art. 17 GDPR): she cannot be invited any more."


def _erase(world, member: FamilyMember) -> FamilyMember:
    request = services.request_record(world.dpo, case=world.case, family_member=member,
                                      kind=DataSubjectRequest.Kind.ERASURE, received_on=timezone.localdate(),
                                      identity_check="document")
    services.request_close(world.dpo, request=request, outcome="granted")
    member.refresh_from_db()
    return member


def _correction(member: FamilyMember, **changes) -> dict:
    return {"relation": member.relation, "display_name": "Sarah", "email": "sarah@example.org", "language": "",
            "interpreter_language": "", "access_needs": "Rollstuhl", "version": member.version, **changes}


# --- the fact ------------------------------------------------------------------------------------

def test_a_granted_erasure_records_when_and_keeps_the_marker_shown_in_the_readers_language(world, client):
    before = timezone.now()
    mother = _erase(world, world.mother)
    assert mother.erased_at is not None and mother.erased_at >= before and mother.is_erased
    assert mother.display_name == ERASED_MARK
    client.force_login(world.convenor)
    client.cookies["django_language"] = "de"
    assert "[gelöscht]" in client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()


def test_the_data_migration_records_the_erasures_made_before_it_from_the_audit_trail(world):
    mother = _erase(world, world.mother)
    closed_at = AuditEvent.objects.get(action="dsr.close").at
    FamilyMember.objects.filter(pk=mother.pk).update(erased_at=None)  # as before the migration
    untouched = world.expected_child.erased_at
    migration = importlib.import_module("cases.migrations.0005_familymember_erased_at")
    migration._set_erased_at(django_apps, None)
    mother.refresh_from_db()
    world.expected_child.refresh_from_db()
    assert mother.erased_at == closed_at and mother.is_erased
    assert world.expected_child.erased_at == untouched is None


# --- no correction undoes it ----------------------------------------------------------------------

def test_the_correction_service_refuses_an_erased_record_and_nothing_changes(world):
    mother = _erase(world, world.mother)
    values = _correction(mother)
    version = values.pop("version")
    with pytest.raises(ValidationError) as refused:
        case_services.family_member_update(world.convenor, member=mother, version=version, **values)
    assert refused.value.messages == [REFUSED]
    after = FamilyMember.objects.get(pk=mother.pk)
    assert (after.display_name, after.email, after.access_needs, after.version, after.is_erased) == (
        ERASED_MARK, "", "", mother.version, True)
    assert not AuditEvent.objects.filter(action="family_member.update").exists()


def test_the_correction_page_says_so_offers_no_form_and_a_post_changes_nothing(world, client):
    mother = _erase(world, world.mother)
    client.force_login(world.convenor)
    url = reverse("cases:case_family_edit", args=[world.case.pk, mother.pk])
    page = client.get(url).content.decode()
    assert REFUSED in page.replace("&#x27;", "'") and 'name="display_name"' not in page
    response = client.post(url, _correction(mother))
    assert response.status_code == 400 and REFUSED in response.content.decode().replace("&#x27;", "'")
    assert FamilyMember.objects.get(pk=mother.pk).display_name == ERASED_MARK
    case_page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert url not in case_page


# --- her account lets go of the record --------------------------------------------------------------

def test_her_account_is_unlinked_and_loses_the_case_on_every_page_and_in_the_api(world, client):
    client.force_login(world.parent)
    urls = [reverse("cases:case_detail", args=[world.case.pk]),
            reverse("conferences:conference_detail", args=[world.conference.pk]),
            reverse("protocols:protocol_detail", args=[world.protocol.pk])]
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    assert world.case.reference in client.get(reverse("dashboard")).content.decode()
    events_before = AuditEvent.objects.count()

    mother = _erase(world, world.mother)

    assert mother.user_id is None
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    assert world.case.reference not in client.get(reverse("dashboard")).content.decode()
    assert client.get(f"/api/cases/{world.case.pk}/").status_code == 404
    assert world.action_parent.pk not in [row["id"] for row in client.get("/api/actions/").json()["results"]]
    unlink = AuditEvent.objects.get(action="family_member.unlink")
    assert unlink.detail["user"] == world.parent.pk and unlink.object_id == str(mother.pk)
    assert AuditEvent.objects.count() > events_before  # nothing of the trail went


def test_her_feed_token_that_served_only_her_record_is_revoked(world, client):
    token, raw = calendar_services.feed_token_create(world.parent)
    assert client.get(reverse("calendars:feed", args=[raw])).status_code == 200
    _erase(world, world.mother)
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get(reverse("calendars:feed", args=[raw])).status_code == 404
    revoke = AuditEvent.objects.get(action="feed_token.revoke")
    assert revoke.detail["reason"] == "erased" and revoke.actor == world.dpo


def test_a_feed_token_that_still_serves_her_record_in_another_case_stays_without_the_erased_cases_entries(world, client):
    FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="S.",
                                user=world.parent)
    token, raw = calendar_services.feed_token_create(world.parent)
    uid = f"conference-{world.conference.pk}@".encode()
    assert uid in client.get(reverse("calendars:feed", args=[raw])).content
    _erase(world, world.mother)
    token.refresh_from_db()
    assert token.revoked_at is None and FeedToken.objects.filter(user=world.parent, revoked_at=None).exists()
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert response.status_code == 200 and uid not in response.content


# --- she is not invited again ----------------------------------------------------------------------

def _team_invitees(world) -> list[conference_services.Invitee]:
    return [conference_services.Invitee(team_member=m) for m in CaseTeamMember.objects.filter(case=world.case, removed_at=None)]


def test_a_new_conference_refuses_her_at_the_invitees_field(world, client):
    mother = _erase(world, world.mother)
    with pytest.raises(ValidationError) as refused:
        conference_services.conference_create(
            world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(10)],
            invitees=[*_team_invitees(world), conference_services.Invitee(family_member=mother)])
    assert refused.value.message_dict == {"invitees": [NOT_INVITED]}
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_create", args=[world.case.pk])).content.decode()
    assert f'name="family_{mother.pk}"' not in page


def test_adding_her_to_a_conference_is_refused_in_service_page_and_api(world, client):
    conference = conference_services.conference_create(world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP,
                                                       slots=[local(10)], invitees=_team_invitees(world))
    mother = _erase(world, world.mother)
    with pytest.raises(ValidationError) as refused:
        conference_services.invitation_add(world.convenor, conference=conference, family_member=mother)
    assert refused.value.message_dict == {"invitee": [NOT_INVITED]}
    client.force_login(world.convenor)
    url = reverse("conferences:invitation_add", args=[conference.pk])
    assert f"family_{mother.pk}" not in client.get(url).content.decode()
    assert client.post(url, {"invitee": f"family_{mother.pk}", "required": "required"}).status_code == 400
    api = client.post(reverse("conference-invite", args=[conference.pk]), {"family_member": mother.pk},
                      content_type="application/json")
    assert api.status_code == 400 and api.json() == {"invitee": [NOT_INVITED]}
    assert not conference.invitations.filter(family_member=mother).exists()
