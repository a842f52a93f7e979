"""The lead caseworker closes a case; nothing is deleted, and a case with a planned conference
stays open until that conference is cancelled or held."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Case
from conferences.models import Conference
from permissions.models import AuditEvent
from protocols.models import ProtocolItem

pytestmark = pytest.mark.django_db


def cancel_the_conference(world) -> None:
    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.CANCELLED)


def test_the_convenor_closes_a_case_and_it_is_audited(world):
    cancel_the_conference(world)
    case_services.case_close(world.convenor, case=world.case)
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.CLOSED and world.case.closed_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="case.close", case=world.case, actor=world.convenor).exists()
    assert ProtocolItem.objects.filter(protocol=world.protocol).count() == 3  # nothing deleted


def test_a_case_with_a_scheduled_conference_cannot_be_closed(world):
    with pytest.raises(ValidationError, match="cancel or hold it first"):
        case_services.case_close(world.convenor, case=world.case)
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.ACTIVE


def test_a_closing_day_in_the_future_or_before_opening_is_refused(world):
    cancel_the_conference(world)
    for day in (timezone.localdate() + dt.timedelta(days=1), world.case.opened_on - dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as error:
            case_services.case_close(world.convenor, case=world.case, closed_on=day)
        assert "closed_on" in error.value.message_dict
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.ACTIVE


def test_a_team_professional_of_another_organisation_cannot_close_the_case(world):
    cancel_the_conference(world)
    with pytest.raises(PermissionDenied):
        case_services.case_close(world.counsellor, case=world.case)


def test_the_case_page_asks_to_confirm_closes_the_case_and_then_offers_no_more_changes(client, world):
    cancel_the_conference(world)
    client.force_login(world.convenor)
    asked = client.post(reverse("cases:case_close", args=[world.case.pk]), {"closed_on": ""}).content.decode()
    assert "Yes, close the case" in asked and "can reopen it" in asked
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.ACTIVE
    response = client.post(reverse("cases:case_close", args=[world.case.pk]), {"closed_on": "", "confirm": "True"}, follow=True)
    assert "The case is closed." in response.content.decode()
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert "Close the case" not in page.replace("Reopen the case", "") and "Add to the team" not in page
    assert "Reopen the case" in page


def test_the_lead_organisation_reopens_a_closed_case_with_a_reason_and_it_is_audited(client, world):
    from permissions.models import AuditEvent

    cancel_the_conference(world)
    case_services.case_close(world.convenor, case=world.case)
    with pytest.raises(PermissionDenied):
        case_services.case_reopen(world.counsellor, case=world.case, reason="x")
    with pytest.raises(ValidationError):
        case_services.case_reopen(world.lead_colleague, case=world.case, reason=" ")
    case_services.case_reopen(world.lead_colleague, case=world.case, reason="Versehentlich geschlossen")
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.ACTIVE and world.case.closed_on is None
    event = AuditEvent.objects.filter(action="case.reopen").get()
    assert event.actor == world.lead_colleague and event.detail["reason"] == "Versehentlich geschlossen"


def test_an_erased_case_cannot_be_reopened(world):
    from django.utils import timezone

    from permissions.models import CaseErasure

    cancel_the_conference(world)
    case_services.case_close(world.convenor, case=world.case)
    world.case.refresh_from_db()
    CaseErasure.objects.create(case=world.case, erased_at=timezone.now(), closed_on=world.case.closed_on, rows={})
    world.case = Case.objects.get(pk=world.case.pk)
    with pytest.raises(PermissionDenied):
        case_services.case_reopen(world.convenor, case=world.case, reason="zu spät")


def test_the_case_page_explains_why_a_case_with_a_planned_conference_stays_open(client, world):
    client.force_login(world.convenor)
    response = client.post(reverse("cases:case_close", args=[world.case.pk]), {"closed_on": "", "confirm": "True"}, follow=True)
    assert "cancel or hold it first" in response.content.decode()
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.ACTIVE
