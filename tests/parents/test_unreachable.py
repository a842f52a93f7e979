"""A parent without e-mail or account is not silently forgotten: the page says so, and a letter can be printed."""
from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import FamilyMember
from tests.conferences.helpers import convene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_conference_page_names_a_parent_who_cannot_be_reached(world, login):
    FamilyMember.objects.filter(pk=world.mother.pk).update(user=None, email="")
    page = login(world.convenor).get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert 'id="unreachable"' in page
    invitation = world.conference.invitations.get(family_member=world.mother)
    assert reverse("conferences:invitation_letter", args=[world.conference.pk, invitation.pk]) in page


def test_a_reachable_parent_is_not_listed(world, login):
    page = login(world.convenor).get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert 'id="unreachable"' not in page


def test_the_letter_for_a_polling_conference_carries_her_personal_link_and_a_qr_code_in_her_language(world, login):
    FamilyMember.objects.filter(pk=world.mother.pk).update(user=None, email="", language="da")
    conference = convene(world)
    client = login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    invitation = conference.invitations.get(family_member=world.mother)
    create = reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk])
    assert create in page
    letter = client.post(create).content.decode()
    assert "/p/" in letter and "<svg" in letter
    assert 'lang="da"' in letter and "Invitation til et netværksmøde" in letter


def test_the_invitation_table_shows_who_answered_the_poll(world, login):
    from conferences import services

    conference = convene(world)
    invitation = conference.invitations.get(user=world.counsellor)
    services.poll_vote(world.counsellor, invitation=invitation,
                       answers={s.pk: "yes" for s in conference.poll.slots.all()})
    page = login(world.convenor).get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "answered the date poll" in page and "has not answered the date poll yet" in page


def test_after_scheduling_the_table_shows_what_an_unanswered_invitee_said_in_the_poll(world, login):
    """Her "yes" in the poll is not "no answer": until she answers the invitation itself, the
    table says what she said about the chosen time; once she answers, only her answer shows."""
    import datetime as dt

    from django.utils import timezone

    from conferences import services

    conference = convene(world)
    slot = conference.poll.slots.order_by("starts_at").first()
    if slot.starts_at <= timezone.now():
        slot.starts_at, slot.ends_at = timezone.now() + dt.timedelta(days=3), timezone.now() + dt.timedelta(days=3, hours=1)
        slot.save(update_fields=["starts_at", "ends_at"])
    invitation = conference.invitations.get(user=world.counsellor)
    services.poll_vote(world.counsellor, invitation=invitation, answers={s.pk: "yes" for s in conference.poll.slots.all()})
    services.poll_pick(world.convenor, conference=conference, slot=slot)
    client = login(world.convenor)
    page = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert page.count("in the date poll: Yes") == 1  # the counsellor's row; the others did not vote
    services.invitation_rsvp(world.counsellor, invitation=invitation, rsvp="accepted")
    page = client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode()
    assert "in the date poll" not in page


def test_only_the_convenor_is_asked_to_write_to_an_unreachable_parent(world, login):
    """"Please tell them by post or by phone" is the convenor's task: the counsellor on the team
    sees the invitations, not an instruction meant for someone else."""
    FamilyMember.objects.filter(pk=world.mother.pk).update(user=None, email="")
    page = login(world.counsellor).get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert 'id="unreachable"' not in page and "by post or by phone" not in page


def test_a_cancelled_conference_warns_about_nobody_to_write_to_and_no_quorum(world, login):
    from conferences import services

    FamilyMember.objects.filter(pk=world.mother.pk).update(user=None, email="")
    world.network.quorum_min_organisations = 9
    world.network.save(update_fields=["quorum_min_organisations"])
    url = reverse("conferences:conference_detail", args=[world.conference.pk])
    client = login(world.convenor)
    before = client.get(url).content.decode()
    assert 'id="unreachable"' in before and "Quorum not met" in before
    services.conference_cancel(world.convenor, conference=world.conference)
    after = client.get(url).content.decode()
    assert 'id="unreachable"' not in after and "Quorum not met" not in after
    assert "Invitations and answers" in after  # who was invited stays readable
