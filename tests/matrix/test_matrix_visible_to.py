"""``Model.objects.visible_to(user)`` answers every cell of the policy matrix as the policy does."""
from __future__ import annotations

import pytest

from cases.models import Case, Consent
from conferences.models import Conference
from permissions import audit
from protocols.models import AgreedAction, Protocol, ProtocolItem
from board.models import HalfYearSummary
from tests.matrix.roles import ROLES, user_for
from tests.matrix.test_matrix_policy import EXPECTED

URL_NAMES: set[str] = set()

# column -> (model, world attribute of the object)
COLUMNS = {
    "case": (Case, "case"), "conference": (Conference, "conference"), "protocol": (Protocol, "protocol"),
    "item_everyone": (ProtocolItem, "item_everyone"), "item_professionals": (ProtocolItem, "item_professionals"),
    "item_restricted": (ProtocolItem, "item_restricted"), "action_counselling": (AgreedAction, "action_counselling"),
    "action_parent": (AgreedAction, "action_parent"), "consent": (Consent, "consent"), "summary": (HalfYearSummary, "summary"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_visible_to_cells(world, role):
    audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk)
    user = user_for(world, role)
    wrong = []
    for column, (model, attribute) in COLUMNS.items():
        obj = getattr(world, attribute)
        if model.objects.visible_to(user).filter(pk=obj.pk).exists() != EXPECTED[(role, column)]:
            wrong.append(column)
    assert not wrong, f"{role}: visible_to disagrees on " + ", ".join(wrong)
