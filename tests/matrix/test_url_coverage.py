"""Every named URL pattern of the project must appear in some matrix module's URL_NAMES.

A new URL without a row in the permission matrix fails the suite. Exemptions are explicit,
each with its reason.
"""
from __future__ import annotations

import importlib
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import tests.matrix

EXEMPT_PREFIXES = {
    "admin:": "Django admin: staff-only configuration screens, guarded by Django's own staff check; case content is not registered there.",
    "account_": "django-allauth authentication pages (login, logout, reset, e-mail): no case data; tested in tests/permissions/test_authentication.py.",
    "mfa_": "django-allauth second-factor pages: no case data; tested in tests/permissions/test_authentication.py and tests/browser/test_mfa.py.",
}
EXEMPT_NAMES = {
    "set_language": "The header's language switch: stores a cookie and a signed-in person's own language setting, shows no data; tested in tests/participants/test_language_switch.py.",
    "api-schema": "OpenAPI schema: describes endpoints, carries no user data.",
    "static": "static files (development only).",
}


def project_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns)
    return names


def covered_url_names() -> dict[str, str]:
    covered: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(tests.matrix.__path__):
        if not module_info.name.startswith("test_matrix_"):
            continue
        module = importlib.import_module(f"tests.matrix.{module_info.name}")
        for name in getattr(module, "URL_NAMES", ()):
            covered[name] = module_info.name
    return covered


def is_exempt(name: str) -> bool:
    return name in EXEMPT_NAMES or any(name.startswith(prefix) for prefix in EXEMPT_PREFIXES)


def test_every_project_url_has_a_row_in_the_permission_matrix():
    missing = sorted(name for name in project_url_names() if not is_exempt(name) and name not in covered_url_names())
    assert not missing, "URL patterns without a permission-matrix row (add them to a tests/matrix/test_matrix_*.py URL_NAMES):\n" + "\n".join(missing)


def test_matrix_modules_name_only_urls_that_exist():
    unknown = sorted(set(covered_url_names()) - project_url_names())
    assert not unknown, f"URL_NAMES that no longer resolve: {unknown}"
