"""Two staff members record whether a family came to the sessions of a programme track at once,
each on a page opened before the other saved. What each of them changed is kept: a session one of
them left as it was does not undo what the other recorded there. Where both recorded the same
session differently, the second save is refused; her choices stay in the form beside the record
as it is now, and saving again saves them. The API does the same for one session: it says what
it read (400 without), and a session recorded differently meanwhile answers 409."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from offers import track_services as ts
from offers.models import Enrolment, Session
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from tests.world import make_professional

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"


@pytest.fixture
def track(world, offers):
    """An enrolment of the early-help track with two sessions held, run by world.outsider and a colleague."""
    colleague = make_professional("earlyhelp2", world.early_help)
    enrolment = Enrolment.objects.create(offer=offers.network_offer, family_label="A.", enrolled_by=world.outsider)
    sessions = []
    for days in (14, 7):
        start = timezone.now() - dt.timedelta(days=days)
        sessions.append(Session.objects.create(enrolment=enrolment, staff=world.outsider, starts_at=start,
                                               ends_at=start + dt.timedelta(hours=1)))
    return enrolment, sessions, colleague


def _attended(session: Session) -> bool | None:
    return Session.objects.get(pk=session.pk).attended


def _opened(sessions) -> str:
    return ts.session_attendance_based_on((s.pk, Session.objects.get(pk=s.pk).attended) for s in sessions)


def _form_data(sessions, based_on: str, **rows) -> dict:
    """What the attendance form posts: every session's choice (as the page was opened: nothing
    recorded yet, unless ``rows`` says otherwise) and the record it was opened on."""
    data = {f"session-{s.pk}": "" for s in sessions}
    data.update({f"session-{pk}": value for pk, value in rows.items()})
    return {**data, "based_on": based_on}


def test_the_same_session_recorded_differently_on_an_old_record_is_refused_and_changes_nothing(world, track):
    enrolment, (first, second), colleague = track
    started = _opened([first, second])
    ts.session_attendance(world.outsider, enrolment=enrolment, based_on=started, attendance={first.pk: True, second.pk: None})
    with pytest.raises(EditConflict) as refused:
        ts.session_attendance(colleague, enrolment=enrolment, based_on=started, attendance={first.pk: False, second.pk: True})
    assert (_attended(first), _attended(second)) == (True, None)
    assert refused.value.current.pk == enrolment.pk
    assert AuditEvent.objects.filter(action="session.attendance").count() == 1


def test_the_same_choice_on_an_old_record_and_sessions_left_as_they_were_overwrite_nothing(world, track):
    enrolment, (first, second), colleague = track
    started = _opened([first, second])
    ts.session_attendance(world.outsider, enrolment=enrolment, based_on=started, attendance={first.pk: True, second.pk: False})
    # She records the first session as her colleague did and leaves the second as she found it.
    ts.session_attendance(colleague, enrolment=enrolment, based_on=started, attendance={first.pk: True, second.pk: None})
    assert (_attended(first), _attended(second)) == (True, False)
    assert AuditEvent.objects.filter(action="session.attendance").count() == 2  # only the first save changed anything


def test_sessions_the_second_left_as_they_were_keep_what_the_first_recorded(world, track, client):
    """The page posts every session: before, the second page's "not recorded" would have undone the
    first one's "attended" without a word (and each button overwrote whatever was stored)."""
    enrolment, (first, second), colleague = track
    url = reverse("offers:enrolment_attendance", args=[enrolment.pk])
    started = _opened([first, second])
    client.force_login(world.outsider)
    assert client.post(url, _form_data([first, second], started, **{str(first.pk): "yes"})).status_code == 302
    client.force_login(colleague)
    assert client.post(url, _form_data([first, second], started, **{str(second.pk): "no"})).status_code == 302
    assert (_attended(first), _attended(second)) == (True, False)


