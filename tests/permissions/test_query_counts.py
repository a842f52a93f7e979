"""Every policy selector costs the same number of queries for 10 and for 200 objects."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import policy as cases_policy
from cases.consent_selectors import consents_for_user
from cases.models import Consent, ConsentScope
from access import selectors
from conferences import policy as conferences_policy
from permissions import audit
from protocols import policy as protocols_policy
from protocols.models import AgreedAction, Audience, ProtocolItem

pytestmark = pytest.mark.django_db

SELECTORS = {
    "cases": lambda w: cases_policy.cases_for_user(w.convenor),
    "conferences": lambda w: conferences_policy.conferences_for_user(w.parent),
    "items (counsellor, consent-bound)": lambda w: protocols_policy.protocol_items_for_user(w.counsellor),
    "actions": lambda w: protocols_policy.actions_for_user(w.counsellor),
    "responsible actions": lambda w: protocols_policy.responsible_actions_for_user(w.counsellor),
    "consents": lambda w: consents_for_user(w.convenor),
    "audit log": lambda w: selectors.audit_log_for_user(w.dpo),
}


def grow(world, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        item = ProtocolItem.objects.create(
            protocol=world.protocol, position=100 + i, title=f"P{i}", audience=Audience.RESTRICTED,
            holding_organisation=world.youth_welfare, entrusted_by=world.mother,
            category=world.item_restricted.category, created_by=world.convenor)
        item.restricted_to.set([world.counselling])
        AgreedAction.objects.create(case=world.case, item=item, title=f"A{i}", responsible_organisation=world.counselling,
                                    due_on=today + dt.timedelta(days=i))
        consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.youth_welfare,
                                         valid_from=today, valid_until=today + dt.timedelta(days=30), recorded_by=world.convenor)
        consent.to_organisations.set([world.counselling])
        ConsentScope.objects.create(consent=consent, category="finances_housing")
        audit.record(world.convenor, action="case.read", obj=world.case, case_id=world.case.pk)


def queries(world, name: str) -> tuple[int, int]:
    list(SELECTORS[name](world))  # warm caches (guardian caches content types and permissions)
    with CaptureQueriesContext(connection) as ctx:
        rows = list(SELECTORS[name](world))
        for row in rows:  # touching prefetched relations must not query per row
            if hasattr(row, "_prefetched_objects_cache"):
                [list(v) for v in row._prefetched_objects_cache.values()]
    return len(ctx), len(rows)


@pytest.mark.parametrize("name", SELECTORS)
def test_query_count_is_constant_between_10_and_200_objects(world, name):
    grow(world, 10)
    small, small_rows = queries(world, name)
    grow(world, 190)
    large, large_rows = queries(world, name)
    assert large == small, f"{name}: {small} queries for {small_rows} rows, {large} for {large_rows}"
    assert large_rows >= small_rows
