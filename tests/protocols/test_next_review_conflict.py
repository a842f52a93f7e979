"""The convenor and the minute-taker set the protocol's next review date at once: the second save,
made on the date as it was before the first, is refused; her date stays in the form beside the
date as it is now, and saving again saves it. Other changes to the protocol meanwhile (an item,
the summary for the parents) do not stand in her way: only another date does."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from access import grant_services
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from protocols import services
from protocols.models import Protocol

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def minute_taker(world):
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.counsellor)
    return world.counsellor


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _stored() -> dt.date | None:
    return Protocol.objects.get().next_review_on


def test_a_date_set_on_an_old_date_is_refused_and_changes_nothing(world, minute_taker):
    started = services.next_review_based_on(world.protocol.next_review_on)
    # Other changes to the protocol meanwhile do not count: its version is not what is compared.
    services.parent_summary_set(world.convenor, protocol=world.protocol, text="Wir treffen uns im Mai.")
    services.item_create(world.convenor, protocol=world.protocol, title="Neuer Punkt", text="Text")
    services.protocol_set_next_review(minute_taker, protocol=world.protocol, next_review_on=_day(90), based_on=started)
    # The same date as now overwrites nothing.
    services.protocol_set_next_review(world.convenor, protocol=world.protocol, next_review_on=_day(90), based_on=started)
    with pytest.raises(EditConflict) as refused:
        services.protocol_set_next_review(world.convenor, protocol=world.protocol, next_review_on=_day(120),
                                          based_on=started)
    assert _stored() == _day(90)
    assert refused.value.current.next_review_on == _day(90)
    assert AuditEvent.objects.filter(action="protocol.next_review").count() == 2


def test_the_page_keeps_her_date_beside_the_current_one_and_saves_it_on_the_second_try(world, minute_taker, client):
    services.protocol_set_next_review(world.convenor, protocol=world.protocol, next_review_on=_day(60))
    detail = reverse("protocols:protocol_detail", args=[world.protocol.pk])
    url = reverse("protocols:next_review", args=[world.protocol.pk])
    client.force_login(world.convenor)
    opened = client.get(detail).content.decode()
    started = _day(60).isoformat()
    assert f'name="based_on" value="{started}"' in opened  # the form carries the date it was opened on

    client.force_login(minute_taker)
    assert client.post(url, {"next_review_on": _day(90).isoformat(), "based_on": started}).status_code == 302

    client.force_login(world.convenor)
    refused = client.post(url, {"next_review_on": _day(120).isoformat(), "based_on": started})
    assert refused.status_code == 409
    page = refused.content.decode()
    with translation.override("en"):
        shown_now = formats.date_format(_day(90), "DATE_FORMAT")
    assert CONFLICT in page
    assert f'value="{_day(120).isoformat()}"' in page  # her date is still in the form
    assert f"<dd>{shown_now}</dd>" in page  # the date as it is now, beside it
    assert f'name="based_on" value="{_day(90).isoformat()}"' in page  # saving again is based on it
    assert _stored() == _day(90)

    again = client.post(url, {"next_review_on": _day(120).isoformat(), "based_on": _day(90).isoformat()})
    assert again.status_code == 302
    assert _stored() == _day(120)


@pytest.mark.parametrize("name", ["protocols:next_review", "protocols:parent_summary"])
def test_a_reader_who_may_not_write_gets_403_whatever_she_posts(world, client, name):
    """Found by a review with a probe: a parent posting without ``based_on`` got the 400 page of the
    professionals' protocol template instead of a refusal."""
    client.force_login(world.parent)
    for data in ({"next_review_on": "", "parent_summary": "x"}, {"next_review_on": "", "parent_summary": "x", "based_on": ""}):
        assert client.post(reverse(name, args=[world.protocol.pk]), data).status_code == 403
