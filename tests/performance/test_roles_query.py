"""The navigation's roles cost one statement per request, whoever asks and however many
organisations, networks and cases they belong to."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from participants.context_processors import roles
from cases.models import FamilyMember
from participants.models import Membership, NetworkRole, Organisation, User

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # no roles cached on the object yet


def context_statements(user) -> tuple[int, object]:
    request = RequestFactory().get("/")
    request.user = fresh(user)
    with CaptureQueriesContext(connection) as ctx:
        context = roles(request)
        roles(request)  # a second use in the same request reads nothing
    return len(ctx), context["roles"]


@pytest.mark.parametrize("who", ["convenor", "counsellor", "parent", "board_member", "coordinator", "dpo", "outsider"])
def test_the_roles_context_costs_one_statement_for_every_role(world, who):
    count, _ = context_statements(getattr(world, who))
    assert count == 1


def test_the_roles_context_stays_one_statement_for_someone_with_many_memberships_and_roles(world):
    user = world.convenor
    for i in range(15):
        organisation = Organisation.objects.create(network=world.network, name=f"Org {i}", kind=world.counselling.kind)
        Membership.objects.create(user=user, organisation=organisation, role="counsellor")
    FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.FATHER, display_name="V.", user=user)
    NetworkRole.objects.create(user=user, network=world.network, role=NetworkRole.Role.DATA_PROTECTION_OFFICER)
    NetworkRole.objects.create(user=user, network=world.other_network, role=NetworkRole.Role.COORDINATOR)
    count, found = context_statements(user)
    assert count == 1
    assert found.is_professional and found.is_caseworker and found.is_parent and found.is_dpo
    assert found.is_coordinator and not found.is_board_member


def test_roles_read_in_one_statement_say_the_same_as_before(world):
    _, convenor = context_statements(world.convenor)
    _, parent = context_statements(world.parent)
    _, board = context_statements(world.board_member)
    _, dpo = context_statements(world.dpo)
    assert convenor.is_professional and convenor.is_caseworker and not convenor.is_parent
    assert parent.is_parent and not parent.is_professional
    assert board.is_board_member and not board.is_coordinator
    assert dpo.is_dpo and not dpo.is_professional


@pytest.mark.parametrize("url", ["/", "/cases/", "/actions/", "/calendar/"])
def test_an_html_page_asks_for_the_roles_once(world, client, url):
    client.force_login(world.convenor)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, follow=True)
    assert response.status_code == 200
    roles_reads = [q for q in ctx.captured_queries if "participants_networkrole" in q["sql"] and "UNION" in q["sql"]]
    assert len(roles_reads) == 1
