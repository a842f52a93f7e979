"""No family name of the demo data appears in any feed or invitation e-mail."""
from __future__ import annotations

import email

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from calendars import services as calendar_services
from calendars.models import FeedToken
from cases import policy as cases_policy
from conferences import services
from conferences.models import Conference
from cases.models import FamilyMember
from participants.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def family_words() -> set[str]:
    words = {f.display_name for f in FamilyMember.objects.all() if len(f.display_name) >= 3}
    for user in User.objects.filter(family_member__isnull=False):
        words |= {w for w in (user.first_name, user.last_name) if len(w) >= 3}
    return words


def test_no_family_name_in_any_feed_or_invitation_of_the_demo(client, committed):
    call_command("seed_demo", verbosity=0)
    secrets = family_words()
    assert secrets, "the demo has named family members"
    bodies = []
    for user in User.objects.filter(is_active=True):
        _, raw = calendar_services.feed_token_create(user)
        response = client.get(reverse("calendars:feed", args=[raw]))
        assert response.status_code == 200
        bodies.append(response.content.decode())
        for case in cases_policy.cases_for_user(user).filter(pk__in=cases_policy.professional_case_ids(user)):
            _, raw = calendar_services.feed_token_create(user, kind=FeedToken.Kind.CASE, case=case)
            bodies.append(client.get(reverse("calendars:feed", args=[raw])).content.decode())
    assert any("BEGIN:VEVENT" in body for body in bodies)
    for conference in Conference.objects.filter(status=Conference.Status.POLLING).select_related("case"):
        with committed():
            services.poll_pick(conference.convenor, conference=conference, slot=conference.poll.slots.order_by("starts_at").last())
    assert mail.outbox, "the demo has a conference looking for a date"
    for message in mail.outbox:
        parsed = email.message_from_bytes(message.message().as_bytes())
        bodies.append(str(parsed["Subject"]))
        bodies.extend(p.get_payload(decode=True).decode("utf-8") for p in parsed.walk() if not p.is_multipart())
    for body in bodies:
        for word in secrets:
            assert word not in body, word