def test_the_page_keeps_her_choices_beside_the_current_record_and_saves_them_on_the_second_try(world, track, client):
    enrolment, (first, second), colleague = track
    detail = reverse("offers:enrolment_detail", args=[enrolment.pk])
    url = reverse("offers:enrolment_attendance", args=[enrolment.pk])
    client.force_login(world.outsider)
    opened = client.get(detail).content.decode()
    started = _opened([first, second])
    assert 'name="based_on"' in opened and f'value="{started.replace("&", "&amp;")}"' in opened

    client.force_login(colleague)
    assert client.post(url, _form_data([first, second], started, **{str(first.pk): "yes", str(second.pk): "yes"})).status_code == 302

    client.force_login(world.outsider)
    refused = client.post(url, _form_data([first, second], started, **{str(first.pk): "no"}))
    assert refused.status_code == 409
    page = refused.content.decode()
    assert CONFLICT in page
    # Her choice for the first session is still selected; the second, which she left as it was, now
    # shows what the colleague recorded, so that saving again does not undo it.
    assert f'value="no" id="id_session-{first.pk}_2" checked' in page
    assert f'value="yes" id="id_session-{second.pk}_1" checked' in page
    # Beside the form, the record as it is now.
    assert "As it is now" in page and "<dd>attended</dd>" in page and "<dd>did not come</dd>" not in page
    assert (_attended(first), _attended(second)) == (True, True)
    assert AuditEvent.objects.filter(action="session.attendance", actor=world.outsider).count() == 0

    now = _opened([first, second])
    assert f'value="{now.replace("&", "&amp;")}"' in page  # saving again is based on the record as it is now
    again = _form_data([first, second], now, **{str(first.pk): "no", str(second.pk): "yes"})
    assert client.post(url, again).status_code == 302
    assert (_attended(first), _attended(second)) == (False, True)


def test_a_session_cancelled_meanwhile_that_she_left_as_it_was_does_not_stand_in_her_way(world, track, client):
    enrolment, (first, second), _colleague = track
    url = reverse("offers:enrolment_attendance", args=[enrolment.pk])
    started = _opened([first, second])
    ts.session_cancel(world.outsider, session=second)
    client.force_login(world.outsider)
    assert client.post(url, _form_data([first, second], started, **{str(first.pk): "yes"})).status_code == 302
    assert (_attended(first), _attended(second)) == (True, None)


