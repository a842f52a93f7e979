"""The protocol page counts pending corrections in proper singular and plural, in every language."""
from __future__ import annotations

import pytest
from django.urls import reverse

from protocols import services
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

DECIDE = {
    "de": ("1 Korrekturvorschlag wartet auf Ihre Entscheidung", "2 Korrekturvorschläge warten auf Ihre Entscheidung"),
    "da": ("1 rettelsesforslag venter på din afgørelse: Afgør det", "2 rettelsesforslag venter på din afgørelse: Afgør dem"),
    "en": ("1 correction proposal awaits your decision: decide it", "2 correction proposals await your decision: decide them"),
}


def _finalise_notice(client, world, language: str) -> str:
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()
    start = page.index('id="finalise-refusal"')
    return page[start:page.index("</p>", start)]


@pytest.mark.parametrize("language", ["de", "da", "en"])
def test_the_protocol_page_says_one_correction_proposal_and_two_correction_proposals(client, world, language):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    services.correction_propose(world.counsellor, item=world.item_everyone, proposed_text="Besser")
    client.force_login(world.convenor)
    one, two = DECIDE[language]

    notice = _finalise_notice(client, world, language)
    assert one in notice and "1 Korrekturvorschläge" not in notice

    services.correction_propose(world.midwife, item=world.item_professionals, proposed_text="Genauer")
    assert two in _finalise_notice(client, world, language)


def test_the_reason_for_deciding_a_correction_is_marked_required_like_other_required_fields(client, world):
    """Newcomer walk: accepting a proposal needs a reason, but its field did not say "(erforderlich)"
    as other required fields do (conferences/_field.html)."""
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    proposal = services.correction_propose(world.counsellor, item=world.item_everyone, proposed_text="Besser")
    client.force_login(world.convenor)
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert (f'<label for="decide-{proposal.pk}-reason">Begründung <span class="muted">(erforderlich)</span></label>'
            in page)
