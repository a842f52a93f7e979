"""A case is "New" from its opening until its first conference is planned; from then on it is
"Active" (until it is closed). The case page and the case list's status filter say so."""
from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from cases.models import Case
from conferences.models import Conference
from permissions.models import AuditEvent
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db


def _make_new(world) -> None:
    Case.objects.filter(pk=world.case.pk).update(status=Case.Status.NEW)
    world.case.refresh_from_db()


def test_planning_the_first_conference_makes_a_new_case_active_on_its_page(client, world):
    _make_new(world)
    client.force_login(world.convenor)
    assert "<dd>New</dd>" in client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()

    conference = convene(world)

    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert "<dd>Active</dd>" in page and "<dd>New</dd>" not in page
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.ACTIVE
    event = AuditEvent.objects.get(action="case.activate", case=world.case)
    assert event.actor == world.convenor and event.detail["reason"] == "conference.create"
    listed = client.get(reverse("cases:case_list"), {"status": "active"}).content.decode()
    assert world.case.reference in listed
    assert conference.case_id == world.case.pk


def test_a_further_conference_leaves_an_active_case_as_it_is_and_writes_no_event(world):
    convene(world)
    world.case.refresh_from_db()
    assert world.case.status == Case.Status.ACTIVE
    assert not AuditEvent.objects.filter(action="case.activate").exists()


def test_the_migration_activates_new_cases_that_already_have_a_conference(world):
    """Cases planned before the rule existed stayed "New" for good; the data migration moves
    those with any conference on, and leaves a case without one new and a closed one closed."""
    _make_new(world)  # has the world's scheduled conference (held, final: the same)
    Conference.objects.filter(pk=world.conference.pk).update(status=Conference.Status.PROTOCOL_FINAL)
    Case.objects.filter(pk=world.other_case.pk).update(status=Case.Status.NEW)  # no conference
    migration = importlib.import_module("conferences.migrations.0013_cases_with_a_conference_are_active")

    migration.activate(apps, None)

    assert Case.objects.get(pk=world.case.pk).status == Case.Status.ACTIVE
    assert Case.objects.get(pk=world.other_case.pk).status == Case.Status.NEW
