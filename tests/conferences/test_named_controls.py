"""Controls say what they act on (WCAG 2.4.6, 4.1.2): each "Withdraw invitation" button of the
conference page names its invitee, as the case team's "Remove" buttons do; and a select whose
empty choice is offered says what it means (choose one, or none) instead of "---------", in every
language."""
from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tests.world import hold_conference

pytestmark = pytest.mark.django_db

_BUTTON = re.compile(r'<form method="post" action="/conferences/\d+/invitations/(\d+)/remove/"[^>]*>.*?<button[^>]*>(.*?)</button>', re.S)


def accessible_name(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def test_each_withdraw_button_names_the_invitee(client, world):
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    names = {int(pk): accessible_name(markup) for pk, markup in _BUTTON.findall(page)}
    invitations = list(world.conference.invitations.filter(removed_at__isnull=True))
    assert set(names) == {inv.pk for inv in invitations}
    for invitation in invitations:
        who = str(invitation.family_member or invitation.user or invitation.organisation)
        assert names[invitation.pk] == f"Withdraw invitation: {who}"  # "M. (Mother)", never nested in brackets
    assert len(set(names.values())) == len(names)


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return [accessible_name(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1), re.S)]


@pytest.mark.parametrize(("language", "choose", "nobody"), [
    ("en", "– choose –", "– no single person –"),
    ("de", "– bitte wählen –", "– keine einzelne Person –"),
    ("da", "– vælg –", "– ingen bestemt person –"),
])
def test_the_empty_choice_of_a_select_says_what_it_means(client, world, language, choose, nobody):
    client.force_login(world.convenor)
    headers = {"accept-language": language}
    protocol_page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]), headers=headers).content.decode()
    assert _options(protocol_page, "holding_organisation")[0] == choose
    assert _options(protocol_page, "entrusted_by")[0] == nobody
    consent_page = client.get(reverse("cases:consent_create", args=[world.case.pk]), headers=headers).content.decode()
    assert _options(consent_page, "given_by")[0] == choose
    hold_conference(world.conference)
    attendance_page = client.get(reverse("protocols:attendance", args=[world.protocol.pk]), headers=headers).content.decode()
    assert _options(attendance_page, "minute_taker")[0] == choose
    for page in (protocol_page, consent_page, attendance_page):
        assert "---------" not in page
