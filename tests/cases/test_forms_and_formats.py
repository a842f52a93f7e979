"""Forms and formats: date inputs carry ISO values in every language, English shows British
dates and a 24-hour clock, team roles follow the organisation's kind, German speaks "Sie" even
in texts that come from allauth and DRF, family records can be corrected, and a locked-out
sign-in is told how long to wait."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from cases import services as case_services
from cases.models import CaseTeamMember, FamilyMember
from participants.models import Membership, Organisation, OrganisationKind
from permissions.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_date_input_is_prefilled_with_an_iso_value_in_german(world, client):
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_family_edit", args=[world.case.pk, world.expected_child.pk]),
                      HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f'value="{world.expected_child.due_date.isoformat()}"' in page
    assert world.expected_child.due_date.strftime("%d.%m.%Y") not in page


def test_english_dates_and_times_are_british_not_american():
    from django.utils import formats

    with translation.override("en"):
        assert formats.date_format(dt.date(2027, 3, 2), "SHORT_DATE_FORMAT") == "02/03/2027"
        assert formats.date_format(dt.datetime(2027, 3, 2, 14, 0), "TIME_FORMAT") == "14:00"


def test_the_team_role_defaults_from_the_organisations_kind(world, client):
    hospital = Organisation.objects.create(network=world.network, name="Hebammenpraxis Nord", kind=OrganisationKind.MIDWIFERY)
    client.force_login(world.convenor)
    response = client.post(reverse("cases:case_team_add", args=[world.case.pk]), {"member": f"o{hospital.pk}", "case_role": ""})
    assert response.status_code == 302
    assert CaseTeamMember.objects.get(case=world.case, organisation=hospital).case_role == CaseTeamMember.CaseRole.MIDWIFERY


def test_a_family_member_is_corrected_and_the_change_is_audited_without_its_values(world, client):
    client.force_login(world.convenor)
    url = reverse("cases:case_family_edit", args=[world.case.pk, world.mother.pk])
    response = client.post(url, {"relation": "mother", "display_name": "Maria", "email": "parent@example.org",
                                 "version": world.mother.version})
    assert response.status_code == 302
    assert FamilyMember.objects.get(pk=world.mother.pk).display_name == "Maria"
    event = AuditEvent.objects.get(action="family_member.update")
    assert event.detail["fields"] == ["display_name"] and "Maria" not in str(event.detail)


def test_a_parent_with_an_account_stays_a_parent(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        case_services.family_member_update(world.convenor, member=world.mother, relation=FamilyMember.Relation.CHILD)


def test_german_texts_from_allauth_and_drf_speak_sie():
    with translation.override("de"):
        assert translation.gettext("Enter a valid email address.") == "Bitte geben Sie eine gültige E-Mail-Adresse ein."
        assert "versuchen Sie" in translation.gettext("Too many failed login attempts. Try again later.")
        assert translation.gettext("Please type your current password.") == "Bitte geben Sie Ihr aktuelles Passwort ein."


def test_a_locked_out_sign_in_is_told_how_long_to_wait(world, client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/10m/key"}
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        response = client.post(reverse("account_login"), {"login": world.counsellor.username, "password": "falsch"},
                               HTTP_ACCEPT_LANGUAGE="de")
    assert "Bitte warten Sie 10 Minuten" in response.content.decode()
