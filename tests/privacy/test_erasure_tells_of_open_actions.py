"""Art. 17: the open agreed actions of an erased parent stay hers (the record of what was agreed),
but nobody can carry them out any more. Whoever can hand them over -- the convenor of the
conferences they were agreed at, while she still convenes the case, else the lead caseworker -- is
told once for the erasure, how many there are, in the app and by e-mail, naming neither the person
nor an action; the link opens where she hands them over, and the hand-over works."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import CaseTeamMember, FamilyMember
from notifications.messages import text_of
from notifications.models import Kind, Notification
from participants.models import User
from protocols import services as protocol_services
from protocols.models import AgreedAction
from tests.privacy.test_erasure_is_a_fact import _erase
from tests.protocols.test_action_reassign import committed, english  # noqa: F401 - fixtures (English, mail kept; on-commit run)

pytestmark = pytest.mark.django_db

NAME, ADDRESS = "Maria Musterfrau", "maria.musterfrau@example.org"
SECOND_TITLE = "Kinderarzttermin vereinbaren"


def _second_action(world, **extra) -> AgreedAction:
    return AgreedAction.objects.create(case=world.case, item=world.item_everyone, title=SECOND_TITLE,
                                       responsible_family_member=world.mother,
                                       due_on=timezone.localdate() + dt.timedelta(days=30), **extra)


def _notices(**filters):
    return Notification.objects.filter(kind=Kind.ACTIONS_ERASED, **filters)


def _mails_about_actions(mailoutbox, user) -> list:
    # The erasure also withdrew her invitation to the coming conference: that notice has its own mail.
    return [m for m in mailoutbox if user.email in m.to and "open agreed action" in m.body]


def _case_list(world) -> str:
    return reverse("protocols:my_actions") + "?" + urlencode({"scope": "convened", "case": world.case.pk,
                                                               "status": "open_any"})


def test_the_convenor_is_told_once_how_many_open_actions_fell_to_the_erased_parent(world, committed, mailoutbox,
                                                                                  client):
    FamilyMember.objects.filter(pk=world.mother.pk).update(display_name=NAME, email=ADDRESS)
    world.mother.refresh_from_db()
    second = _second_action(world, status=AgreedAction.Status.IN_PROGRESS)
    _second_action(world, status=AgreedAction.Status.DONE, completed_on=timezone.localdate())  # not open: not counted
    with committed():
        _erase(world, world.mother)
    notice = _notices().get()
    assert notice.recipient == world.convenor and notice.count == 2 and notice.case == world.case
    assert notice.url == _case_list(world)
    with translation.override("en"):
        assert text_of(notice) == (
            "2 open agreed actions in case KT-2026-001 fell to a person whose data were erased; they now fall to no "
            "one who can carry them out. Please hand them over to someone else.")
    with translation.override("de"):
        assert text_of(notice).startswith("Für 2 offene Vereinbarungen im Fall KT-2026-001 war eine Person zuständig")
        assert "Bitte übertragen Sie sie anderen Personen oder Stellen." in text_of(notice)
    with translation.override("da"):
        assert "2 åbne aftaler i sag KT-2026-001" in text_of(notice) and "Giv dem venligst videre" in text_of(notice)
    client.force_login(world.convenor)
    overview = client.get(reverse("notifications:list")).content.decode()
    assert "2 open agreed actions in case KT-2026-001 fell to a person whose data were erased" in overview
    mails = _mails_about_actions(mailoutbox, world.convenor)
    assert len(mails) == 1 and "Please hand them over to someone else" in mails[0].body
    for text in (overview, mails[0].subject + mails[0].body):
        for kept_back in (NAME, "Maria", ADDRESS, "[erased]", world.action_parent.title, SECOND_TITLE):
            assert kept_back not in text
    # the link lists the case's open actions, hers among them, each with its page
    listed = client.get(notice.url).content.decode()
    for action in (world.action_parent, second):
        assert reverse("protocols:action_detail", args=[action.pk]) in listed
    # nobody else is told: the counsellor, the midwife, the officer who closed the request
    assert _notices().count() == 1


def test_with_one_open_action_the_link_opens_its_page_where_the_convenor_hands_it_over(world, committed, client):
    with committed():
        _erase(world, world.mother)
    notice = _notices().get()
    assert notice.count == 1 and notice.url == reverse("protocols:action_detail", args=[world.action_parent.pk])
    with translation.override("en"):
        assert text_of(notice).startswith("An open agreed action in case KT-2026-001 fell to a person whose data were erased;")
    client.force_login(world.convenor)
    page = client.get(notice.url).content.decode()
    assert "Give the action to someone else" in page
    assert f'value="parent:{world.mother.pk}"' not in page  # she is not offered as the new responsible
    response = client.post(reverse("protocols:action_reassign", args=[world.action_parent.pk]), {
        "reassign-version": AgreedAction.objects.get(pk=world.action_parent.pk).version,
        "reassign-reason": "Die Mutter ist nicht mehr beteiligt", "reassign-responsible": f"org:{world.counselling.pk}"})
    assert response.status_code == 302
    action = AgreedAction.objects.get(pk=world.action_parent.pk)
    assert (action.responsible_family_member, action.responsible_organisation) == (None, world.counselling)
    assert "The action now falls to Suchtberatung Test" in client.get(response["Location"]).content.decode()


def test_the_convenor_can_give_it_to_the_other_parent_instead(world, committed, client):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    world.conference.invitations.create(family_member=father)
    with committed():
        _erase(world, world.mother)
    client.force_login(world.convenor)
    page = client.get(_notices().get().url).content.decode()
    assert f'value="parent:{father.pk}"' in page and f'value="parent:{world.mother.pk}"' not in page
    action = AgreedAction.objects.get(pk=world.action_parent.pk)
    protocol_services.action_reassign(world.convenor, action=action, version=action.version,
                                      responsible_family_member=father, reason="Der Vater übernimmt")
    assert AgreedAction.objects.get(pk=action.pk).responsible_family_member == father


def test_a_convenor_who_is_not_the_lead_caseworker_is_told_and_her_link_lists_the_actions(world, committed, client):
    """The conference was convened by a colleague of the lead organisation: she convenes the case
    too, and her list of "the cases I lead" shows the actions she is asked to hand over."""
    world.conference.__class__.objects.filter(pk=world.conference.pk).update(convenor=world.lead_colleague)
    second = _second_action(world)
    with committed():
        _erase(world, world.mother)
    notice = _notices().get()
    assert notice.recipient == world.lead_colleague and notice.count == 2 and notice.url == _case_list(world)
    client.force_login(world.lead_colleague)
    listed = client.get(notice.url).content.decode()
    for action in (world.action_parent, second):
        assert reverse("protocols:action_detail", args=[action.pk]) in listed


def test_when_the_convenor_no_longer_convenes_the_case_the_lead_caseworker_is_told(world, committed):
    world.conference.__class__.objects.filter(pk=world.conference.pk).update(convenor=world.lead_colleague)
    CaseTeamMember.objects.filter(case=world.case, user=world.lead_colleague).update(removed_at=timezone.now())
    with committed():
        _erase(world, world.mother)
    assert list(_notices().values_list("recipient", flat=True)) == [world.convenor.pk]


def test_the_notice_goes_in_the_convenors_language(world, committed, mailoutbox):
    User.objects.filter(pk=world.convenor.pk).update(preferred_language="da")
    with committed():
        _erase(world, world.mother)
    mails = [m for m in mailoutbox if world.convenor.email in m.to and "En åben aftale i sag KT-2026-001" in m.body]
    assert len(mails) == 1 and "Giv den venligst videre til en anden" in mails[0].body
