"""Issue 13: ``/api/actions/`` reads each action's case, item and responsible rows in its page
statement as one JSON object per action of the page (``selectors.actions_for_api_list``) instead
of joining them into the windowed statement over every visible action. What it answers, and what
its audit event names, must be exactly what the joined (``select_related``) list gives, on
SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from permissions import policy as base
from permissions.models import AuditEvent
from protocols import policy as protocols_policy
from protocols import selectors
from protocols.api.serializers import AgreedActionSerializer
from protocols.models import AgreedAction, Audience, ProtocolItem

pytestmark = pytest.mark.django_db

RELATED = ("case", "item", "responsible_user", "responsible_organisation", "responsible_family_member")


def _enrich(world):
    """Actions falling to a professional, an organisation and a parent, on an item for everyone,
    one for professionals and a restricted one (disclosed by consent to the counsellor)."""
    today = timezone.localdate()
    AgreedAction.objects.create(case=world.case, item=world.item_professionals, title="Ärztin anrufen", description="„Zitat“",
                                responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                due_on=today + dt.timedelta(days=2))
    AgreedAction.objects.create(case=world.case, item=world.item_restricted, title="Befund besprechen", description="",
                                responsible_organisation=world.youth_welfare, due_on=today + dt.timedelta(days=2))
    AgreedAction.objects.create(case=world.case, item=world.item_everyone, title="Hebamme", description="",
                                responsible_family_member=world.mother, due_on=today + dt.timedelta(days=5))


def _joined(user, ids, mine=False):
    qs = protocols_policy.responsible_actions_for_user(user) if mine else protocols_policy.actions_for_user(user)
    return {a.pk: a for a in qs.select_related(*RELATED).filter(pk__in=ids)}


@pytest.mark.parametrize("who", ["counsellor", "convenor", "parent", "midwife"])
@pytest.mark.parametrize("mine", [False, True])
def test_the_folded_action_list_answers_exactly_what_the_joined_list_gives(world, client, who, mine):
    _enrich(world)
    user = getattr(world, who)
    client.force_login(user)
    results = client.get("/api/actions/?limit=500" + ("&mine=1" if mine else "")).json()["results"]
    if not mine:
        assert results, f"{who} sees no actions"
    ids = [r["id"] for r in results]
    joined = _joined(user, ids, mine)
    assert sorted(joined) == sorted(ids)
    request = APIRequestFactory().get("/api/actions/")
    assert results == [dict(AgreedActionSerializer(joined[pk], context={"request": request}).data) for pk in ids]
    if not ids:  # nothing listed, nothing recorded
        return
    # The audit event of the list names each action's legal basis exactly as from the joined rows.
    event = AuditEvent.objects.filter(action="protocol.action.list", actor=user).order_by("-pk").first()
    assert event is not None and event.detail["ids"] == ids
    assert selectors.action_bases(user, [joined[pk] for pk in ids]) == selectors.action_bases(
        user, selectors.unpack_action_rows(list(selectors.actions_for_api_list(
            protocols_policy.actions_for_user(user)).filter(pk__in=ids).order_by("due_on", "pk"))))


def test_the_page_statement_joins_no_related_table_and_reads_nothing_per_action(world, client):
    _enrich(world)
    client.force_login(world.counsellor)
    client.get("/api/actions/")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/api/actions/?limit=500").json()
    assert len(body["results"]) >= 4
    sql = [q["sql"] for q in ctx.captured_queries]
    page = [q for q in sql if q.startswith('SELECT "protocols_agreedaction".')]
    assert len(page) == 1, "\n".join(q[:200] for q in sql)
    # A join of the statement's own table would name it unaliased (subqueries alias theirs U0...).
    assert 'ON ("protocols_agreedaction".' not in page[0], page[0]
    assert len(sql) <= 5, "\n".join(q[:200] for q in sql)


def test_a_compiled_subquery_selects_the_same_rows_and_an_empty_one_stays_empty(world):
    items = protocols_policy.protocol_item_ids_for_user(world.counsellor)
    nested = set(ProtocolItem.objects.filter(pk__in=items).values_list("pk", flat=True))
    assert nested and set(ProtocolItem.objects.filter(pk__in=base.compiled(items)).values_list("pk", flat=True)) == nested
    none = protocols_policy.protocol_item_ids_for_user(world.admin)  # staff: nothing, as a none() queryset
    assert not ProtocolItem.objects.filter(pk__in=base.compiled(none)).exists()
    empty_among = protocols_policy.protocol_item_ids_for_user(world.counsellor, among=[])
    assert not ProtocolItem.objects.filter(pk__in=base.compiled(empty_among)).exists()
    assert ProtocolItem.objects.filter(pk__in=base.compiled(ProtocolItem.objects.filter(audience=Audience.EVERYONE).values("pk"))).exists()
