"""The policy matrix: every role x every kind of object of the world, through the selector/policy
layer, against a written-out table. Y = may see, . = may not.

The policy is the one source of truth; explicit grants (substitute, guest, minute-taker) are
rows in ROLES that hold such a grant, decided by the same filters.
"""
from __future__ import annotations

import pytest

from board import policy as board_policy
from cases import policy as cases_policy
from conferences import policy as conferences_policy
from participants import policy as participants_policy
from permissions import audit
from protocols import policy as protocols_policy
from tests.matrix.roles import ROLES, user_for

URL_NAMES = {"dashboard", "accessibility"}

KINDS = ["case", "family_member", "conference", "invitation", "protocol", "item_everyone", "item_professionals",
         "item_restricted", "action_counselling", "action_parent", "consent", "audit_event", "family_audit_event", "summary"]

#                         case fm conf inv prot i_ev i_pro i_res a_co a_pa cons audit faud summ
EXPECTED_TABLE = """
convenor                   Y   Y   Y    Y   Y    Y    Y     Y     Y    Y    Y    .     .    .
lead_colleague             Y   Y   Y    Y   Y    Y    Y     Y     Y    Y    Y    .     .    .
counsellor                 Y   Y   Y    Y   Y    Y    Y     Y     Y    Y    Y    .     .    .
midwife                    Y   Y   Y    Y   Y    Y    Y     .     Y    Y    Y    .     .    .
outsider                   .   .   .    .   .    .    .     .     .    .    .    .     .    .
foreign_professional       .   .   .    .   .    .    .     .     .    .    .    .     .    .
parent                     Y   Y   Y    Y   Y    Y    .     .     .    Y    Y    .     Y    .
other_parent               .   .   .    .   .    .    .     .     .    .    .    .     .    .
board_member               .   .   .    .   .    .    .     .     .    .    .    .     .    Y
coordinator                .   .   .    .   .    .    .     .     .    .    .    .     .    Y
dpo                        .   .   .    .   .    .    .     .     .    .    .    Y     .    .
admin                      .   .   .    .   .    .    .     .     .    .    .    .     .    .
anonymous                  .   .   .    .   .    .    .     .     .    .    .    .     .    .
"""


def expected() -> dict[tuple[str, str], bool]:
    table = {}
    for line in EXPECTED_TABLE.strip().splitlines():
        role, *cells = line.split()
        assert len(cells) == len(KINDS), role
        table.update({(role, kind): cell == "Y" for kind, cell in zip(KINDS, cells)})
    assert {r for r, _ in table} == set(ROLES)
    return table


EXPECTED = expected()

def visible_by_policy(world, user, kind: str) -> bool:
    w = world
    checks = {
        "case": lambda: cases_policy.cases_for_user(user).filter(pk=w.case.pk),
        "family_member": lambda: cases_policy.cases_for_user(user).filter(pk=w.mother.case_id),
        "conference": lambda: conferences_policy.conferences_for_user(user).filter(pk=w.conference.pk),
        "invitation": lambda: conferences_policy.conferences_for_user(user).filter(pk=w.invitation_counsellor.conference_id),
        "protocol": lambda: conferences_policy.conferences_for_user(user).filter(pk=w.protocol.conference_id),
        "item_everyone": lambda: protocols_policy.protocol_items_for_user(user).filter(pk=w.item_everyone.pk),
        "item_professionals": lambda: protocols_policy.protocol_items_for_user(user).filter(pk=w.item_professionals.pk),
        "item_restricted": lambda: protocols_policy.protocol_items_for_user(user).filter(pk=w.item_restricted.pk),
        "action_counselling": lambda: protocols_policy.actions_for_user(user).filter(pk=w.action_counselling.pk),
        "action_parent": lambda: protocols_policy.actions_for_user(user).filter(pk=w.action_parent.pk),
        "consent": lambda: cases_policy.consents_for_user(user).filter(pk=w.consent.pk),
        "audit_event": lambda: participants_policy.audit_events_for_user(user).filter(pk=w.matrix_audit_event.pk),
        "family_audit_event": lambda: cases_policy.family_audit_events_for_user(user).filter(pk=w.matrix_audit_event.pk),
        "summary": lambda: board_policy.summaries_for_user(user).filter(pk=w.summary.pk),
    }
    return checks[kind]().exists()


@pytest.fixture
def matrix_world(world):
    world.matrix_audit_event = audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk)
    return world


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_policy_cells(matrix_world, role):
    user = user_for(matrix_world, role)
    wrong = []
    for kind in KINDS:
        want = EXPECTED[(role, kind)]
        if visible_by_policy(matrix_world, user, kind) != want:
            wrong.append(f"policy {kind}: expected {'allowed' if want else 'denied'}")
    assert not wrong, f"{role}: " + "; ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_dashboard_and_accessibility_pages(world, client, role):
    from tests.matrix.roles import client_for

    c = client_for(client, world, role)
    assert c.get("/accessibility/").status_code == 200
    response = c.get("/")
    assert response.status_code == (302 if role == "anonymous" else 200)
