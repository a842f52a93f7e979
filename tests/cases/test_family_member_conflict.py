"""Two caseworkers correcting the same family member at once: the second save, based on the
version both started from, is refused instead of silently reverting the first one's change."""
from __future__ import annotations

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.models import FamilyMember
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from tests.access_offers import account_by_link

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"


def _form(member: FamilyMember, **changes) -> dict:
    data = {"relation": member.relation, "display_name": member.display_name, "email": member.email,
            "birth_year": member.birth_year or "", "due_date": member.due_date.isoformat() if member.due_date else "",
            "version": member.version}
    return {**data, **changes}


def test_the_edit_page_carries_the_version_it_started_from(world, client):
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_family_edit", args=[world.case.pk, world.mother.pk])).content.decode()
    assert f'name="version" value="{world.mother.version}"' in page


def test_a_second_correction_from_the_same_version_is_refused_and_changes_nothing(world):
    started = FamilyMember.objects.get(pk=world.mother.pk).version
    case_services.family_member_update(world.convenor, member=world.mother, version=started, display_name="Maria")
    with pytest.raises(EditConflict) as refused:
        case_services.family_member_update(world.lead_colleague, member=world.mother, version=started,
                                           display_name="M.", email="other@example.org")
    stored = FamilyMember.objects.get(pk=world.mother.pk)
    assert (stored.display_name, stored.email, stored.version) == ("Maria", "parent@example.org", started + 1)
    assert refused.value.current.display_name == "Maria"
    assert AuditEvent.objects.filter(action="family_member.update").count() == 1


def test_the_page_keeps_her_input_beside_the_current_record_and_answers_409(world, client):
    url = reverse("cases:case_family_edit", args=[world.case.pk, world.mother.pk])
    started = _form(world.mother)
    client.force_login(world.convenor)
    assert client.post(url, {**started, "display_name": "Maria"}).status_code == 302

    client.force_login(world.lead_colleague)
    response = client.post(url, {**started, "email": "neu@example.org"})
    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    assert 'value="neu@example.org"' in page  # her input is still in the form
    assert "<dd>Maria</dd>" in page  # the record as it is now, beside it
    stored = FamilyMember.objects.get(pk=world.mother.pk)
    assert (stored.display_name, stored.email) == ("Maria", "parent@example.org")
    assert f'name="version" value="{stored.version}"' in page

    # Having seen the current record, she saves again on purpose, now on its version.
    again = client.post(url, {**_form(stored), "email": "neu@example.org"})
    assert again.status_code == 302
    stored = FamilyMember.objects.get(pk=world.mother.pk)
    assert (stored.display_name, stored.email) == ("Maria", "neu@example.org")


def test_german_tells_her_formally(world, client):
    url = reverse("cases:case_family_edit", args=[world.case.pk, world.mother.pk])
    started = _form(world.mother)
    case_services.family_member_update(world.convenor, member=world.mother, version=started["version"], display_name="Maria")
    client.force_login(world.lead_colleague)
    page = client.post(url, {**started, "email": "neu@example.org"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Jemand anderes hat dies inzwischen geändert" in page and "Ihre Änderungen" in page


def test_an_account_linked_to_the_parent_raises_the_version(world):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         email="vater@example.org")
    started = father.version  # a correction opened before he used his set-up link
    account_by_link(world.convenor, father)
    with pytest.raises(EditConflict):
        case_services.family_member_update(world.lead_colleague, member=father, version=started,
                                           relation=FamilyMember.Relation.OTHER_RELATIVE)
