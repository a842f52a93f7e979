"""The notification service: after commit only, once per event, e-mail by preference and language."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from cases.models import FamilyMember
from notifications.mail import digest_send
from notifications.messages import text_of
from notifications.models import Kind, Notification, NotificationPreference
from notifications.services import NotificationError, notify, preference_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def _send(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            notify(**kwargs)
    return _send


def test_nothing_is_notified_when_the_change_is_rolled_back(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify(recipients=[world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/")
                raise RuntimeError("the announcing service failed")
        except RuntimeError:
            pass
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_an_immediate_email_names_the_case_reference_and_link_only(world, send, settings):
    settings.SITE_URL = "https://fk.example"
    send(recipients=[world.counsellor], kind=Kind.ACTION_ASSIGNED, case=world.case, url="/my-actions/",
         due_on=dt.date(2027, 3, 1))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["counsellor@example.org"]
    assert "KT-2026-001" in message.subject
    assert "https://fk.example/my-actions/" in message.body
    assert world.action_counselling.title not in message.body + message.subject


def test_the_acting_user_is_not_told_about_her_own_change(world, send):
    send(recipients=[world.convenor, world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/",
         exclude=world.convenor)
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["counsellor"]


def test_the_same_event_is_notified_once(world, send):
    for _ in range(2):
        send(recipients=[world.counsellor], kind=Kind.ACTION_OVERDUE, case=world.case, url="/", event_key="action:1:overdue")
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_email_is_written_in_the_recipients_language(world, send):
    world.counsellor.preferred_language = "da"
    world.counsellor.save(update_fields=["preferred_language"])
    send(recipients=[world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/")
    assert "udkast" in mail.outbox[0].body.lower()


@pytest.mark.parametrize(("which", "expected"), [
    ("other_case", "Referatudkastet i sag {reference} er klar til dine rettelser."),
    ("case", "Der Protokollentwurf zum Fall {reference} liegt zur Korrektur bereit."),
])
def test_a_parent_of_two_cases_is_written_to_in_the_language_recorded_for_her_in_the_case_it_is_about(
        world, send, which, expected):
    """German in her first case, Danish in her second (the same account, no language chosen on it):
    an e-mail about the second case is Danish, one about the first German — not the language of
    her first record for both (``participants.language``)."""
    FamilyMember.objects.filter(pk=world.mother.pk).update(language="de")
    FamilyMember.objects.create(case=world.other_case, relation=FamilyMember.Relation.MOTHER, display_name="M.",
                                user=world.parent, email=world.parent.email, language="da")
    assert not world.parent.preferred_language
    case = getattr(world, which)
    send(recipients=[world.parent], kind=Kind.DRAFT_RELEASED, case=case, url="/")
    assert len(mail.outbox) == 1 and expected.format(reference=case.reference) in mail.outbox[0].body


def test_a_professional_without_a_chosen_language_is_written_to_in_her_networks_language(world, send):
    from cases.models import Case, CaseTeamMember

    case = Case.objects.create(network=world.foreign_org.network, reference="RA-2026-001", lead_organisation=world.foreign_org,
                               lead_caseworker=world.foreign_professional, status=Case.Status.ACTIVE,
                               opened_on=dt.date(2026, 1, 5))
    CaseTeamMember.objects.create(case=case, organisation=world.foreign_org, user=world.foreign_professional)
    send(recipients=[world.foreign_professional], kind=Kind.DRAFT_RELEASED, case=case, url="/")
    assert "udkast" in mail.outbox[0].body.lower()


def test_a_daily_digest_collects_everything_in_one_email(world, send, django_capture_on_commit_callbacks):
    preference_set(world.counsellor, email=NotificationPreference.Email.DAILY)
    send(recipients=[world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/a/")
    send(recipients=[world.counsellor], kind=Kind.ACTION_ASSIGNED, case=world.case, url="/b/")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        assert digest_send() == 1
    assert len(mail.outbox) == 1 and "/a/" in mail.outbox[0].body and "/b/" in mail.outbox[0].body
    assert digest_send() == 0


def test_the_digest_leaves_out_a_case_she_no_longer_sees(world, send):
    from django.utils import timezone

    preference_set(world.counsellor, email=NotificationPreference.Email.DAILY)
    send(recipients=[world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/a/")
    world.case.team.filter(user=world.counsellor).update(removed_at=timezone.now())
    assert digest_send() == 0
    assert mail.outbox == []


def test_no_email_when_she_chose_none(world, send):
    preference_set(world.counsellor, email=NotificationPreference.Email.NEVER)
    send(recipients=[world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/")
    assert Notification.objects.filter(recipient=world.counsellor).exists()
    assert mail.outbox == [] and digest_send() == 0


def test_a_link_to_another_site_is_refused(world):
    with pytest.raises(NotificationError):
        notify(recipients=[world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="https://evil.example/")


def test_the_header_counts_unread_notifications_and_opening_one_marks_it_read(world, send, login):
    send(recipients=[world.counsellor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/my-actions/")
    client = login(world.counsellor)
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 new" in page
    note = Notification.objects.get()
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == "/my-actions/"
    assert "1 new" not in client.get(reverse("dashboard")).content.decode()


def test_she_chooses_the_daily_digest_on_her_settings_page(world, login):
    client = login(world.counsellor)
    response = client.post(reverse("notifications:settings"), {"email": "daily"}, follow=True)
    assert "have been saved" in response.content.decode()
    assert world.counsellor.notification_preference.email == "daily"


def test_a_counted_notice_says_how_many_and_needs_the_number(world, send):
    """One notice stands for several things of one event (the open actions an erasure left): its
    sentence counts them, in the singular and the plural; without a number it is not made."""
    with pytest.raises(NotificationError):
        notify(recipients=[world.convenor], kind=Kind.ACTIONS_ERASED, case=world.case, url="/actions/")
    with pytest.raises(NotificationError):
        notify(recipients=[world.convenor], kind=Kind.DRAFT_RELEASED, case=world.case, url="/", count=2)
    send(recipients=[world.convenor], kind=Kind.ACTIONS_ERASED, case=world.case, url="/actions/", count=3,
         event_key="counted")
    note = Notification.objects.select_related("case").get(recipient=world.convenor)
    assert note.count == 3
    with translation.override("en"):
        assert text_of(note).startswith("3 open agreed actions in case KT-2026-001 fell to a person whose data were erased")
        note.count = 1
        assert text_of(note).startswith("An open agreed action in case KT-2026-001 fell to")
    with translation.override("de"):
        assert text_of(note).startswith("Für eine offene Vereinbarung im Fall KT-2026-001")
