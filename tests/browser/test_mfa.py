"""Browser: a professional signs in through the real login form with password and TOTP code; one
without an authenticator is held on the setup page and never reaches the overview."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.urls import reverse

from tests.world import PASSWORD


def code_valid_for_a_while(secret: str, *, at_least: float = 8.0) -> str:
    """The current code, taken early enough in its 30-second window that it is still valid when
    the server checks it (a code typed in the window's last second was refused on a busy machine,
    and the test waited for an overview that never came)."""
    totp = pyotp.TOTP(secret)
    left = totp.interval - time.time() % totp.interval
    if left < at_least:
        time.sleep(left + 0.2)
    return totp.now()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    # The middleware reads the setting on every request, so the live server sees the override.
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    cache.clear()  # login rate limits live in the cache
    yield
    cache.clear()


def sign_in(page, live_server, user) -> None:
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Username or e-mail").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_professional_with_totp_enters_the_code_and_reaches_the_overview(live_server, page, world):
    secret = generate_totp_secret()
    TOTP.activate(world.counsellor, secret)

    sign_in(page, live_server, world.counsellor)

    page.wait_for_url(re.compile(re.escape(reverse("mfa_authenticate")) + r"$"))
    code_field = page.locator("input[name=code]")
    expect(code_field).to_be_visible()
    code_field.fill(code_valid_for_a_while(secret))
    code_field.press("Enter")

    page.wait_for_url(live_server.url + reverse("dashboard"))
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    page.goto(live_server.url + reverse("cases:case_list"))
    assert page.url == live_server.url + reverse("cases:case_list")


def test_a_wrong_code_keeps_the_professional_out(live_server, page, world):
    secret = generate_totp_secret()
    TOTP.activate(world.counsellor, secret)

    sign_in(page, live_server, world.counsellor)
    page.wait_for_url(re.compile(re.escape(reverse("mfa_authenticate")) + r"$"))
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    page.locator("input[name=code]").fill(wrong)
    page.locator("input[name=code]").press("Enter")

    page.wait_for_load_state()
    assert page.url.endswith(reverse("mfa_authenticate"))
    page.goto(live_server.url + reverse("dashboard"))
    # not signed in: the overview sends her back to the pending second-factor step (or the login)
    assert page.url.endswith(reverse("mfa_authenticate")) or reverse("account_login") in page.url, page.url
    assert page.get_by_role("heading", name="Overview", level=1).count() == 0


def test_professional_without_authenticator_is_sent_to_setup_and_cannot_open_the_overview(live_server, page, world):
    sign_in(page, live_server, world.counsellor)

    page.wait_for_load_state()
    setup_or_reauth = re.compile(
        "(" + re.escape(reverse("mfa_activate_totp")) + "|" + re.escape(reverse("account_reauthenticate")) + ")"
    )
    assert setup_or_reauth.search(page.url), page.url

    page.goto(live_server.url + reverse("dashboard"))
    assert setup_or_reauth.search(page.url), page.url
    assert page.get_by_role("heading", name="Overview", level=1).count() == 0

    page.goto(live_server.url + reverse("cases:case_list"))
    assert setup_or_reauth.search(page.url), page.url
    assert world.case.reference not in page.content()
