"""An agreed action changes hands: the new responsible (or her organisation's people on the team)
learns that an action in the case was handed over to her, not that one was just agreed for her:
in the app and by e-mail, in her language, with the due date, naming neither the action's title,
the reason, nor who had it before (the action's page shows them to whom the policy shows it)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from notifications.messages import text_of
from notifications.models import Kind, Notification
from participants.models import User
from protocols import services
from tests.protocols.test_action_hand_over_notice import REASON, reassign
from tests.protocols.test_action_reassign import committed, english  # noqa: F401 - fixtures (English, mail kept; on-commit run)

pytestmark = pytest.mark.django_db

def test_the_new_responsible_learns_in_her_language_that_the_action_was_handed_over_to_her(world, committed,
                                                                                           mailoutbox, client):
    User.objects.filter(pk=world.midwife.pk).update(preferred_language="da")
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_user=world.midwife,
                 responsible_organisation=world.midwifery)
    notice = Notification.objects.get(recipient=world.midwife)
    assert notice.kind == Kind.ACTION_RECEIVED and notice.due_on == world.action_counselling.due_on
    assert notice.url == reverse("protocols:action_detail", args=[world.action_counselling.pk])
    client.force_login(world.midwife)
    overview = client.get(reverse("notifications:list")).content.decode()
    assert "(frist" in overview and "er givet videre til dig af mødeindkalderen" in overview
    assert "er der indgået en aftale" not in overview  # not the sentence of an action just agreed
    mails = [m for m in mailoutbox if world.midwife.email in m.to]
    assert len(mails) == 1 and "er givet videre til dig af mødeindkalderen" in mails[0].body
    with translation.override("en"):
        assert text_of(notice).endswith("has been handed over to you by the convenor.") and "(due " in text_of(notice)
        assert "falls to you" not in text_of(notice)
    with translation.override("de"):
        assert "wurde Ihnen von der einladenden Fachkraft übertragen" in text_of(notice)
        assert "fällig am" in text_of(notice)
    for text in (overview, mails[0].subject + mails[0].body):
        assert world.action_counselling.title not in text and REASON not in text
        assert str(world.counsellor) not in text and "Suchtberatung" not in text
    # her action's page shows what it is and why it came to her
    page = client.get(notice.url).content.decode()
    assert world.action_counselling.title in page and REASON in page


def test_the_organisations_people_learn_it_was_handed_over_to_their_organisation(world, committed, mailoutbox):
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_organisation=world.midwifery)
    notice = Notification.objects.get(recipient=world.midwife)
    assert notice.kind == Kind.ACTION_RECEIVED_ORGANISATION
    with translation.override("en"):
        assert "has been handed over to your organisation by the convenor" in text_of(notice)
    with translation.override("da"):
        assert "er givet videre til din organisation af mødeindkalderen" in text_of(notice)
    with translation.override("de"):
        assert "wurde Ihrer Einrichtung von der einladenden Fachkraft übertragen" in text_of(notice)
    mails = [m for m in mailoutbox if world.midwife.email in m.to]
    assert len(mails) == 1 and "has been handed over to your organisation by the convenor" in mails[0].body


def test_a_newly_agreed_action_is_still_told_as_agreed(world, committed):
    with committed():
        action = services.action_create(world.convenor, item=world.item_professionals, title="Hausbesuch",
                                        due_on=world.action_counselling.due_on, responsible_user=world.midwife,
                                        responsible_organisation=world.midwifery)
    notice = Notification.objects.get(recipient=world.midwife, url=reverse("protocols:action_detail", args=[action.pk]))
    assert notice.kind == Kind.ACTION_ASSIGNED
