"""Two convenors record the attendance of one conference at once, each on a form opened before the
other saved. What each of them changed is kept: a row one of them left as it was does not undo
what the other recorded there. Where both recorded the same person differently, the second save
is refused; her choices stay in the form beside the record as it is now, and saving again saves
them."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from conferences.models import Invitation
from permissions.conflicts import EditConflict
from permissions.models import AuditEvent
from protocols import services
from protocols.models import Protocol
from tests.world import hold_conference

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this meanwhile"


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def held(world):
    hold_conference(world.conference)
    return world


def _attendance(invitation: Invitation) -> str:
    return Invitation.objects.get(pk=invitation.pk).attendance


def _form_data(world, based_on: str, **rows) -> dict:
    """What the attendance page posts: every invitation's choice (as the form was opened: nothing
    recorded yet, unless ``rows`` says otherwise), who took the minutes, and what it was opened on."""
    data = {f"inv-{i.pk}": "" for i in Invitation.objects.filter(conference=world.conference, removed_at__isnull=True)}
    data.update({f"inv-{pk}": value for pk, value in rows.items()})
    return {**data, "minute_taker": world.convenor.pk, "based_on": based_on}


def test_the_same_person_recorded_differently_on_an_old_record_is_refused_and_changes_nothing(held):
    world = held
    parent, counsellor = world.invitation_parent, world.invitation_counsellor
    started = services.attendance_based_on(world.protocol)
    services.attendance_record(world.convenor, protocol=world.protocol, based_on=started,
                               attendance={parent.pk: "present", counsellor.pk: ""})
    with pytest.raises(EditConflict) as refused:
        services.attendance_record(world.lead_colleague, protocol=world.protocol, based_on=started,
                                   attendance={parent.pk: "absent", counsellor.pk: "excused"})
    assert (_attendance(parent), _attendance(counsellor)) == ("present", "")
    assert refused.value.current.pk == world.protocol.pk
    assert AuditEvent.objects.filter(action="protocol.attendance").count() == 1


def test_the_minute_taker_chosen_differently_on_an_old_record_is_refused(held):
    world = held
    started = services.attendance_based_on(world.protocol)
    services.attendance_record(world.convenor, protocol=world.protocol, attendance={}, based_on=started,
                               minute_taker=world.lead_colleague)
    with pytest.raises(EditConflict):
        services.attendance_record(world.lead_colleague, protocol=world.protocol, attendance={}, based_on=started,
                                   minute_taker=world.counsellor)
    assert Protocol.objects.get(pk=world.protocol.pk).minute_taker == world.lead_colleague


def test_rows_the_second_left_as_they_were_keep_what_the_first_recorded(held, client):
    """The page posts every row: before, the second form's "not recorded" for the mother undid the
    first convenor's "present" without a word."""
    world = held
    parent, counsellor = world.invitation_parent, world.invitation_counsellor
    url = reverse("protocols:attendance", args=[world.protocol.pk])
    started = services.attendance_based_on(world.protocol)
    client.force_login(world.convenor)
    assert client.post(url, _form_data(world, started, **{str(parent.pk): "present"})).status_code == 302
    client.force_login(world.lead_colleague)
    assert client.post(url, _form_data(world, started, **{str(counsellor.pk): "excused"})).status_code == 302
    assert (_attendance(parent), _attendance(counsellor)) == ("present", "excused")


