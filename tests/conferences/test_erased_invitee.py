"""After an Art. 17 erasure of a parent's record she gets nothing new from Fallkonferenz: no poll
link, no letter, no e-mail, no offer of access; the pages offer none of them. (Her invitations to
coming conferences are withdrawn by the erasure itself: tests/privacy/test_erasure_withdraws_invitations.py.)"""
from __future__ import annotations

import html

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import access_services
from cases.models import FamilyMember
from conferences import mail_services, services
from conferences.models import Invitation, PollLink
from permissions.models import AuditEvent
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from tests.conferences.helpers import convene, without_account

pytestmark = pytest.mark.django_db


def _erase(world, member: FamilyMember) -> FamilyMember:
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=member,
                                              kind=DataSubjectRequest.Kind.ERASURE, received_on=timezone.localdate(),
                                              identity_check="document")
    privacy_services.request_close(world.dpo, request=request, outcome="granted")
    member.refresh_from_db()
    assert member.display_name == "[erased]"
    return member


def _still_invited(invitation) -> None:
    """Her invitation as an erasure made before erasures withdrew the invitations to coming
    conferences left it (``conferences.services.invitations_withdraw_on_erasure``): the guards
    below still hold for such rows."""
    Invitation.objects.filter(pk=invitation.pk).update(removed_at=None)


def test_an_erased_parent_gets_no_poll_link_and_the_pages_offer_none(world, client):
    member = without_account(world.mother)
    conference = convene(world)
    invitation = conference.invitations.get(family_member=member)
    _erase(world, member)
    _still_invited(invitation)
    PollLink.objects.all().delete()
    with pytest.raises(ValidationError):
        services.poll_link_create(world.convenor, invitation=invitation)
    with pytest.raises(ValidationError):
        services.new_poll_link(invitation)
    client.force_login(world.convenor)
    response = client.post(reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk]))
    assert response.status_code == 302
    assert not PollLink.objects.filter(invitation=invitation).exists()
    for name in ("conferences:conference_detail", "conferences:conference_poll"):
        page = html.unescape(client.get(reverse(name, args=[conference.pk])).content.decode())
        assert reverse("conferences:poll_link_create", args=[conference.pk, invitation.pk]) not in page
        assert "Her data were erased" in page


def test_an_erased_parent_gets_no_letter(world, client):
    _erase(world, world.mother)
    invitation = world.invitation_parent
    _still_invited(invitation)
    client.force_login(world.convenor)
    url = reverse("conferences:invitation_letter", args=[world.conference.pk, invitation.pk])
    response = client.get(url)
    assert response.status_code == 302 and "[erased]" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="invitation.letter").exists()
    page = client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()
    assert url not in page
    with pytest.raises(ValidationError):
        services.invitation_letter_issue(world.convenor, invitation=invitation)


def test_an_erased_parent_with_an_account_gets_no_mail(world, committed):
    conference = convene(world)
    invitation = conference.invitations.get(family_member=world.mother)
    _erase(world, world.mother)  # her account (and its address) stays, no longer linked to her record
    _still_invited(invitation)
    mail.outbox.clear()
    assert mail_services.poll_invitation_send(invitation_id=invitation.pk) is False
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    assert "parent@example.org" not in [address for m in mail.outbox for address in m.to]
    assert AuditEvent.objects.filter(action="conference.mail_skipped", detail__reason="erased").exists()


def test_an_erased_parent_gets_no_offer_of_access(world):
    member = without_account(world.mother)
    _erase(world, member)
    FamilyMember.objects.filter(pk=member.pk).update(email="new@example.org")  # recorded again afterwards
    member.refresh_from_db()
    with pytest.raises(ValidationError):
        access_services.family_member_access_offer(world.convenor, member=member)
    assert not member.access_offers.exists()
