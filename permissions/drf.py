"""DRF building blocks on the policy: every list filtered, every foreign detail a 404.

A viewset names the policy selector that decides what the user may see, and optionally who may
change an object::

    class ConsentViewSet(PolicyViewSetMixin, viewsets.ReadOnlyModelViewSet):
        queryset = Consent.objects.select_related("given_by")
        serializer_class = ConsentSerializer
        visible_to = staticmethod(cases_policy.consents_for_user)
        may_change = staticmethod(cases_policy.can_revoke_consent)

``PolicyFilterBackend`` intersects the view's queryset with ``visible_to(user)`` in SQL (one
statement, whatever the number of rows). Because DRF's ``get_object`` filters through the
backends first, an object the user may not see answers 404, never 403. The rules come from the
apps above (``cases/api/consent_views.py``); the audited list and read of case content
(``AuditedListMixin``, ``AuditedReadMixin``) are in ``cases/api/audited.py``, as the basis of a
read ("team" or "family") is the case's.
"""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Window
from django.http import Http404
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.views import exception_handler as drf_exception_handler


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


MAX_DB_INT = 2**63 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=`` is capped at ``max_limit``; an ``?offset=`` beyond what a database integer holds
    is a 400 with the field's reason (it was a 500: the database could not bind the number)."""

    max_limit = 500

    def paginate_queryset(self, queryset, request, view=None):
        """The page and the total in ONE statement (``COUNT(*) OVER ()`` on each row of the page)
        instead of a count and then the page: the policy filter runs once per list, not twice.
        An empty page past the end still asks for the count. Querysets whose rows a window would
        count wrongly (DISTINCT, aggregates) or that are not querysets take DRF's two statements."""
        query = getattr(queryset, "query", None)
        if query is None or query.distinct or query.group_by is not None or query.combinator:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        rows = list(queryset.annotate(_page_total=Window(Count("*")))[self.offset:self.offset + self.limit])
        self.count = rows[0]._page_total if rows else (0 if self.offset == 0 else queryset.count())
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return rows

    def get_offset(self, request) -> int:
        offset = super().get_offset(request)
        if offset > MAX_DB_INT:
            raise ValidationError({self.offset_query_param: ["Give a smaller offset."]})
        return offset


def query_id(request, name: str) -> int | None:
    """An optional id filter from the query string: None when absent, a 400 naming the parameter
    when it is not an id."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_DB_INT:
        raise ValidationError({name: ["Give a valid id."]})
    return int(raw)


def exception_handler(exc, context):
    """DRF's handler, and a 400 instead of a 500 for a number too large for the database (an id
    in a related field that no serializer bound: SQLite cannot even bind it). A 404 says DRF's own
    translated "Not found." instead of Django's English "No Conference matches the given query."
    (newcomer walk 11), the same words whatever kind of object was asked for."""
    if isinstance(exc, OverflowError):
        exc = ValidationError({"non_field_errors": ["A number in the request is too large."]})
    if isinstance(exc, Http404):
        exc = NotFound()
    return drf_exception_handler(exc, context)
