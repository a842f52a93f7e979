"""Two convenors write the summary for the parents at once: the second save, written on the
summary as it was before the first, is refused; her text stays in the form beside the summary as
it is now, and saving again saves it. Other changes to the protocol meanwhile (the next review
date, set by the minute-taker) do not stand in her way."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from access import grant_services
from permissions.conflicts import EditConflict
from protocols import services
from protocols.models import Protocol
from protocols.services import summary_digest

pytestmark = pytest.mark.django_db


def test_a_summary_written_on_an_old_summary_is_refused_and_changes_nothing(world):
    started = summary_digest(world.protocol.parent_summary)
    services.parent_summary_set(world.convenor, protocol=world.protocol, text="Erste Fassung", based_on=started)
    with pytest.raises(EditConflict):
        services.parent_summary_set(world.convenor, protocol=world.protocol, text="Zweite Fassung", based_on=started)
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == "Erste Fassung"


def test_the_page_keeps_her_text_beside_the_current_summary_and_saves_it_on_the_second_try(world, client):
    url = reverse("protocols:parent_summary", args=[world.protocol.pk])
    started = summary_digest(world.protocol.parent_summary)
    client.force_login(world.convenor)
    assert client.post(url, {"parent_summary": "Erste Fassung", "based_on": started}).status_code == 302
    refused = client.post(url, {"parent_summary": "Meine Fassung", "based_on": started})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Someone else changed this meanwhile" in page and "Erste Fassung" in page and "Meine Fassung" in page
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == "Erste Fassung"
    now = summary_digest("Erste Fassung")
    assert f'name="based_on" value="{now}"' in page
    assert client.post(url, {"parent_summary": "Meine Fassung", "based_on": now}).status_code == 302
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == "Meine Fassung"


def test_another_change_to_the_protocol_meanwhile_does_not_refuse_her_summary(world, client):
    """Found in review: with the protocol's version as the check, the minute-taker setting the next
    review date made the convenor's summary fail during the conference."""
    grant_services.minute_taker_delegate(world.convenor, protocol=world.protocol, delegate=world.counsellor)
    started = summary_digest(Protocol.objects.get(pk=world.protocol.pk).parent_summary)
    services.protocol_set_next_review(world.counsellor, protocol=world.protocol,
                                      next_review_on=timezone.localdate() + dt.timedelta(days=60))
    client.force_login(world.convenor)
    response = client.post(reverse("protocols:parent_summary", args=[world.protocol.pk]),
                           {"parent_summary": "Wir treffen uns im Mai.", "based_on": started})
    assert response.status_code == 302
    assert Protocol.objects.get(pk=world.protocol.pk).parent_summary == "Wir treffen uns im Mai."


def test_the_refused_summary_is_shown_in_the_shared_conflict_block_like_every_other_conflict(world, client):
    """Before, the summary had a block of its own (an alert with its own heading); now the message
    is the form's error, and the summary as it is now stands in the shared "As it is now" block."""
    url = reverse("protocols:parent_summary", args=[world.protocol.pk])
    started = summary_digest(world.protocol.parent_summary)
    client.force_login(world.convenor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.post(url, {"parent_summary": "Erste Fassung\nZweite Zeile", "based_on": started}).status_code == 302
    page = client.post(url, {"parent_summary": "Meine Fassung", "based_on": started}).content.decode()
    assert 'id="summary-conflict"' not in page
    shared = re.search(r'<section class="warning-box" aria-labelledby="conflict-heading">(.*?)</section>', page, re.S)
    assert shared and '<h2 id="conflict-heading">As it is now</h2>' in shared.group(1)
    assert "<dt>Summary for the parents (plain language)</dt><dd>Erste Fassung<br>Zweite Zeile</dd>" in shared.group(1)
    assert page.count("Someone else changed this meanwhile") == 1  # said once, in the form's error summary
    assert '<textarea name="parent_summary"' in page and "Meine Fassung</textarea>" in page
