"""Every DRF list endpoint of the project is filtered by the policy.

The test walks Django's URL resolver (so a viewset added tomorrow is checked without touching
this file), builds each DRF list view as DRF would for a GET, and asserts that a professional who
is not on the world's case gets no row that belongs to that case, while the convenor does get
such rows from some endpoints (so the check cannot pass by looking at nothing).
"""
from __future__ import annotations

from collections import deque

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.exceptions import APIException
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory, force_authenticate

from cases.models import Case
from permissions.drf import PolicyFilterBackend, PolicyViewSetMixin

pytestmark = pytest.mark.django_db


def drf_list_views() -> list[tuple[str, URLPattern]]:
    """(route, pattern) of every DRF generic view reachable with GET for a list."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns, prefix: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                cls = getattr(pattern.callback, "cls", None)
                if cls is None or not issubclass(cls, GenericAPIView):
                    continue
                actions = getattr(pattern.callback, "actions", None) or {}
                if actions and actions.get("get") != "list":
                    continue
                if not actions and "pk" in pattern.pattern.regex.groupindex:
                    continue
                found.append((prefix + str(pattern.pattern), pattern))

    walk(get_resolver().url_patterns)
    return found


def paths_to_case(model, max_depth: int = 4) -> list[str]:
    """Every lookup from ``model`` to conferences.Case along forward foreign keys (a protocol item
    reaches its case through its protocol and, when set, through the person who entrusted it)."""
    if model is Case:
        return ["pk"]
    paths: list[str] = []
    queue = deque([(model, "", frozenset({model}))])
    while queue:
        current, path, seen = queue.popleft()
        if path.count("__") >= max_depth:
            continue
        for field in current._meta.get_fields():
            if not (field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete):
                continue
            target = field.related_model
            lookup = f"{path}__{field.name}" if path else field.name
            if target is Case:
                paths.append(lookup)
            elif target not in seen:
                queue.append((target, lookup, seen | {target}))
    return paths


def of_case(rows, case):
    """The rows that belong to ``case`` by any of their paths, or None when none leads there."""
    paths = paths_to_case(rows.model)
    if not paths:
        return None
    condition = Q()
    for lookup in paths:
        condition |= Q(**{lookup: case.pk})
    return rows.filter(condition)


def kwargs_for(pattern: URLPattern, world) -> dict:
    """Values for a nested route's URL arguments, taken from the world's case."""
    known = {
        "case": world.case.pk, "conference": world.conference.pk, "protocol": world.protocol.pk,
        "item": world.item_restricted.pk, "protocol_item": world.item_restricted.pk, "action": world.action_counselling.pk,
        "consent": world.consent.pk, "network": world.network.pk,
    }
    values = {}
    for name in pattern.pattern.regex.groupindex:
        if name == "format":
            continue
        base = name.removesuffix("_pk").removesuffix("_id").removeprefix("parent_lookup_")
        values[name] = str(known.get(base, world.case.pk))
    return values


def list_queryset(pattern: URLPattern, user, world):
    """The rows the list view would serialise for ``user``, or None when it refuses outright."""
    callback = pattern.callback
    view = callback.cls(**getattr(callback, "initkwargs", {}))
    django_request = APIRequestFactory().get("/api/")
    force_authenticate(django_request, user=user)
    view.args, view.kwargs = (), kwargs_for(pattern, world)
    view.action_map = getattr(callback, "actions", None) or {}
    view.request = view.initialize_request(django_request, *view.args, **view.kwargs)
    view.format_kwarg = None
    if view.action_map:
        view.action = view.action_map.get("get")
    assert isinstance(view.request, Request)
    try:
        view.initial(view.request, *view.args, **view.kwargs)  # authentication and permission checks
        return view.filter_queryset(view.get_queryset())
    except (Http404, PermissionDenied, APIException):
        return None


def is_policy_filtered(cls) -> bool:
    """Structurally: the policy backend, the policy mixin, or an own get_queryset."""
    return (
        issubclass(cls, PolicyViewSetMixin)
        or any(issubclass(backend, PolicyFilterBackend) for backend in getattr(cls, "filter_backends", ()))
        or any("get_queryset" in vars(klass) for klass in cls.__mro__ if klass not in GenericAPIView.__mro__)
    )


def test_the_project_has_drf_list_endpoints_to_check():
    assert len(drf_list_views()) >= 3


def test_every_drf_view_is_filtered_by_the_policy_or_its_own_queryset():
    unfiltered = sorted({pattern.callback.cls.__qualname__ for _, pattern in drf_list_views() if not is_policy_filtered(pattern.callback.cls)})
    assert not unfiltered, f"DRF views without the policy filter backend or a policy-filtered get_queryset: {unfiltered}"


def test_no_api_list_shows_an_outsider_anything_of_a_case_she_is_not_on(world):
    leaks, checked, convenor_sees = [], [], []
    for route, pattern in drf_list_views():
        outsider_rows = list_queryset(pattern, world.outsider, world)
        if outsider_rows is None:
            checked.append(route)  # refused outright: nothing shown
            continue
        leaked = of_case(outsider_rows, world.case)
        if leaked is None:
            continue  # no case data in this endpoint (summaries, feed tokens, ...)
        checked.append(route)
        if leaked.exists():
            leaks.append(f"{route} ({outsider_rows.model.__name__} {sorted(leaked.values_list('pk', flat=True))})")
        convenor_rows = list_queryset(pattern, world.convenor, world)
        if convenor_rows is not None and of_case(convenor_rows, world.case).exists():
            convenor_sees.append(route)
    assert not leaks, "API lists that show an outsider rows of a case she is not on:\n" + "\n".join(leaks)
    assert checked, "no DRF list endpoint with case data was found"
    assert len(convenor_sees) >= 3, f"the convenor should see her case's rows through the API lists; she did through {convenor_sees}"


def test_a_parent_of_another_case_sees_nothing_of_this_case_through_the_api(world):
    leaks = []
    for route, pattern in drf_list_views():
        rows = list_queryset(pattern, world.other_parent, world)
        leaked = None if rows is None else of_case(rows, world.case)
        if leaked is not None and leaked.exists():
            leaks.append(route)
    assert not leaks, leaks