def test_a_session_scheduled_and_recorded_after_she_opened_the_page_is_left_alone(world, track, client):
    enrolment, (first, second), colleague = track
    url = reverse("offers:enrolment_attendance", args=[enrolment.pk])
    started = _opened([first, second])
    start = timezone.now() - dt.timedelta(days=1)
    third = Session.objects.create(enrolment=enrolment, staff=colleague, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    ts.session_attendance(colleague, enrolment=enrolment, attendance={third.pk: True},
                          based_on=_opened([first, second, third]))
    client.force_login(world.outsider)
    assert client.post(url, _form_data([first, second], started, **{str(first.pk): "yes"})).status_code == 302
    assert (_attended(first), _attended(second), _attended(third)) == (True, None, True)


def test_the_api_says_what_it_read_and_is_refused_when_the_session_was_recorded_differently(world, track, client):
    _enrolment, (first, _second), colleague = track
    url = reverse("offer-session-attendance", args=[first.pk])
    client.force_login(world.outsider)
    missing = client.post(url, {"attended": True}, content_type="application/json")
    assert missing.status_code == 400 and "based_on" in missing.json()
    assert _attended(first) is None

    client.force_login(colleague)
    assert client.post(url, {"attended": True, "based_on": None}, content_type="application/json").status_code == 200
    client.force_login(world.outsider)
    refused = client.post(url, {"attended": False, "based_on": None}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["current"]["attended"] is True and CONFLICT in refused.json()["detail"]
    assert _attended(first) is True
    changed = client.post(url, {"attended": False, "based_on": True}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["attended"] is False
    assert _attended(first) is False


def test_saving_the_refused_page_again_keeps_a_colleagues_record_of_a_session_her_page_never_showed(world, track, client):
    """Found by a review with a probe: the refused page showed a session scheduled and recorded
    meanwhile as "not recorded" (beside "As it is now: attended"), and saving it again erased the
    colleague's record. Now the refused page takes it as it is."""
    _enrolment, _sessions, colleague = track
    enrolment = Enrolment.objects.create(offer=_enrolment.offer, family_label="B.", enrolled_by=world.outsider)
    start = timezone.now() - dt.timedelta(days=14)
    first = Session.objects.create(enrolment=enrolment, staff=world.outsider, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("offers:enrolment_attendance", args=[enrolment.pk])
    client.force_login(world.outsider)
    started = ts.session_attendance_based_on([(first.pk, None)])
    late_start = timezone.now() - dt.timedelta(days=7)  # held meanwhile (a past session is not scheduled: created)
    late = Session.objects.create(enrolment=enrolment, staff=colleague, starts_at=late_start,
                                  ends_at=late_start + dt.timedelta(hours=1))
    ts.session_attendance(colleague, enrolment=enrolment, attendance={first.pk: True, late.pk: True},
                          based_on=ts.session_attendance_based_on([(first.pk, None), (late.pk, None)]))
    refused = client.post(url, {f"session-{first.pk}": "no", "based_on": started})
    assert refused.status_code == 409
    page = refused.content.decode()
    checked = dict(re.findall(r'<input type="radio" name="(session-\d+)" value="([^"]*)"[^>]*checked', page))
    based = re.search(r'name="based_on" value="([^"]*)"', page).group(1).replace("&amp;", "&")
    assert client.post(url, {**checked, "based_on": based}).status_code == 302
    assert _attended(first) is False and _attended(late) is True


def test_a_session_cancelled_meanwhile_that_she_recorded_is_named_as_not_saved_and_the_rest_is_saved(world, track, client):
    """Before, what she recorded for a session cancelled after she opened the page was dropped
    without a word, and the page said "The attendance is recorded"."""
    enrolment, (first, second), _colleague = track
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("offers:enrolment_attendance", args=[enrolment.pk])
    started = _opened([first, second])
    ts.session_cancel(world.outsider, session=second)
    client.force_login(world.outsider)
    response = client.post(url, _form_data([first, second], started, **{str(first.pk): "yes", str(second.pk): "no"}),
                           follow=True)
    page = response.content.decode()
    assert (_attended(first), _attended(second)) == (True, None)
    assert "Not saved: session 2. " in page and "was cancelled meanwhile, so what you recorded for it was not kept." in page
    assert "The attendance is recorded." in page  # the first session's record was
    assert AuditEvent.objects.filter(action="session.attendance").count() == 1


def test_when_only_a_cancelled_session_changed_the_page_does_not_claim_it_was_recorded(world, track, client):
    enrolment, (first, second), _colleague = track
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("offers:enrolment_attendance", args=[enrolment.pk])
    started = _opened([first, second])
    ts.session_cancel(world.outsider, session=second)
    client.force_login(world.outsider)
    page = client.post(url, _form_data([first, second], started, **{str(second.pk): "yes"}), follow=True).content.decode()
    assert "was cancelled meanwhile" in page and "The attendance is recorded." not in page
    assert _attended(second) is None and not AuditEvent.objects.filter(action="session.attendance").exists()


def test_the_api_answers_a_session_cancelled_meanwhile_with_409_saying_it_was_not_saved(world, track, client):
    _enrolment, (first, _second), _colleague = track
    ts.session_cancel(world.outsider, session=first)
    client.force_login(world.outsider)
    response = client.post(reverse("offer-session-attendance", args=[first.pk]), {"attended": True, "based_on": None},
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json()["detail"] == "This session was cancelled meanwhile, so what you recorded for it was not saved."
    assert response.json()["current"]["cancelled_at"] is not None
    assert _attended(first) is None and not AuditEvent.objects.filter(action="session.attendance").exists()
