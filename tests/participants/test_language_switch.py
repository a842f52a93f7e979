"""The header's language switch: signed in, it saves her language setting as the account page
does (her e-mails, feeds and reminders change with her pages); signed out, only the cookie."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from participants import language
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def _switch(client, code: str, next_url: str):
    return client.post(reverse("set_language"), {"language": code, "next": next_url})


def test_the_header_switch_saves_her_setting_and_returns_to_the_same_page(world, login):
    client = login(world.counsellor)
    page = reverse("protocols:my_actions")
    response = _switch(client, "da", page)
    assert response.status_code == 302 and response["Location"] == page
    world.counsellor.refresh_from_db()
    assert world.counsellor.preferred_language == "da"
    assert language.for_user(world.counsellor) == "da"  # her e-mails, feeds and reminders
    event = AuditEvent.objects.get(action="account.language_set", actor=world.counsellor)
    assert event.detail["language"] == "da"
    html = client.get(page).content.decode()
    assert '<html lang="da">' in html and "Dit sprog er gemt." in html


def test_the_header_switch_saves_nothing_when_the_language_stays_the_same(world, login):
    world.counsellor.preferred_language = "da"
    world.counsellor.save(update_fields=["preferred_language"])
    _switch(login(world.counsellor), "da", "/")
    assert not AuditEvent.objects.filter(action="account.language_set").exists()


def test_an_unknown_language_from_the_header_changes_nothing(world, login):
    client = login(world.counsellor)
    _switch(client, "xx", "/")
    world.counsellor.refresh_from_db()
    assert world.counsellor.preferred_language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_signed_out_the_header_switch_only_sets_the_cookie(client):
    response = _switch(client, "da", reverse("account_login"))
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "da"
    assert not AuditEvent.objects.filter(action="account.language_set").exists()


def test_the_header_and_the_account_page_name_her_saved_language_on_any_browser(world, login):
    """She chose Danish on another computer: this browser's cookie says English, her pages, the
    header's switch and the account page's setting all say Danish."""
    world.counsellor.preferred_language = "da"
    world.counsellor.save(update_fields=["preferred_language"])
    client = login(world.counsellor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("account")).content.decode()
    assert '<html lang="da">' in html
    header, setting = (re.search(rf'<select name="language"[^>]*id="{id_}"[^>]*>(.*?)</select>', html, re.S).group(1)
                       for id_ in ("language-select", "id_language"))
    assert '<option value="da" selected lang="da">' in header
    assert '<option value="da" selected lang="da">' in setting
    assert '<option value="en" selected' not in html
