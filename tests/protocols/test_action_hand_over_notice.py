"""An agreed action changes hands: whoever it fell to before learns that it is no longer hers, in
the app and by e-mail, in her language, naming neither the action's title nor the reason (the
action's page shows its history to whom the policy shows it); nobody who keeps it is told she
lost it."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from cases.models import FamilyMember
from conferences.models import Invitation
from notifications.messages import text_of
from notifications.models import Kind, Notification
from participants.models import User
from protocols import services
from protocols.models import AgreedAction
from tests.protocols.test_action_reassign import committed, english  # noqa: F401 - fixtures (English, mail kept; on-commit run)

pytestmark = pytest.mark.django_db

REASON = "Die Beraterin ist länger krank"


def reassign(actor, action, **kwargs):
    action = AgreedAction.objects.get(pk=action.pk)
    kwargs.setdefault("version", action.version)
    kwargs.setdefault("reason", REASON)
    return services.action_reassign(actor, action=action, **kwargs)


def _handed_over(user):
    return Notification.objects.filter(recipient=user, kind__in=[Kind.ACTION_HANDED_OVER,
                                                                 Kind.ACTION_HANDED_OVER_ORGANISATION])


def test_the_counsellor_learns_in_her_language_that_her_action_went_to_someone_else(world, committed, mailoutbox,
                                                                                    client):
    User.objects.filter(pk=world.counsellor.pk).update(preferred_language="da")
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_user=world.midwife,
                 responsible_organisation=world.midwifery)
    notice = _handed_over(world.counsellor).get()
    assert notice.kind == Kind.ACTION_HANDED_OVER
    assert notice.url == reverse("protocols:action_detail", args=[world.action_counselling.pk])
    client.force_login(world.counsellor)
    overview = client.get(reverse("notifications:list")).content.decode()
    assert "som du skulle følge op på (frist" in overview and "er givet videre til en anden af mødeindkalderen" in overview
    with translation.override("en"):
        assert "that fell to you (due" in text_of(notice) and "has been handed over to someone else by the convenor" in text_of(notice)
    mails = [m for m in mailoutbox if world.counsellor.email in m.to]
    assert len(mails) == 1 and "er givet videre til en anden af mødeindkalderen" in mails[0].body
    with translation.override("de"):
        assert "wurde von der einladenden Fachkraft einer anderen Person oder Stelle übertragen" in text_of(notice)
    for text in (overview, mails[0].subject + mails[0].body):
        assert world.action_counselling.title not in text and REASON not in text
        assert str(world.midwife) not in text and "Hebammenpraxis" not in text
    # where she still reads the action, its history names the reason
    page = client.get(notice.url).content.decode()
    assert REASON in page
    # the new responsible is told that it was handed over to her, and the convenor of nothing
    assert list(Notification.objects.filter(recipient=world.midwife).values_list("kind", flat=True)) == [
        Kind.ACTION_RECEIVED]
    assert not Notification.objects.filter(recipient=world.convenor).exists()


@pytest.fixture
def father(world):
    member = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    Invitation.objects.create(conference=world.conference, family_member=member)
    return member


def test_the_mothers_account_learns_that_the_father_took_her_action_over(world, father, committed, client):
    with committed():
        reassign(world.convenor, world.action_parent, responsible_family_member=father, reason="Der Vater übernimmt")
    notice = _handed_over(world.parent).get()
    assert notice.kind == Kind.ACTION_HANDED_OVER and notice.due_on == world.action_parent.due_on
    client.force_login(world.parent)
    assert client.get(notice.url).status_code == 200  # the item is for everyone: she still reads it


def test_a_link_she_can_still_open_when_the_action_leaves_her_sight(world, father, committed, client):
    """An action of hers in an item for professionals: once it is the father's, she no longer sees
    it, so the notice opens her list of actions, not a page she may not open."""
    action = services.action_create(world.convenor, item=world.item_professionals, title="Suchtberatung aufsuchen",
                                    due_on=world.action_parent.due_on, responsible_family_member=world.mother)
    with committed():
        reassign(world.convenor, action, responsible_family_member=father)
    notice = _handed_over(world.parent).get()
    assert notice.url == reverse("protocols:my_actions")
    client.force_login(world.parent)
    assert client.get(notice.url).status_code == 200
    assert client.get(reverse("protocols:action_detail", args=[action.pk])).status_code == 404


def test_an_organisations_people_are_told_it_no_longer_falls_to_their_organisation(world, committed):
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_organisation=world.counselling)
    # still her organisation's: the counsellor has not lost it
    assert not _handed_over(world.counsellor).exists()
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_organisation=world.midwifery)
    assert list(_handed_over(world.counsellor).values_list("kind", flat=True)) == [
        Kind.ACTION_HANDED_OVER_ORGANISATION]


def test_nobody_is_told_she_lost_an_action_that_an_organisation_gives_to_one_of_its_own(world, committed):
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_organisation=world.counselling)
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_user=world.counsellor,
                 responsible_organisation=world.counselling)
    assert not _handed_over(world.counsellor).exists()
    # and a hand-over away from her afterwards is told
    with committed():
        reassign(world.convenor, world.action_counselling, responsible_organisation=world.midwifery)
    assert _handed_over(world.counsellor).count() == 1
