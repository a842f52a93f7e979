"""A conference takes the family member's interpreter language over when the convenor names none;
a later correction of her record reaches the coming conferences that took it over, not the
convenor's own entry, nor a conference already held."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases import services as case_services
from cases.models import CaseTeamMember, FamilyMember
from conferences import services as conference_services
from conferences.models import Conference
from notifications.messages import text_of
from notifications.models import Kind, Notification
from permissions.models import AuditEvent
from tests.conferences.helpers import convene, local
from tests.privacy.test_erasure_is_a_fact import _erase

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
    assert event.detail["reason"] == "family_member_update" and event.actor_id == world.convenor.pk


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


def test_the_convenor_is_told_to_check_the_interpreter_booking(world, committed, mailoutbox, login):
    """When a colleague corrected the record, the convenor books the interpreter: she gets a
    notification (in-app and by e-mail) that opens the conference, naming neither language."""
    _needs_interpreter(world.mother, "Arabisch")
    with committed():
        conference = convene(world)
    mailoutbox.clear()
    with committed():
        case_services.family_member_update(world.lead_colleague, member=world.mother, version=world.mother.version,
                                           interpreter_language="Farsi")
    notice = Notification.objects.get(recipient=world.convenor, kind=Kind.INTERPRETER_CHANGED)
    assert notice.url == reverse("conferences:conference_detail", args=[conference.pk])
    overview = login(world.convenor).get(reverse("notifications:list")).content.decode()
    assert "Please check the interpreter booking" in overview
    with translation.override("de"):
        assert "Bitte prüfen Sie die Buchung der Dolmetschung" in text_of(notice)
    with translation.override("da"):
        assert "Kontrollér venligst bestillingen af tolken" in text_of(notice)
    mails = [m for m in mailoutbox if world.convenor.email in m.to]
    assert mails, "the convenor's notification e-mail"
    for text in [overview, *(m.subject + m.body for m in mails)]:
        assert "Farsi" not in text and "Arabisch" not in text


def test_a_newly_noted_interpreter_language_fills_a_conference_that_has_none(world, committed):
    with committed():
        conference = convene(world)
    assert conference.interpreter_language == ""
    with committed():
        case_services.family_member_update(world.lead_colleague, member=world.mother, version=world.mother.version,
                                           interpreter_language="Tigrinya")
    conference.refresh_from_db()
    assert conference.interpreter_language == "Tigrinya"
    url = reverse("conferences:conference_detail", args=[conference.pk])
    assert Notification.objects.filter(recipient=world.convenor, kind=Kind.INTERPRETER_CHANGED, url=url).count() == 1


def test_nothing_changes_and_nobody_is_told_when_the_language_only_changes_case(world, committed):
    _needs_interpreter(world.mother, "Arabisch")
    with committed():
        conference = convene(world)
        case_services.family_member_update(world.convenor, member=world.mother, version=world.mother.version,
                                           interpreter_language="arabisch")
    conference.refresh_from_db()
    assert conference.interpreter_language == "Arabisch"
    assert not Notification.objects.filter(kind=Kind.INTERPRETER_CHANGED).exists()


def test_the_convenor_who_corrects_the_record_herself_is_not_told(world, committed, mailoutbox, login):
    """She knows what she did: the conference follows and the trail records it, but nothing waits
    for her in the app or in her mail."""
    _needs_interpreter(world.mother, "Arabisch")
    with committed():
        conference = convene(world)
    mailoutbox.clear()
    with committed():
        case_services.family_member_update(world.convenor, member=world.mother, version=world.mother.version,
                                           interpreter_language="Farsi")
    conference.refresh_from_db()
    assert conference.interpreter_language == "Farsi"
    assert AuditEvent.objects.filter(action="conference.interpreter_language", object_id=str(conference.pk)).exists()
    assert not Notification.objects.filter(kind=Kind.INTERPRETER_CHANGED).exists()
    overview = login(world.convenor).get(reverse("notifications:list")).content.decode()
    assert "Please check the interpreter booking" not in overview
    assert not [m for m in mailoutbox if world.convenor.email in m.to]


def test_the_other_conferences_convenor_is_still_told_when_one_convenor_corrects_the_record(world, committed):
    """Two coming conferences of the case, convened by two caseworkers of the lead organisation:
    the one who corrects the record is not told, the other is."""
    _needs_interpreter(world.mother, "Arabisch")
    with committed():
        own = convene(world)
        team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
        colleagues = conference_services.conference_create(
            world.lead_colleague, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(20)],
            invitees=[*(conference_services.Invitee(team_member=m) for m in team),
                      conference_services.Invitee(family_member=world.mother)])
    assert (own.interpreter_language, colleagues.interpreter_language) == ("Arabisch", "Arabisch")
    with committed():
        case_services.family_member_update(world.convenor, member=world.mother, version=world.mother.version,
                                           interpreter_language="Farsi")
    told = Notification.objects.filter(kind=Kind.INTERPRETER_CHANGED)
    assert [(n.recipient_id, n.url) for n in told] == [
        (world.lead_colleague.pk, reverse("conferences:conference_detail", args=[colleagues.pk]))]


def test_an_erasure_is_named_as_the_reason_of_the_interpreter_change(world, committed):
    """Art. 17: the trail says the coming conference lost its interpreter language because her
    record was erased, not because someone corrected it; the convenor (not the officer) is told."""
    _needs_interpreter(world.mother, "Arabisch")
    with committed():
        conference = convene(world)
    with committed():
        _erase(world, world.mother)
    conference.refresh_from_db()
    assert conference.interpreter_language == ""
    event = AuditEvent.objects.get(action="conference.interpreter_language", object_id=str(conference.pk))
    assert event.detail["reason"] == "erased" and event.actor_id == world.dpo.pk
    assert Notification.objects.filter(recipient=world.convenor, kind=Kind.INTERPRETER_CHANGED,
                                       url=reverse("conferences:conference_detail", args=[conference.pk])).exists()
