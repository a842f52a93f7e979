"""Bad input is refused with a clear message and changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from conferences import services
from conferences.models import Conference, PollLink, SlotVote
from permissions.models import AuditEvent
from tests.conferences.helpers import answer_all, convene, local, without_account

pytestmark = pytest.mark.django_db


def test_a_closed_poll_refuses_answers_and_keeps_the_old_ones(world):
    conference = convene(world)
    invitation = conference.invitations.get(user=world.counsellor)
    services.poll_vote(world.counsellor, invitation=invitation, answers=answer_all(conference, "yes"))
    services.poll_close(world.convenor, conference=conference)
    with pytest.raises(ValidationError, match="closed"):
        services.poll_vote(world.counsellor, invitation=invitation, answers=answer_all(conference, "no"))
    assert set(SlotVote.objects.filter(invitation=invitation).values_list("answer", flat=True)) == {"yes"}


def test_an_expired_link_is_refused_on_the_page_and_changes_nothing(world, client):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=without_account(world.mother))
    link, raw = services.poll_link_create(world.convenor, invitation=invitation)
    PollLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.post(reverse("conferences:poll_link_vote", args=[raw]),
                           {f"slot_{s.pk}": "yes" for s in conference.poll.slots.all()})
    assert response.status_code == 404
    assert "not valid any more" in response.content.decode()
    assert not SlotVote.objects.filter(invitation=invitation).exists()


def test_a_revoked_link_is_refused(world):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=without_account(world.mother))
    _, raw = services.poll_link_create(world.convenor, invitation=invitation)
    services.poll_link_revoke(world.convenor, invitation=invitation)
    with pytest.raises(PermissionDenied):
        services.poll_vote_by_link(raw_token=raw, answers=answer_all(conference, "yes"))
    assert not SlotVote.objects.exists()


def test_a_link_answers_only_its_own_poll(world):
    first = convene(world)
    second = convene(world, slots=[local(30), local(31)])
    _, raw = services.poll_link_create(world.convenor, invitation=first.invitations.get(family_member=without_account(world.mother)))
    with pytest.raises(ValidationError):
        services.poll_vote_by_link(raw_token=raw, answers=answer_all(second, "yes"))
    assert not SlotVote.objects.exists()


def test_someone_not_invited_cannot_answer_for_an_invitee(world):
    conference = convene(world)
    invitation = conference.invitations.get(user=world.counsellor)
    for intruder in (world.outsider, world.midwife, world.parent):
        with pytest.raises(PermissionDenied):
            services.poll_vote(intruder, invitation=invitation, answers=answer_all(conference, "no"))
    assert not SlotVote.objects.exists()


def test_a_non_invitee_posting_to_the_poll_page_is_refused(world, client):
    conference = convene(world)
    client.force_login(world.outsider)
    response = client.post(reverse("conferences:conference_poll", args=[conference.pk]),
                           {f"slot_{s.pk}": "yes" for s in conference.poll.slots.all()})
    assert response.status_code == 404
    assert not SlotVote.objects.exists()


def test_a_partial_answer_shows_a_field_error_and_saves_nothing(world, client):
    conference = convene(world)
    first = conference.poll.slots.first()
    client.force_login(world.counsellor)
    response = client.post(reverse("conferences:conference_poll", args=[conference.pk]), {f"slot_{first.pk}": "yes"})
    assert response.status_code == 400
    assert "Answer this candidate time." in response.content.decode()
    assert not SlotVote.objects.exists()


def test_only_the_convenor_may_convene_pick_move_or_cancel(world):
    conference = convene(world)
    slot = conference.poll.slots.first()
    for actor in (world.counsellor, world.midwife, world.parent, world.outsider):
        with pytest.raises(PermissionDenied):
            services.poll_pick(actor, conference=conference, slot=slot)
        with pytest.raises(PermissionDenied):
            services.conference_cancel(actor, conference=conference)
    conference.refresh_from_db()
    assert conference.status == Conference.Status.POLLING


def test_a_past_conference_cannot_be_moved_or_cancelled(world):
    start = timezone.now() - dt.timedelta(days=2)
    Conference.objects.filter(pk=world.conference.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="cannot be moved"):
        services.conference_move(world.convenor, conference=world.conference, starts_at=local(10))
    with pytest.raises(ValidationError):
        services.conference_cancel(world.convenor, conference=world.conference)
    world.conference.refresh_from_db()
    assert world.conference.sequence == 0 and world.conference.status == Conference.Status.SCHEDULED


def test_candidate_times_in_the_past_are_refused(world):
    with pytest.raises(ValidationError):
        convene(world, slots=[timezone.now() - dt.timedelta(hours=1)])
    assert Conference.objects.count() == 1


def test_a_slot_of_another_poll_cannot_be_picked(world):
    first = convene(world)
    second = convene(world, slots=[local(30)])
    with pytest.raises(ValidationError):
        services.poll_pick(world.convenor, conference=first, slot=second.poll.slots.first())
    first.refresh_from_db()
    assert first.status == Conference.Status.POLLING


def test_rsvp_needs_an_own_invitation_and_a_scheduled_conference(world):
    with pytest.raises(PermissionDenied):
        services.invitation_rsvp(world.midwife, invitation=world.invitation_counsellor, rsvp="declined")
    conference = convene(world)
    with pytest.raises(ValidationError):
        services.invitation_rsvp(world.counsellor, invitation=conference.invitations.get(user=world.counsellor), rsvp="accepted")


def test_the_quorum_warning_shows_when_too_few_organisations_are_required(world, client):
    world.network.quorum_min_organisations = 5
    world.network.save()
    conference = convene(world)
    client.force_login(world.convenor)
    page = client.get(reverse("conferences:conference_poll", args=[conference.pk])).content.decode()
    assert "Quorum not met" in page


def test_the_convene_page_creates_a_poll_and_refuses_bad_input(world, client):
    client.force_login(world.convenor)
    url = reverse("conferences:conference_create", args=[world.case.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: (field.initial or "") for name, field in form.fields.items() if name != "report_organisations"}
    data.update(kind="participant", duration_minutes=90, slot_1="2020-01-01T10:00",
                report_organisations=form.fields["report_organisations"].initial)
    before = AuditEvent.objects.count()
    bad = client.post(url, data)
    assert bad.status_code == 400 and "must lie in the future" in bad.content.decode()
    assert Conference.objects.count() == 1 and AuditEvent.objects.count() == before
    data["slot_1"] = local(9).strftime("%Y-%m-%dT%H:%M")
    good = client.post(url, data)
    assert good.status_code == 302
    conference = Conference.objects.exclude(pk=world.conference.pk).get()
    assert conference.poll.slots.get().starts_at == local(9)
    assert conference.invitations.filter(family_member=world.mother, required=True).exists()
    assert conference.reports.filter(organisation=world.counselling).exists()
    assert not conference.reports.filter(organisation=world.youth_welfare).exists()


def test_a_written_report_is_submitted_by_its_organisation_only(world):
    conference = convene(world)
    report = conference.reports.get(organisation=world.counselling)
    with pytest.raises(PermissionDenied):
        services.report_submit(world.midwife, report=report, text="x", shareable_with_parents=True)
    services.report_submit(world.counsellor, report=report, text="Kurzbericht", shareable_with_parents=False)
    report.refresh_from_db()
    assert report.submitted_by == world.counsellor and not report.shareable_with_parents
