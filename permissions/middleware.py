"""Headers that keep case data out of caches and referrers."""

from __future__ import annotations


class PrivacyHeadersMiddleware:
    """Every response: no referrer. Every response to a logged-in user: never stored by caches."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or getattr(response, "carries_case_data", False):
            response.headers["Cache-Control"] = "no-store"
        return response


# --- Sessions and the second factor (OWASP ASVS level 2) -------------------------------------

import time  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model, logout  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.urls import resolve, reverse  # noqa: E402
from django.urls.exceptions import Resolver404  # noqa: E402

SESSION_STARTED = "_fk_started"
SESSION_SEEN = "_fk_seen"
# Pages a professional without a second factor may still reach: setting one up, and leaving.
MFA_SETUP_ALLOWED = {
    "favicon",
    "mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "mfa_reauthenticate", "mfa_reauthenticate_webauthn",
    "mfa_generate_recovery_codes", "mfa_view_recovery_codes", "mfa_download_recovery_codes", "mfa_authenticate",
    "account_logout", "account_login", "account_reauthenticate", "set_language", "accessibility",
}


def needs_second_factor(user) -> bool:
    """Professionals and technical admins always (when the setting is on); parents and board
    members only where their network requires it. Read through the user's own relations: this
    module sits below the participants app and knows none of its models."""
    if not getattr(settings, "MFA_REQUIRED_FOR_PROFESSIONALS", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    if user.memberships.filter(is_active=True).exists():
        return True
    return (
        user.network_roles.filter(network__parents_require_mfa=True).exists()
        or get_user_model().objects.filter(pk=user.pk, family_member__case__network__parents_require_mfa=True).exists()
    )


def has_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]).exists()


class SessionSecurityMiddleware:
    """Ends sessions after ``SESSION_IDLE_SECONDS`` of inactivity and after ``SESSION_COOKIE_AGE``
    in total, and keeps a user who must have a second factor on its setup pages until she has one.
    Place it after AuthenticationMiddleware and allauth's AccountMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Session expired."}, status=401)
                return redirect(f"{reverse('account_login')}?next={request.path}")
            if self._must_set_up_mfa(request, user):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Set up a second factor first."}, status=403)
                return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _expired(request) -> bool:
        now = int(time.time())
        session = request.session
        started = session.get(SESSION_STARTED)
        seen = session.get(SESSION_SEEN)
        if started is None:
            session[SESSION_STARTED] = started = now
        if now - started > settings.SESSION_COOKIE_AGE:
            return True
        if seen is not None and now - seen > settings.SESSION_IDLE_SECONDS:
            return True
        if seen is None or now - seen >= 30:  # write at most every 30 s
            session[SESSION_SEEN] = now
        return False

    @staticmethod
    def _must_set_up_mfa(request, user) -> bool:
        if request.path.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL):
            return False
        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            return False
        if name in MFA_SETUP_ALLOWED:
            return False
        cached = getattr(request, "_fk_mfa_ok", None)
        if cached is None:
            cached = request._fk_mfa_ok = _second_factor_ok(user)
        return not cached


def _second_factor_ok(user) -> bool:
    """Whether the user may go on: she needs no second factor, or has one. Read from the flags the
    session store loaded with her (``permissions.session_store``) where it did, else asked."""

    flags = getattr(user, SECOND_FACTOR_FLAGS, None)
    if flags is None or not getattr(settings, "MFA_REQUIRED_FOR_PROFESSIONALS", False):
        return (not needs_second_factor(user)) or has_second_factor(user)
    by_relations, has = flags
    return not (user.is_staff or user.is_superuser or by_relations) or has


# --- The signed-in user, loaded with the session --------------------------------------------

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth import get_user as _django_get_user  # noqa: E402
from django.contrib.auth import load_backend  # noqa: E402
from django.contrib.auth.backends import ModelBackend  # noqa: E402
from django.contrib.auth.middleware import AuthenticationMiddleware as _DjangoAuthenticationMiddleware  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.utils.crypto import constant_time_compare  # noqa: E402
from django.utils.functional import SimpleLazyObject  # noqa: E402

from permissions.session_store import SECOND_FACTOR_FLAGS  # noqa: E402


def get_user(request):
    """``django.contrib.auth.get_user`` without its second statement where the session store
    already loaded the user with the session. The preloaded user is accepted only on Django's own
    straight path: the session's user id, a backend that loads users by id (``ModelBackend``'s
    ``get_user``), an active user, and the session's hash equal to her current one. Everything
    else (no preloaded user, another backend, a hash under a fallback secret or a changed
    password, which flushes the session) is Django's ``get_user`` unchanged."""
    session = request.session
    try:  # reading a key loads the session (and with it the preloaded user)
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError, TypeError, ValidationError):
        return _django_get_user(request)
    user = getattr(session, "preloaded_user", None)
    if user is None:
        return _django_get_user(request)
    if user.pk != user_id or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return _django_get_user(request)
    backend = load_backend(backend_path)
    if type(backend).get_user is not ModelBackend.get_user or not backend.user_can_authenticate(user):
        return _django_get_user(request)
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return _django_get_user(request)
    return user


class AuthenticationMiddleware(_DjangoAuthenticationMiddleware):
    """Django's, with ``request.user`` from ``get_user`` above (one statement less per request)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
