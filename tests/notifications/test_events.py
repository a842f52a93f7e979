"""Everyone is told what waits for them: the events of the conference journey notify people."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from cases.services import consent_endings_notify
from cases.models import Case, CaseTeamMember, FamilyMember
from notifications.messages import text_of
from notifications.models import Kind, Notification
from protocols import services as protocol_services
from protocols.models import Protocol
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def kinds_of(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_opening_a_date_poll_tells_every_invitee_and_asks_the_organisations_for_reports(world, committed):
    with committed():
        conference = convene(world)
    assert kinds_of(world.counsellor) == [Kind.POLL_OPENED, Kind.REPORT_REQUESTED]
    assert kinds_of(world.parent) == [Kind.POLL_OPENED]
    assert kinds_of(world.convenor) == []  # she convened it herself
    assert kinds_of(world.outsider) == []
    poll_mails = [m for m in mail.outbox if world.counsellor.email in m.to]
    assert any(f"/conferences/{conference.pk}/poll/" in m.body for m in poll_mails)


def test_a_parent_without_an_account_gets_her_personal_poll_link_in_her_recorded_language(world, committed):
    FamilyMember.objects.filter(pk=world.mother.pk).update(user=None, language="da")
    world.mother.refresh_from_db()
    with committed():
        convene(world)
    to_her = [m for m in mail.outbox if m.to == [world.mother.email]]
    assert len(to_her) == 1
    assert "/p/" in to_her[0].body
    assert to_her[0].subject.startswith("Angiv venligst, hvornår du kan")


def test_a_parent_without_an_account_in_a_danish_network_is_written_to_in_danish(world, committed):
    from participants.models import Network

    Network.objects.filter(pk=world.network.pk).update(country="DK", time_zone="Europe/Copenhagen")
    FamilyMember.objects.filter(pk=world.mother.pk).update(user=None)
    world.case.refresh_from_db()
    world.mother.refresh_from_db()
    with committed():
        convene(world)
    to_her = [m for m in mail.outbox if m.to == [world.mother.email]]
    assert to_her[0].subject.startswith("Angiv venligst, hvornår du kan")


def test_releasing_the_draft_tells_the_professionals_and_finalising_tells_everyone(world, committed):
    from conferences.models import Conference

    # The conference took place yesterday (release and finalise follow it in time).
    start = timezone.now() - dt.timedelta(days=1)
    Conference.objects.filter(pk=world.conference.pk).update(starts_at=start, ends_at=start + dt.timedelta(minutes=90))
    world.protocol.refresh_from_db()
    with committed():
        protocol = protocol_services.protocol_release(world.convenor, protocol=world.protocol)
    assert kinds_of(world.counsellor) == [Kind.DRAFT_RELEASED]
    assert kinds_of(world.parent) == []
    with committed():
        protocol_services.protocol_finalise(world.convenor, protocol=protocol, confirm_early=True)
    assert Kind.PROTOCOL_FINALISED in kinds_of(world.parent)
    assert Kind.PROTOCOL_FINALISED in kinds_of(world.counsellor)


def test_an_agreed_action_tells_the_person_it_falls_to_without_its_title(world, committed):
    with committed():
        protocol_services.action_create(world.convenor, item=world.item_professionals, title="Suchtberatung vereinbaren",
                                        due_on=timezone.localdate() + dt.timedelta(days=10),
                                        responsible_user=world.counsellor, responsible_organisation=world.counselling)
    assert kinds_of(world.counsellor) == [Kind.ACTION_ASSIGNED]
    message = [m for m in mail.outbox if m.to == [world.counsellor.email]][0]
    assert "Suchtberatung vereinbaren" not in message.subject + message.body
    assert world.case.reference in message.body


def test_the_lead_caseworker_hears_once_that_a_consent_ends_soon(world, committed):
    world.consent.__class__.objects.filter(pk=world.consent.pk).update(valid_until=timezone.localdate() + dt.timedelta(days=5))
    for _ in range(2):
        with committed():
            consent_endings_notify()
    assert kinds_of(world.convenor) == [Kind.CONSENT_ENDING]
    assert kinds_of(world.counsellor) == []


def test_a_closed_case_announces_no_ending_consent(world, committed):
    world.consent.__class__.objects.filter(pk=world.consent.pk).update(valid_until=timezone.localdate() + dt.timedelta(days=5))
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.CLOSED, closed_on=timezone.localdate())
    with committed():
        consent_endings_notify()
    assert kinds_of(world.convenor) == []


def test_someone_removed_from_the_team_before_the_commit_is_not_told(world, committed):
    with committed():
        protocol_services.action_create(world.convenor, item=world.item_professionals, title="X",
                                        due_on=timezone.localdate() + dt.timedelta(days=10),
                                        responsible_user=world.counsellor, responsible_organisation=world.counselling)
        CaseTeamMember.objects.filter(case=world.case, user=world.counsellor).update(removed_at=timezone.now())
    assert kinds_of(world.counsellor) == []


def test_an_action_for_an_organisation_tells_its_people_it_falls_to_their_organisation(world, committed):
    with committed():
        protocol_services.action_create(world.convenor, item=world.item_professionals, title="Gespräch anbieten",
                                        due_on=timezone.localdate() + dt.timedelta(days=10),
                                        responsible_organisation=world.counselling)
    assert kinds_of(world.counsellor) == [Kind.ACTION_ASSIGNED_ORGANISATION]
    notification = Notification.objects.select_related("case").get(recipient=world.counsellor)
    with translation.override("de"):
        assert text_of(notification).startswith(
            f"Im Fall {world.case.reference} wurde eine Vereinbarung für Ihre Einrichtung getroffen")
