"""Session bookkeeping: remember whose session is whose, and end them when an account is disabled."""
from __future__ import annotations


def connect_sessions() -> None:
    """Remember whose session is whose; end every session of a user the moment she is disabled."""
    import time

    from allauth.mfa.models import Authenticator
    from django.contrib.auth.signals import user_logged_in, user_logged_out
    from django.db import transaction
    from django.db.models.signals import post_delete as _post_delete
    from django.db.models.signals import post_save as _post_save

    from permissions import live_sessions

    from participants.models import User
    from permissions.middleware import SESSION_SEEN, SESSION_STARTED
    from permissions.models import LoginSession

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
        transaction.on_commit(lambda: live_sessions.close_user_sockets(instance.pk))

    def second_factor_removed(sender, instance, **kwargs):
        # A reset second factor (by the user or an admin) ends her live sockets at once; on
        # reconnecting, the socket asks for the factor again where it is required.
        transaction.on_commit(lambda: live_sessions.close_user_sockets(instance.user_id))

    user_logged_in.connect(logged_in, dispatch_uid="permissions.sessions.login", weak=False)
    user_logged_out.connect(logged_out, dispatch_uid="permissions.sessions.logout", weak=False)
    _post_save.connect(user_disabled, sender=User, dispatch_uid="permissions.sessions.disabled", weak=False)
    _post_delete.connect(second_factor_removed, sender=Authenticator, dispatch_uid="permissions.sessions.mfa_reset", weak=False)


def end_sessions_of(user_id: int) -> int:
    """Delete every session of the user from the session store; returns how many."""
    from importlib import import_module

    from django.conf import settings

    from permissions.models import LoginSession

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user_id=user_id).delete()
    return len(keys)
