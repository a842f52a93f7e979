"""After an erasure the family member's name is the stored marker; people read it in their language
(newcomer walk 11: "[erased]" stood in English on German pages)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import ERASED_MARK, FamilyMember
from operations import retention
from privacy import services as privacy_services

pytestmark = pytest.mark.django_db


def test_every_eraser_stores_the_one_marker_the_pages_translate():
    assert retention.ERASED == privacy_services.ERASED == ERASED_MARK


@pytest.mark.parametrize(("language", "shown"), [("de", "[gelöscht]"), ("da", "[slettet]"), ("en", "[erased]")])
def test_the_case_page_shows_the_erased_marker_in_the_readers_language(world, client, language, shown):
    FamilyMember.objects.filter(pk=world.mother.pk).update(display_name=ERASED_MARK, erased_at=timezone.now())
    client.force_login(world.convenor)
    client.cookies["django_language"] = language
    page = client.get(reverse("cases:case_detail", args=[world.case.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert shown in page
    if language != "en":
        assert ERASED_MARK not in page
