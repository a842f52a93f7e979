"""Session bookkeeping: remember whose session is whose, end them when an account is disabled, and
close open sockets at once at logout, deactivation, a password change and a second-factor reset."""
from __future__ import annotations

import time
from importlib import import_module

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete as _post_delete
from django.db.models.signals import post_save as _post_save
from django.db.models.signals import pre_save as _pre_save

from permissions import events, live_sessions
from permissions.middleware import SESSION_SEEN, SESSION_STARTED
from permissions.models import LoginSession


def connect_sessions() -> None:
    """Remember whose session is whose; end every session of a user the moment she is disabled."""

    def logged_in(sender, request, user, **kwargs):
        session = request.session
        now = int(time.time())
        session[SESSION_STARTED] = now
        session[SESSION_SEEN] = now
        if session.session_key is None:
            session.save()
        LoginSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})

    def logged_out(sender, request, user, **kwargs):
        key = getattr(getattr(request, "session", None), "session_key", None)
        if key:
            LoginSession.objects.filter(session_key=key).delete()
            transaction.on_commit(lambda: live_sessions.close_session_sockets(key))

    def user_disabled(sender, instance, created, **kwargs):
        if created or instance.is_active:
            return
        end_sessions_of(instance.pk)
        # First the access change (her protocol screens close with 4403, "no longer yours"), then
        # the end of her sessions (4401) for every other socket she has open.
        events.people_changed_on_commit(user_ids=[instance.pk])
        transaction.on_commit(lambda: live_sessions.close_user_sockets(instance.pk))

    def remember_password_change(sender, instance, update_fields=None, **kwargs):
        # Whatever changed the password (her account page, a reset link, the admin's "send a reset
        # link" making it unusable, manage.py changepassword): compare with the stored hash.
        instance._password_changed = False
        if instance.pk is None or (update_fields is not None and "password" not in update_fields):
            return
        stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
        instance._password_changed = stored is not None and stored != instance.password

    def password_changed(sender, instance, created, **kwargs):
        # Like logout and deactivation: every open socket of hers closes at once. Her other
        # sessions have ended with the old password hash; the session she changed it in keeps
        # its updated hash, so its pages reconnect at once.
        if not created and getattr(instance, "_password_changed", False):
            instance._password_changed = False
            transaction.on_commit(lambda: live_sessions.close_user_sockets(instance.pk))

    def second_factor_removed(sender, instance, **kwargs):
        # A reset second factor (by the user or an admin) ends her live sockets at once; on
        # reconnecting, the socket asks for the factor again where it is required.
        transaction.on_commit(lambda: live_sessions.close_user_sockets(instance.user_id))

    user_logged_in.connect(logged_in, dispatch_uid="permissions.sessions.login", weak=False)
    user_logged_out.connect(logged_out, dispatch_uid="permissions.sessions.logout", weak=False)
    User = get_user_model()
    _post_save.connect(user_disabled, sender=User, dispatch_uid="permissions.sessions.disabled", weak=False)
    _pre_save.connect(remember_password_change, sender=User, dispatch_uid="permissions.sessions.password_seen", weak=False)
    _post_save.connect(password_changed, sender=User, dispatch_uid="permissions.sessions.password_changed", weak=False)
    _post_delete.connect(second_factor_removed, sender=Authenticator, dispatch_uid="permissions.sessions.mfa_reset", weak=False)


def end_sessions_of(user_id: int) -> int:
    """Delete every session of the user from the session store; returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user_id=user_id).delete()
    return len(keys)