def test_the_page_keeps_her_choices_beside_the_current_record_and_saves_them_on_the_second_try(held, client):
    world = held
    parent, counsellor = world.invitation_parent, world.invitation_counsellor
    url = reverse("protocols:attendance", args=[world.protocol.pk])
    client.force_login(world.convenor)
    opened = client.get(url).content.decode()
    started = services.attendance_based_on(world.protocol)
    assert 'name="based_on"' in opened and f'value="{started.replace("&", "&amp;")}"' in opened

    client.force_login(world.lead_colleague)
    first = _form_data(world, started, **{str(parent.pk): "present", str(counsellor.pk): "present"})
    assert client.post(url, first).status_code == 302

    client.force_login(world.convenor)
    mine = _form_data(world, started, **{str(parent.pk): "absent"})
    refused = client.post(url, mine)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert CONFLICT in page
    # Her choice for the mother is still selected; the counsellor's row, which she left as it was,
    # now shows what the colleague recorded, so that saving again does not undo it.
    assert f'value="absent" id="id_inv-{parent.pk}_3" checked' in page
    assert f'value="present" id="id_inv-{counsellor.pk}_1" checked' in page
    # Beside the form, the record as it is now.
    assert "As it is now" in page
    assert f"<dt>{world.mother}</dt><dd>present</dd>" in page
    assert (_attendance(parent), _attendance(counsellor)) == ("present", "present")

    now = services.attendance_based_on(Protocol.objects.get(pk=world.protocol.pk))
    assert f'value="{now.replace("&", "&amp;")}"' in page  # saving again is based on the record as it is now
    again = _form_data(world, now, **{str(parent.pk): "absent", str(counsellor.pk): "present"})
    assert client.post(url, again).status_code == 302
    assert (_attendance(parent), _attendance(counsellor)) == ("absent", "present")


def test_a_person_invited_after_her_form_was_opened_keeps_what_a_colleague_recorded(held):
    """Her form did not show the new row and she recorded nothing there: her save is not refused,
    and the colleague's record of the new person stays."""
    world = held
    started = services.attendance_based_on(world.protocol)
    late = Invitation.objects.create(conference=world.conference, user=world.lead_colleague,
                                     organisation=world.youth_welfare, required=False)
    services.attendance_record(world.lead_colleague, protocol=world.protocol,
                               based_on=services.attendance_based_on(world.protocol), attendance={late.pk: "present"})
    services.attendance_record(world.convenor, protocol=world.protocol, based_on=started,
                               attendance={world.invitation_parent.pk: "present", late.pk: ""})
    assert (_attendance(world.invitation_parent), _attendance(late)) == ("present", "present")
    # A row her form did not show but for which she chose something different still refuses.
    with pytest.raises(EditConflict):
        services.attendance_record(world.convenor, protocol=world.protocol, based_on=started,
                                   attendance={late.pk: "absent"})
    assert _attendance(late) == "present"


def test_a_row_of_an_invitation_withdrawn_meanwhile_is_named_as_not_saved_and_the_rest_is_saved(held, client):
    """Before, her choice for a person whose invitation was withdrawn after she opened the page
    was dropped without a word, and the page said "The attendance is recorded"."""
    world = held
    parent, counsellor = world.invitation_parent, world.invitation_counsellor
    started = services.attendance_based_on(world.protocol)
    data = _form_data(world, started, **{str(parent.pk): "present", str(counsellor.pk): "excused"})
    Invitation.objects.filter(pk=counsellor.pk).update(removed_at=timezone.now())  # withdrawn meanwhile
    client.force_login(world.convenor)
    response = client.post(reverse("protocols:attendance", args=[world.protocol.pk]), data, follow=True)
    page = response.content.decode()
    assert (_attendance(parent), _attendance(counsellor)) == ("present", "")
    assert f"Not saved: the invitation of {world.counsellor} ({world.counselling}) was withdrawn meanwhile" in page
    assert "The attendance is recorded." in page  # the parent's row was


def test_when_only_a_withdrawn_row_changed_the_page_does_not_claim_it_was_recorded(held, client):
    world = held
    counsellor = world.invitation_counsellor
    started = services.attendance_based_on(world.protocol)
    data = _form_data(world, started, **{str(counsellor.pk): "present"})
    Invitation.objects.filter(pk=counsellor.pk).update(removed_at=timezone.now())
    client.force_login(world.convenor)
    page = client.post(reverse("protocols:attendance", args=[world.protocol.pk]), data, follow=True).content.decode()
    assert "was withdrawn meanwhile, so what you recorded for it was not kept." in page
    assert "The attendance is recorded." not in page
    assert _attendance(counsellor) == ""
