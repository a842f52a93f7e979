"""Closing note (2026-12-06), finding 1: ``services._refuse_withheld_item`` told a caseworker "This
item is restricted" also for an item that is open to the team or to everyone again (widened after it
was restricted, its holder still set). That item has its own reason, naming who holds its information,
in the service, on the page form and in every language we ship.

(No API endpoint creates actions: ``/api/actions/`` is read-only but for ``status``, so the page is
the only place the refusal reaches a person.)
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from protocols import services
from protocols.models import Audience
from tests.matrix.test_matrix_audience import held_by_counselling
from tests.security.test_widened_item_stays_governed import WIDER, join_early_help, widened

pytestmark = pytest.mark.django_db

WIDENED = {
    "en": "This item was widened after it had been restricted: its information is still held by Suchtberatung Test",
    "de": "Dieser Punkt wurde nach einer Einschränkung für mehr Personen freigegeben: Seine Informationen liegen "
          "weiterhin bei Suchtberatung Test",
    "da": "Dette punkt blev frigivet til flere, efter at det var begrænset: Oplysningerne ligger stadig hos Suchtberatung Test",
}
RESTRICTED = "This item is restricted"


def refusal(world, item, organisation, user=None) -> str:
    with pytest.raises(ValidationError) as refused:
        services.action_create(world.convenor, item=item, title="Begleitung", due_on=timezone.localdate() + dt.timedelta(days=7),
                               responsible_organisation=organisation, responsible_user=user)
    return " ".join(refused.value.message_dict["responsible"])


@pytest.mark.parametrize("audience", WIDER)
@pytest.mark.parametrize("language", ["en", "de", "da"])
def test_an_action_for_a_late_joiner_in_a_widened_item_is_refused_as_widened_naming_the_holder(world, audience, language):
    item, _ = widened(world, audience)
    join_early_help(world)
    with translation.override(language):
        message = refusal(world, item, world.early_help, world.outsider)
    assert message.startswith(WIDENED[language])
    assert "restricted, and" not in message and "ist eingeschränkt" not in message and "er begrænset" not in message


def test_german_speaks_to_the_caseworker_formally(world):
    item, _ = widened(world, Audience.PROFESSIONALS)
    join_early_help(world)
    with translation.override("de"):
        message = refusal(world, item, world.early_help, world.outsider)
    assert "Wählen Sie Suchtberatung Test" in message and "vereinbaren Sie" in message and " du " not in message


def test_a_restricted_item_keeps_its_own_reason(world):
    item = held_by_counselling(world)
    join_early_help(world)
    assert refusal(world, item, world.early_help, world.outsider).startswith(RESTRICTED)


@pytest.mark.parametrize("audience", WIDER)
def test_the_page_form_shows_the_widened_reason_at_the_responsible_field(world, login, audience):
    item, _ = widened(world, audience)
    join_early_help(world)
    response = login(world.convenor).post(reverse("protocols:action_create", args=[item.pk]), {
        "title": "Begleitung", "responsible": f"org:{world.early_help.pk}",
        "due_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.context["form"].errors["responsible"]
    assert errors[0].startswith(WIDENED["en"]) and not errors[0].startswith(RESTRICTED)
    assert "widened after it had been restricted" in response.content.decode()
