"""Letters to a parent without an account follow the one rule (``participants.language``): the
language recorded for her, her interpreter's, her case's network; the installation's default last.

The offer of access goes to the address recorded for her and is read by whoever receives mail
there: the holder's own setting where exactly one account receives mail at the address; else (no
account, an account without a setting, several accounts) the parent's record, as above.
"""
from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from cases import access_services, consent_services
from cases.models import FamilyMember, InformationCategory
from participants.models import Network
from tests.world import make_user

pytestmark = pytest.mark.django_db

CONSENT_DA = "Der er registreret et samtykke i dit navn"
NOTICE_DA, NOTICE_DE = "Adgang til en yderligere sag i Fallkonferenz", "Zugang zu einem weiteren Fall in Fallkonferenz"
SET_UP_DA = "Din adgang til Fallkonferenz"


def _danish(world) -> None:
    Network.objects.filter(pk=world.network.pk).update(country="DK", time_zone="Europe/Copenhagen")
    world.network.refresh_from_db()
    world.case.refresh_from_db()


def _record_consent(world, member: FamilyMember, committed) -> None:
    today = timezone.localdate()
    with committed(execute=True):
        consent_services.consent_record(
            world.convenor, case=world.case, given_by=member, from_organisation=world.youth_welfare,
            to_organisations=[world.midwifery], categories=[InformationCategory.PARENTING_CHILD_WELFARE],
            valid_from=today, valid_until=today + dt.timedelta(days=90), form_reference="SE-2026-99")


def _account_at(address: str, username: str, **extra):
    user = make_user(username, **extra)
    user.email = address
    user.save(update_fields=["email"])
    return user


def _father(world, **extra) -> FamilyMember:
    return FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                       email="v.privat@example.org", **extra)


def test_a_danish_parent_without_an_account_gets_the_consent_letter_in_danish(world, django_capture_on_commit_callbacks):
    _danish(world)
    father = _father(world)
    _record_consent(world, father, django_capture_on_commit_callbacks)
    letter, = [m for m in mail.outbox if m.to == [father.email]]
    assert letter.subject == CONSENT_DA


def test_the_consent_letter_follows_her_interpreter_language_where_nothing_else_is_recorded(
        world, django_capture_on_commit_callbacks):
    father = _father(world, interpreter_language="Dansk")
    _record_consent(world, father, django_capture_on_commit_callbacks)
    letter, = [m for m in mail.outbox if m.to == [father.email]]
    assert letter.subject == CONSENT_DA


def test_no_account_at_her_address_the_set_up_link_follows_her_record(world, django_capture_on_commit_callbacks):
    _danish(world)
    father = _father(world)
    with django_capture_on_commit_callbacks(execute=True):
        access_services.family_member_access_offer(world.convenor, member=father)
    letter, = mail.outbox
    assert letter.subject == SET_UP_DA


def test_one_account_at_her_address_its_holders_own_setting_comes_first(world, django_capture_on_commit_callbacks):
    _danish(world)
    father = _father(world)
    _account_at("v.privat@example.org", "v-privat", preferred_language="de")
    with django_capture_on_commit_callbacks(execute=True):
        access_services.family_member_access_offer(world.convenor, member=father)
    notice, = mail.outbox
    assert notice.subject == NOTICE_DE


def test_one_account_without_a_setting_the_notice_follows_her_record(world, django_capture_on_commit_callbacks):
    _danish(world)
    father = _father(world)
    _account_at("v.privat@example.org", "v-privat")
    with django_capture_on_commit_callbacks(execute=True):
        access_services.family_member_access_offer(world.convenor, member=father)
    notice, = mail.outbox
    assert notice.subject == NOTICE_DA


def test_several_accounts_at_her_address_the_notice_follows_her_record(world, django_capture_on_commit_callbacks):
    """Of several accounts none is the reader more than another: not the first one's setting."""
    _danish(world)
    father = _father(world)
    _account_at("v.privat@example.org", "v-privat", preferred_language="de")
    EmailAddress.objects.create(user=world.foreign_professional, email="v.privat@example.org", verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        access_services.family_member_access_offer(world.convenor, member=father)
    notice, = mail.outbox
    assert notice.subject == NOTICE_DA
