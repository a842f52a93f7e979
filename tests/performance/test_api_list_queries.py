"""Every list endpoint of the API answers with the same, small number of SQL statements
whether the page holds a few rows or a hundred: nothing is read per row."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conferences.models import Conference, Invitation
from cases.models import Case, CaseTeamMember, Consent, ConsentScope
from protocols.models import Acknowledgement, AgreedAction, Amendment, Audience, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db

# endpoint -> (who asks, most statements the page itself may run). Not counted: the session with
# its user (1, every request) and the audit record of the listed rows (2: chain head, event).
ENDPOINTS = {
    "/api/protocol-items/": ("counsellor", 2),   # count, page with organisations, amendments and actions; the bases
    "/api/actions/": ("counsellor", 2),          # count and page, 1 for the bases and readable items
    "/api/actions/?mine=1": ("counsellor", 2),
    "/api/cases/": ("convenor", 5),
    "/api/conferences/": ("convenor", 4),
    "/api/protocols/": ("convenor", 3),
    "/api/amendments/": ("counsellor", 6),
    "/api/acknowledgements/": ("convenor", 3),
    "/api/consents/": ("convenor", 5),
}
FIXED = ("django_session", "permissions_auditchainhead", "permissions_auditevent")
# endpoint -> every statement of the whole request (session with user, the page's own, the audit),
# pinned exactly, the same on SQLite and PostgreSQL, for a few rows and for many (issue 13). A
# change here is a change of what one list request costs: say why in the commit.
TOTAL = {
    "/api/protocol-items/": 5,
    "/api/actions/": 5,
    "/api/actions/?mine=1": 5,
    "/api/cases/": 5,
    "/api/conferences/": 7,        # the invited family members' access needs, one statement (review h9, H9-2)
    "/api/protocols/": 5,
    "/api/amendments/": 5,
    "/api/acknowledgements/": 5,
    "/api/consents/": 7,
}


def grow(world, n: int) -> None:
    """``n`` more items (restricted to counselling by consent), actions, amendments, consents and
    conferences with protocols, all on the world's case."""
    today = timezone.localdate()
    for i in range(n):
        item = ProtocolItem.objects.create(
            protocol=world.protocol, position=100 + ProtocolItem.objects.count(), title=f"P{i}", audience=Audience.RESTRICTED,
            holding_organisation=world.youth_welfare, entrusted_by=world.mother,
            category=world.item_restricted.category, created_by=world.convenor)
        item.restricted_to.set([world.counselling])
        AgreedAction.objects.create(case=world.case, item=item, title=f"A{i}", responsible_organisation=world.counselling,
                                    responsible_user=world.counsellor, due_on=today + dt.timedelta(days=i))
        Amendment.objects.create(item=item, author=world.convenor, text="Ergänzung", reason="Nachtrag")
        consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.youth_welfare,
                                         valid_from=today, valid_until=today + dt.timedelta(days=30), recorded_by=world.convenor)
        consent.to_organisations.set([world.counselling])
        ConsentScope.objects.create(consent=consent, category=world.item_restricted.category)
        start = timezone.now() + dt.timedelta(days=30 + i)
        conference = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                               starts_at=start, ends_at=start + dt.timedelta(minutes=60), location="Raum 1")
        Invitation.objects.create(conference=conference, user=world.counsellor, organisation=world.counselling)
        Invitation.objects.create(conference=conference, family_member=world.mother)
        protocol = Protocol.objects.create(conference=conference, minute_taker=world.convenor)
        Acknowledgement.objects.create(protocol=protocol, user=world.counsellor)
        case = Case.objects.create(network=world.network, reference=f"KT-2026-{Case.objects.count() + 100}",
                                   lead_organisation=world.youth_welfare, lead_caseworker=world.convenor,
                                   status=Case.Status.ACTIVE, opened_on=today)
        CaseTeamMember.objects.create(case=case, organisation=world.youth_welfare, user=world.convenor,
                                      case_role=CaseTeamMember.CaseRole.LEAD)


def statements(client, url: str) -> tuple[int, int, int, list[str]]:
    """All statements, the page's own statements, the rows, and the SQL (for the failure message)."""
    client.get(url)  # warm per-process caches (content types, guardian)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url + ("&" if "?" in url else "?") + "limit=1000")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    sql = [q["sql"] for q in ctx.captured_queries]
    own = [q for q in sql if not any(fixed in q[:120] for fixed in FIXED)]
    return len(sql), len(own), len(body["results"] if isinstance(body, dict) else body), [q[:160] for q in sql]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_list_costs_the_same_few_statements_for_a_few_rows_and_for_many(world, client, url):
    who, most = ENDPOINTS[url]
    client.force_login(getattr(world, who))
    grow(world, 3)
    small, _, small_rows, _ = statements(client, url)
    grow(world, 12)
    large, own, large_rows, sql = statements(client, url)
    assert large_rows > small_rows, f"{url}: the larger world shows no more rows"
    queries = "\n".join(sql)
    assert large == small, f"{url}: {small} statements for {small_rows} rows, {large} for {large_rows}:\n{queries}"
    assert own <= most, f"{url}: {own} statements of its own (at most {most}):\n{queries}"
    # The fixed part: the session with its user (1) and the audit event (2: chain head, insert).
    assert large - own <= 3, f"{url}: {large - own} statements for session, user and audit (at most 3):\n{queries}"



@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_list_request_runs_exactly_its_pinned_statements(world, client, url):
    client.force_login(getattr(world, ENDPOINTS[url][0]))
    for rows in (3, 12):
        grow(world, rows)
        total, _, _, sql = statements(client, url)
        queries = "\n".join(sql)
        assert total == TOTAL[url], f"{url}: {total} statements (pinned: {TOTAL[url]}):\n{queries}"
