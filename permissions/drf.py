"""DRF building blocks on the policy: every list filtered, every foreign detail a 404.

A viewset names the policy selector that decides what the user may see, and optionally who may
change an object::

    class ConsentViewSet(PolicyViewSetMixin, viewsets.ReadOnlyModelViewSet):
        queryset = Consent.objects.select_related("given_by")
        serializer_class = ConsentSerializer
        visible_to = staticmethod(policy.consents_for_user)
        may_change = staticmethod(policy.can_manage_consents_of_case_of)

``PolicyFilterBackend`` intersects the view's queryset with ``visible_to(user)`` in SQL (one
statement, whatever the number of rows). Because DRF's ``get_object`` filters through the
backends first, an object the user may not see answers 404, never 403.
"""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.filters import BaseFilterBackend
from rest_framework.permissions import SAFE_METHODS, BasePermission


def _visible(view, user):
    selector = getattr(view, "visible_to", None)
    if selector is None:
        raise ImproperlyConfigured(f"{type(view).__name__} uses the policy backends but names no 'visible_to' selector.")
    return selector(user)


class PolicyFilterBackend(BaseFilterBackend):
    """Keep only rows the policy lets the requesting user see."""

    def filter_queryset(self, request, queryset, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return queryset.none()
        return queryset.filter(pk__in=_visible(view, user).values("pk"))


class PolicyPermission(BasePermission):
    """Authenticated, active users only; writes to one object need ``view.may_change(user, obj)``.

    Reads need no object check here: the object came through ``PolicyFilterBackend`` already.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        check = getattr(view, "may_change", None)
        return bool(check is not None and check(request.user, obj))


class PolicyViewSetMixin:
    """Puts both building blocks on a viewset (and keeps any other filter backends after ours)."""

    permission_classes = [PolicyPermission]

    def get_queryset(self):
        queryset = super().get_queryset()
        return PolicyFilterBackend().filter_queryset(self.request, queryset, self)
