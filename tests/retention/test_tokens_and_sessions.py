"""Revoked or expired tokens and dead sessions are deleted after their time."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from calendars.models import FeedToken
from cases import access_services
from cases.models import AccessOffer, FamilyMember
from conferences.models import PollLink
from permissions.models import LoginSession
from operations.retention import retention_apply
from participants.models import User
from tests.access_offers import account_by_link, offer_of

pytestmark = pytest.mark.django_db


def _token(user, name: str, **dates) -> FeedToken:
    return FeedToken.objects.create(user=user, kind=FeedToken.Kind.PERSONAL, token_hash=name.ljust(64, "0"), **dates)


def test_feed_tokens_revoked_or_expired_more_than_thirty_days_ago_are_deleted(world):
    now = timezone.now()
    old_revoked = _token(world.counsellor, "a", revoked_at=now - dt.timedelta(days=31))
    old_expired = _token(world.midwife, "b", expires_at=now - dt.timedelta(days=40))
    recently_revoked = _token(world.convenor, "c", revoked_at=now - dt.timedelta(days=10))
    live = _token(world.lead_colleague, "d", expires_at=now + dt.timedelta(days=300))

    report = retention_apply()

    assert report.feed_tokens_deleted == 2
    remaining = set(FeedToken.objects.values_list("pk", flat=True))
    assert remaining == {recently_revoked.pk, live.pk}
    assert old_revoked.pk not in remaining and old_expired.pk not in remaining


def test_poll_links_expired_more_than_thirty_days_ago_are_deleted_and_live_ones_kept(world):
    now = timezone.now()
    stale = PollLink.objects.create(invitation=world.invitation_parent, token_hash="p1".ljust(64, "0"), expires_at=now - dt.timedelta(days=45))
    live = PollLink.objects.create(invitation=world.invitation_parent, token_hash="p2".ljust(64, "0"), expires_at=now + dt.timedelta(days=3))

    report = retention_apply()

    assert report.poll_links_deleted == 1
    assert list(PollLink.objects.values_list("pk", flat=True)) == [live.pk]
    assert not PollLink.objects.filter(pk=stale.pk).exists()


def test_the_token_retention_follows_the_setting(world, settings):
    settings.TOKEN_RETENTION_DAYS = 5
    _token(world.counsellor, "e", revoked_at=timezone.now() - dt.timedelta(days=6))

    assert retention_apply().feed_tokens_deleted == 1


def test_expired_sessions_and_their_login_records_are_deleted(world):
    live, dead = SessionStore(), SessionStore()
    live.create()
    dead.create()
    Session.objects.filter(session_key=dead.session_key).update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    LoginSession.objects.create(user=world.counsellor, session_key=live.session_key)
    LoginSession.objects.create(user=world.midwife, session_key=dead.session_key)

    report = retention_apply()

    assert report.sessions_deleted == 1 and report.login_sessions_deleted == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(LoginSession.objects.values_list("user_id", flat=True)) == [world.counsellor.pk]


def test_access_offers_go_with_the_tokens_and_an_account_made_for_an_untaken_offer_is_retired(world):
    """An offer of access (a code's hash and dates) goes TOKEN_RETENTION_DAYS after it expired or
    was used; the account made for an offer the parent never took (she never chose a password)
    does not stay behind with her name and address: it is retired with its last offer."""
    now = timezone.now()
    untaken_member = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER,
                                                 display_name="V.", email="vater-nie@example.org")
    untaken = offer_of(access_services.family_member_access_offer(world.convenor, member=untaken_member))
    taken_member = FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER,
                                               display_name="M.", email="mutter-ja@example.org")
    taken_account = account_by_link(world.lead_colleague, taken_member)
    recent_member = FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.FATHER,
                                                display_name="W.", email="vater-neu@example.org")
    recent = offer_of(access_services.family_member_access_offer(world.lead_colleague, member=recent_member))
    AccessOffer.objects.filter(pk=untaken.pk).update(expires_at=now - dt.timedelta(days=31))
    AccessOffer.objects.filter(member=taken_member).update(used_at=now - dt.timedelta(days=40))

    report = retention_apply()

    assert set(AccessOffer.objects.values_list("pk", flat=True)) == {recent.pk}
    assert report.other_rows["access offers deleted"] == 2
    assert report.other_rows["accounts of untaken access offers retired"] == 1
    gone = User.objects.get(pk=untaken.account_id)
    assert (gone.is_active, gone.email, gone.first_name) == (False, "", "")
    assert not gone.has_usable_password()
    kept = User.objects.get(pk=taken_account.pk)  # she took it: her account stays hers
    assert kept.is_active and kept.email == "mutter-ja@example.org"
    assert User.objects.get(pk=recent.account_id).is_active  # an offer still open keeps its account
