"""Issue 13: ``/api/protocol-items/`` reads what each item shows beside it (organisations it is
restricted to, amendments, agreed actions) in its page statement (``items_for_api_list``) instead
of three prefetches. What it answers must be exactly what the prefetching serializer gives for
the same items: the same fields, values, time zones and order, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from participants.models import Organisation
from protocols import selectors
from protocols.api.serializers import ProtocolItemSerializer
from protocols.models import AgreedAction, Amendment

pytestmark = pytest.mark.django_db


def _enrich(world):
    """Amendments by two authors at close times (microseconds), actions falling to a user, an
    organisation and a family member, an item restricted to organisations whose names sort
    differently by code point and by a natural-language collation."""
    now = timezone.now().replace(microsecond=123456)
    for n, author in enumerate((world.convenor, world.counsellor, world.convenor)):
        Amendment.objects.create(item=world.item_professionals, author=author, text=f"**Nachtrag** {n} <script>x</script>",
                                 reason="Ergänzung", created_at=now - dt.timedelta(microseconds=n))
    AgreedAction.objects.create(case=world.case, item=world.item_professionals, title="Ärztin anrufen", description="„Zitat“",
                                responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                due_on=timezone.localdate() + dt.timedelta(days=2))
    AgreedAction.objects.create(case=world.case, item=world.item_professionals, title="zweite", description="",
                                responsible_organisation=world.youth_welfare, due_on=timezone.localdate() + dt.timedelta(days=2))
    lower = Organisation.objects.create(network=world.network, name="ambulante Hilfe", kind=world.counselling.kind)
    accented = Organisation.objects.create(network=world.network, name="Ärztehaus", kind=world.counselling.kind)
    world.item_restricted.restricted_to.add(lower, accented)


def _expected(world, user, ids):
    items = {i.pk: i for i in selectors.items_for_user(user).filter(pk__in=ids)}
    request = APIRequestFactory().get("/api/protocol-items/")
    return [ProtocolItemSerializer(items[pk], context={"request": request}).data for pk in ids]


@pytest.mark.parametrize("who", ["counsellor", "convenor", "parent"])
def test_the_folded_list_answers_exactly_what_the_prefetching_serializer_gives(world, client, who):
    _enrich(world)
    user = getattr(world, who)
    client.force_login(user)
    results = client.get("/api/protocol-items/?limit=500").json()["results"]
    assert results, f"{who} sees no items"
    assert results == [dict(row) for row in _expected(world, user, [r["id"] for r in results])]
    if who == "counsellor":
        restricted = next(r for r in results if r["id"] == world.item_restricted.pk)
        assert len(restricted["restricted_to"]) == 4
        assert any(r["amendments"] for r in results) and any(len(r["actions"]) >= 2 for r in results)


def test_the_list_reads_amendments_actions_and_organisations_in_its_page_statement(world, client):
    _enrich(world)
    client.force_login(world.counsellor)
    client.get("/api/protocol-items/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/protocol-items/").status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    prefetches = ('SELECT "protocols_amendment".', 'SELECT "protocols_agreedaction".', 'SELECT ("protocols_protocolitem_restricted_to"')
    assert not [q for q in sql if q.startswith(prefetches)], "\n".join(q[:200] for q in sql)
    assert len(sql) <= 5, "\n".join(q[:200] for q in sql)
