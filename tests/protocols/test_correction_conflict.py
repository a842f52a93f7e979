"""Review h6, H6-1: accepting a correction replaces the item's whole text. Two participants who
read the same text and each propose a correction of a different sentence: once the first is
accepted, the second -- written on the text before it -- is not accepted, or the first correction
would be silently lost. The proposal records the item's version it was written on
(``base_version``); a proposal on an outdated text is refused when it is sent (the page keeps her
text beside the current one) and, once outdated, can only be rejected: the decider is told why,
and nothing changes."""
from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from protocols import services
from protocols.models import CorrectionProposal, ProtocolItem
from tests.world import hold_conference

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(world):
    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    return world


def _text(item) -> str:
    return ProtocolItem.objects.get(pk=item.pk).text


def _two_proposals_on_the_same_text(world):
    item = world.item_everyone
    original = item.text
    first = services.correction_propose(world.counsellor, item=item, proposed_text=original + " Korrektur A.",
                                        version=item.version)
    second = services.correction_propose(world.midwife, item=item, proposed_text=original + " Korrektur B.",
                                         version=item.version)
    return item, first, second


def test_a_proposal_records_the_version_of_the_text_it_was_written_on(released):
    item = released.item_everyone
    proposal = services.correction_propose(released.counsellor, item=item, proposed_text="Besser")
    assert proposal.base_version == ProtocolItem.objects.get(pk=item.pk).version


def test_accepting_a_proposal_on_a_corrected_text_is_refused_and_changes_nothing(released):
    world = released
    item, first, second = _two_proposals_on_the_same_text(world)
    services.correction_decide(world.convenor, proposal=first, accept=True, reason="stimmt")
    corrected = ProtocolItem.objects.get(pk=item.pk)
    decisions = AuditEvent.objects.filter(action="protocol.correction.decide").count()
    with pytest.raises(EditConflict) as refused:
        services.correction_decide(world.convenor, proposal=second, accept=True, reason="stimmt auch")
    assert "written on an earlier text" in refused.value.messages[0]
    assert refused.value.current.text == corrected.text
    now = ProtocolItem.objects.get(pk=item.pk)
    assert (now.text, now.version) == (corrected.text, corrected.version)
    assert "Korrektur A" in now.text and "Korrektur B" not in now.text
    second.refresh_from_db()
    assert second.status == CorrectionProposal.Status.PENDING and second.decided_by is None
    assert AuditEvent.objects.filter(action="protocol.correction.decide").count() == decisions


def test_an_outdated_proposal_can_be_rejected(released):
    world = released
    item, first, second = _two_proposals_on_the_same_text(world)
    services.correction_decide(world.convenor, proposal=first, accept=True, reason="stimmt")
    services.correction_decide(world.convenor, proposal=second, accept=False, reason="Bitte auf den neuen Text")
    assert CorrectionProposal.objects.get(pk=second.pk).status == CorrectionProposal.Status.REJECTED
    assert "Korrektur A" in _text(item)


def test_a_proposal_sent_from_a_page_opened_before_a_correction_was_accepted_is_refused(released):
    world = released
    item = world.item_everyone
    opened = item.version
    first = services.correction_propose(world.counsellor, item=item, proposed_text="Korrigiert.", version=opened)
    services.correction_decide(world.convenor, proposal=first, accept=True, reason="stimmt")
    with pytest.raises(EditConflict) as refused:
        services.correction_propose(world.midwife, item=item, proposed_text="Auf dem alten Text.", version=opened)
    assert refused.value.current.text == "Korrigiert."
    assert not CorrectionProposal.objects.filter(author=world.midwife).exists()


def test_the_decider_is_told_why_and_the_page_offers_only_rejecting(released, login):
    world = released
    item, first, second = _two_proposals_on_the_same_text(world)
    client = login(world.convenor)
    decide = reverse("protocols:correction_decide", args=[first.pk])
    assert client.post(decide, {"decision": "accept", "reason": "stimmt"}).status_code == 302
    page = client.post(reverse("protocols:correction_decide", args=[second.pk]),
                       {"decision": "accept", "reason": "stimmt auch"}, follow=True).content.decode()
    assert "written on an earlier text of the item" in page and "nothing was changed" in page
    assert "Korrektur A" in _text(item) and "Korrektur B" not in _text(item)
    assert CorrectionProposal.objects.get(pk=second.pk).status == CorrectionProposal.Status.PENDING
    # the list marks it, shows the current text, and offers only "reject"
    assert f'id="decide-{second.pk}-reject"' in page and f'id="decide-{second.pk}-accept"' not in page
    assert "It can only be rejected" in page


def test_the_proposer_sees_that_her_proposal_is_outdated(released, login):
    world = released
    item, first, second = _two_proposals_on_the_same_text(world)
    services.correction_decide(world.convenor, proposal=first, accept=True, reason="stimmt")
    page = login(world.midwife).get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "the item has been corrected since you proposed this" in page


def test_the_page_keeps_her_text_beside_the_corrected_one_and_sends_it_on_the_second_try(released, login):
    world = released
    item = world.item_everyone
    opened = item.version
    services.correction_decide(world.convenor, accept=True, reason="stimmt", proposal=services.correction_propose(
        world.counsellor, item=item, proposed_text="Korrigiert von der Suchtberatung.", version=opened))
    client = login(world.midwife)
    url = reverse("protocols:correction_propose", args=[item.pk])
    refused = client.post(url, {"proposed_text": "Mein Vorschlag.", "version": opened})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "has been corrected since you opened the page" in page
    assert "Mein Vorschlag." in page and "Korrigiert von der Suchtberatung." in page
    now = ProtocolItem.objects.get(pk=item.pk).version
    assert f'name="version" value="{now}"' in page
    assert not CorrectionProposal.objects.filter(author=world.midwife).exists()
    assert client.post(url, {"proposed_text": "Mein Vorschlag.", "version": now}).status_code == 302
    assert CorrectionProposal.objects.get(author=world.midwife).base_version == now


@pytest.mark.parametrize("language,words", [
    ("de", ["Dieser Vorschlag wurde zu einer früheren Fassung", "Sie"]),
    ("da", ["Dette forslag blev skrevet til en tidligere tekst"]),
])
def test_the_decider_is_told_in_german_and_danish(released, language, words):
    world = released
    item, first, second = _two_proposals_on_the_same_text(world)
    services.correction_decide(world.convenor, proposal=first, accept=True, reason="stimmt")
    with translation.override(language), pytest.raises(EditConflict) as refused:
        services.correction_decide(world.convenor, proposal=second, accept=True, reason="stimmt auch")
    message = refused.value.messages[0]
    assert all(word in message for word in words), message


def test_the_migration_takes_pending_proposals_as_written_on_the_current_text(released):
    """Migration 0011: a pending proposal of before is based on the item's version then; decided
    ones keep no base (they are decided no more)."""
    world = released
    item = world.item_everyone
    pending = CorrectionProposal.objects.create(item=item, author=world.counsellor, proposed_text="Alt, offen")
    decided = CorrectionProposal.objects.create(item=item, author=world.counsellor, proposed_text="Alt, entschieden",
                                                status=CorrectionProposal.Status.REJECTED)
    migration = importlib.import_module("protocols.migrations.0011_correction_base_version")
    migration.pending_based_on_the_current_text(apps, None)
    assert CorrectionProposal.objects.get(pk=pending.pk).base_version == item.version
    assert CorrectionProposal.objects.get(pk=decided.pk).base_version is None
    services.correction_decide(world.convenor, proposal=pending, accept=True, reason="stimmt")
    assert _text(item) == "Alt, offen"
