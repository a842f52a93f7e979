"""A conference takes the family member's interpreter language over when the convenor names none;
a later correction of her record reaches the coming conferences that took it over, not the
convenor's own entry, nor a conference already held."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import FamilyMember
from conferences.models import Conference
from permissions.models import AuditEvent
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db


def _needs_interpreter(member: FamilyMember, language: str) -> None:
    FamilyMember.objects.filter(pk=member.pk).update(interpreter_language=language)
    member.refresh_from_db()


def test_a_corrected_interpreter_language_reaches_the_coming_conference(world, login):
    _needs_interpreter(world.mother, "Arabisch")
    conference = convene(world)
    assert conference.interpreter_language == "Arabisch"
    case_services.family_member_update(world.convenor, member=world.mother, version=world.mother.version,
                                       interpreter_language="Farsi")
    conference.refresh_from_db()
    assert conference.interpreter_language == "Farsi"
    page = login(world.convenor).get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "Farsi" in page and "Arabisch" not in page
    event = AuditEvent.objects.get(action="conference.interpreter_language", object_id=str(conference.pk))
    assert "Farsi" not in str(event.detail) and "Arabisch" not in str(event.detail)


def test_the_convenors_own_interpreter_language_stays(world):
    _needs_interpreter(world.mother, "Arabisch")
    conference = convene(world, interpreter_language="Türkisch")
    case_services.family_member_update(world.convenor, member=world.mother, interpreter_language="Farsi")
    conference.refresh_from_db()
    assert conference.interpreter_language == "Türkisch"


def test_a_held_conference_keeps_the_interpreter_it_had(world):
    _needs_interpreter(world.mother, "Arabisch")
    conference = convene(world)
    past = timezone.now() - dt.timedelta(days=1)
    Conference.objects.filter(pk=conference.pk).update(status=Conference.Status.HELD, starts_at=past,
                                                       ends_at=past + dt.timedelta(hours=1))
    case_services.family_member_update(world.convenor, member=world.mother, interpreter_language="Farsi")
    conference.refresh_from_db()
    assert conference.interpreter_language == "Arabisch"


def test_the_old_language_stays_while_another_invited_parent_needs_it(world):
    _needs_interpreter(world.mother, "Arabisch")
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         interpreter_language="Arabisch")
    conference = convene(world)
    conference.invitations.create(family_member=father, required=True)
    case_services.family_member_update(world.convenor, member=world.mother, interpreter_language="")
    conference.refresh_from_db()
    assert conference.interpreter_language == "Arabisch"
