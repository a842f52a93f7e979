"""Matrix cells for notifications: who receives one about a case, and who may open it.

A notification reaches only people who may see its case (checked when it is made), and a
notification is shown, opened or e-mailed only while its recipient may still see the case.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Kind, Notification
from notifications.services import notify
from tests.matrix.roles import ROLES, client_for, user_for

pytestmark = pytest.mark.django_db

URL_NAMES = {"notifications:list", "notifications:open", "notifications:read_all", "notifications:settings"}

SEES_CASE = {"convenor", "lead_colleague", "counsellor", "midwife", "parent"}


def _everyone(world):
    return [user_for(world, role) for role in ROLES if role != "anonymous"]


@pytest.mark.parametrize("role", ROLES)
def test_a_notification_about_a_case_reaches_only_those_who_may_see_it(world, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=_everyone(world), kind=Kind.DRAFT_RELEASED, case=world.case, url="/")
    user = user_for(world, role)
    received = Notification.objects.filter(recipient=user).exists() if user else False
    assert received == (role in SEES_CASE)


@pytest.mark.parametrize("role", ROLES)
def test_notification_pages(world, client, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=_everyone(world), kind=Kind.ACTION_ASSIGNED, case=world.case, url="/")
    convenors = Notification.objects.get(recipient=world.convenor)
    c = client_for(client, world, role)
    listing = c.get(reverse("notifications:list"))
    settings_page = c.get(reverse("notifications:settings"))
    opened = c.get(reverse("notifications:open", args=[convenors.pk]))
    read_all = c.post(reverse("notifications:read_all"))
    if role == "anonymous":
        assert (listing.status_code, settings_page.status_code, opened.status_code, read_all.status_code) == (302, 302, 302, 302)
        assert "/accounts/login/" in listing["Location"]
        return
    assert listing.status_code == 200 and settings_page.status_code == 200 and read_all.status_code == 302
    assert ("KT-2026-001" in listing.content.decode()) == (role in SEES_CASE)
    # Only the recipient opens her notification; for everyone else it does not exist.
    assert opened.status_code == (302 if role == "convenor" else 404)


@pytest.mark.parametrize("role", sorted(SEES_CASE - {"parent"}))
def test_leaving_the_case_team_hides_what_waited_there_at_once(world, client, role, django_capture_on_commit_callbacks):
    from django.utils import timezone

    user = user_for(world, role)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[user], kind=Kind.DRAFT_RELEASED, case=world.case, url="/")
    note = Notification.objects.get(recipient=user)
    world.case.team.filter(user=user).update(removed_at=timezone.now())
    c = client_for(client, world, role)
    assert "KT-2026-001" not in c.get(reverse("notifications:list")).content.decode()
    assert c.get(reverse("notifications:open", args=[note.pk])).status_code == 404
