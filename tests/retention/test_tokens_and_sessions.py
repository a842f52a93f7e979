"""Revoked or expired tokens and dead sessions are deleted after their time."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from calendars.models import FeedToken
from conferences.models import PollLink
from permissions.models import LoginSession
from operations.retention import retention_apply

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
