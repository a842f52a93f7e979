"""An action never falls to a parent in an item that carries an organisation's information she may
not read (restricted to named organisations, or widened after it was, to the team or to everyone but
entrusted by someone else): an action is part of its item, and its title and description would tell
her what the item says. The form and the service refuse her at the field, as they refuse a parent
who is not invited to the conference."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyMember, InformationCategory
from protocols import services
from protocols.models import AgreedAction, Audience, ProtocolItem

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=7)


def _widened(world, audience, entrusted_by):
    return ProtocolItem.objects.create(protocol=world.protocol, position=20, title="Erweitert", text="Anvertraut",
                                       audience=audience, holding_organisation=world.counselling, entrusted_by=entrusted_by,
                                       category=InformationCategory.PARENTING_CHILD_WELFARE, created_by=world.convenor)


def _refused(world, item) -> str:
    with pytest.raises(ValidationError) as refused:
        services.action_create(world.convenor, item=item, title="Zur Beratung gehen", due_on=DUE,
                               responsible_family_member=world.mother)
    assert not AgreedAction.objects.filter(title="Zur Beratung gehen").exists()
    return refused.value.message_dict["responsible"][0]


def test_a_parent_is_not_made_responsible_in_a_restricted_item(world):
    assert "may not read" in _refused(world, world.item_restricted)


def test_a_parent_is_not_made_responsible_in_an_item_widened_to_the_team(world):
    assert "may not read" in _refused(world, _widened(world, Audience.PROFESSIONALS, world.mother))


def test_a_parent_is_not_made_responsible_in_an_item_another_person_entrusted(world):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    assert "may not read" in _refused(world, _widened(world, Audience.EVERYONE, father))


def test_the_page_refuses_her_at_the_field(client, world):
    client.force_login(world.convenor)
    response = client.post(reverse("protocols:action_create", args=[world.item_restricted.pk]), {
        "title": "Zur Beratung gehen", "responsible": f"parent:{world.mother.pk}", "due_on": DUE.isoformat()})
    assert response.status_code == 400
    form = response.context["form"]
    assert "may not read" in form.errors["responsible"][0]
    assert not AgreedAction.objects.filter(title="Zur Beratung gehen").exists()


def test_she_is_responsible_in_an_item_she_reads_or_one_for_professionals_only(world):
    # what she entrusted herself, widened to everyone, she reads; an item for professionals that
    # carries no organisation's information keeps its actions for her (rule 3)
    for item in (_widened(world, Audience.EVERYONE, world.mother), world.item_professionals, world.item_everyone):
        action = services.action_create(world.convenor, item=item, title=f"Aufgabe {item.pk}", due_on=DUE,
                                        responsible_family_member=world.mother)
        assert action.responsible_family_member_id == world.mother.pk
