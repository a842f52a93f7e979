"""Issue 13: a list answers with the same few statements at a page of 10, 100 or 1,000 rows (the
page size is capped at 500): nothing is read per row, and count and page are one statement."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from protocols.models import AgreedAction, Audience, ProtocolItem

pytestmark = pytest.mark.django_db

ROWS = 1_000
# endpoint -> (who asks, most statements of the whole request: session with its user (1,
# permissions.session_store), count and page in one (1), prefetches, legal bases of the rows for
# the audit, and the audit record (2: chain head, event; the head follows in the database))
ENDPOINTS = {
    "/api/protocol-items/": ("counsellor", 8),   # + 3 prefetches, 1 for the bases (organisations, consents, recorded bases)
    "/api/actions/": ("counsellor", 5),           # + 1 for the bases and which items she may read (one UNION ALL)
    "/api/actions/?mine=1": ("counsellor", 5),
    "/api/cases/": ("convenor", 5),                # + 1 for the basis (team or family) of each case
}


def many_rows(world) -> None:
    """1,000 items restricted to counselling under the mother's consent, one action each."""
    today = timezone.localdate()
    items = ProtocolItem.objects.bulk_create([
        ProtocolItem(protocol=world.protocol, position=100 + i, title=f"Punkt {i}", audience=Audience.RESTRICTED,
                     holding_organisation=world.youth_welfare, entrusted_by=world.mother,
                     category=world.item_restricted.category, created_by=world.convenor)
        for i in range(ROWS)])
    ProtocolItem.restricted_to.through.objects.bulk_create([
        ProtocolItem.restricted_to.through(protocolitem_id=item.pk, organisation_id=world.counselling.pk) for item in items])
    AgreedAction.objects.bulk_create([
        AgreedAction(case=world.case, item=item, title=f"Aufgabe {i}", responsible_organisation=world.counselling,
                     due_on=today + dt.timedelta(days=i % 300)) for i, item in enumerate(items)])


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_list_costs_the_same_statements_at_page_sizes_10_100_and_1000(world, client, django_assert_max_num_queries, url):
    who, most = ENDPOINTS[url]
    many_rows(world)
    client.force_login(getattr(world, who))
    client.get(url)  # per-process caches (content types) are warm in a running server
    join = "&" if "?" in url else "?"
    counts, rows = {}, {}
    for limit in (10, 100, 1000):
        with django_assert_max_num_queries(most) as ctx:
            response = client.get(f"{url}{join}limit={limit}")
        assert response.status_code == 200
        counts[limit], rows[limit] = len(ctx), len(response.json()["results"])
    assert counts[10] == counts[100] == counts[1000], f"{url}: statements by page size {counts} (rows {rows})"
    if url.startswith(("/api/protocol-items/", "/api/actions/")):
        assert rows[10] == 10 and rows[100] == 100 and rows[1000] == 500  # a full page each time, capped at 500
