"""A family member's own access needs, interpreter language and language for letters are recorded
on her entry in the case (the conference page reads the needs from there, per person): the add
and correct forms carry them, and a correction keeps what it does not change."""
from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import FamilyMember
from conferences.models import Invitation

pytestmark = pytest.mark.django_db


def test_the_caseworker_records_a_parents_needs_and_languages_on_the_add_form(world, client):
    client.force_login(world.convenor)
    form = client.get(reverse("cases:case_family_add", args=[world.case.pk])).content.decode()
    for name in ("access_needs", "interpreter_language", "language"):
        assert f'name="{name}"' in form
    answer = client.post(reverse("cases:case_family_add", args=[world.case.pk]), {
        "relation": "father", "display_name": "D.", "email": "", "birth_year": "", "due_date": "",
        "language": "da", "interpreter_language": "Arabisch", "access_needs": "  Termin nach der Methadonausgabe (8:30)  "})
    assert answer.status_code == 302
    father = FamilyMember.objects.get(case=world.case, display_name="D.")
    assert (father.language, father.interpreter_language, father.access_needs) == (
        "da", "Arabisch", "Termin nach der Methadonausgabe (8:30)")


def test_a_correction_of_the_needs_reaches_the_conference_page(world, client):
    Invitation.objects.get_or_create(conference=world.conference, family_member=world.mother)
    client.force_login(world.convenor)
    url = reverse("cases:case_family_edit", args=[world.case.pk, world.mother.pk])
    page = client.get(url).content.decode()
    assert 'name="access_needs"' in page
    mother = FamilyMember.objects.get(pk=world.mother.pk)
    answer = client.post(url, {"relation": mother.relation, "display_name": mother.display_name, "email": mother.email,
                               "birth_year": mother.birth_year or "", "due_date": "", "language": "",
                               "interpreter_language": "", "access_needs": "Stufenloser Raum", "version": mother.version})
    assert answer.status_code == 302
    assert FamilyMember.objects.get(pk=world.mother.pk).access_needs == "Stufenloser Raum"
    conference = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert "Stufenloser Raum" in conference


def test_a_language_that_is_not_offered_is_refused_at_the_field(world, client):
    client.force_login(world.convenor)
    answer = client.post(reverse("cases:case_family_add", args=[world.case.pk]), {
        "relation": "father", "display_name": "D.", "language": "xx"})
    assert answer.status_code == 400
    assert not FamilyMember.objects.filter(case=world.case, display_name="D.").exists()
