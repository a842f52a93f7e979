"""Ticking "A child is expected" when opening a case shows on the case page and says what it is for
(newcomer walk 11: it had no visible effect)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case

pytestmark = pytest.mark.django_db


def test_the_case_page_says_a_child_was_expected_at_the_opening(world, client):
    client.force_login(world.convenor)
    url = reverse("cases:case_detail", args=[world.case.pk])
    Case.objects.filter(pk=world.case.pk).update(expected_child_at_opening=False)
    assert "A child was expected" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    Case.objects.filter(pk=world.case.pk).update(expected_child_at_opening=True)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A child was expected" in page


def test_the_opening_form_says_what_the_box_is_for(world, client):
    client.force_login(world.convenor)
    form = client.get(reverse("cases:case_create"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "half-year figures" in form
