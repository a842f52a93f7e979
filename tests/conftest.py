"""Shared fixtures: the standing world of users per role, and the browser launch settings."""
from __future__ import annotations

import os
import shutil

import pytest

from tests.world import PASSWORD, World, build_world

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _english_unless_a_test_asks(settings):
    """The product speaks German by default; tests assert English msgids unless they switch
    language themselves (tests/test_translations.py does)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def login(client):
    """Log a user in through Django's session machinery (second factor is tested on its own)."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if CHROMIUM is None:
        return browser_type_launch_args
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    }


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Browser tests last: Playwright's session-wide event loop stays running after the first
    # browser test, and pytest-asyncio (websocket tests) cannot start its own loop inside it.
    items.sort(key=lambda item: "browser" in item.keywords)
    if CHROMIUM is not None:
        return
    skip = pytest.mark.skip(reason="No Chromium found (install Debian's 'chromium' to run browser tests)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
