"""An agreed action changes hands: the convenor gives an open action to someone else who is
eligible as at its creation; the history, the audit trail, the live channel and the new
responsible's notifications follow; a stale form changes nothing."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseTeamMember, FamilyMember
from conferences.models import Invitation
from notifications.models import Kind, Notification
from permissions import conflicts
from permissions.models import AuditEvent
from privacy import services as privacy_services
from privacy.models import DataSubjectRequest
from protocols import live, services
from protocols.models import AgreedAction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def father(world):
    """The other parent of the case, invited to the conference (she may take over the mother's action)."""
    member = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    Invitation.objects.create(conference=world.conference, family_member=member)
    return member


def reassign(actor, action, **kwargs):
    action = AgreedAction.objects.get(pk=action.pk)
    kwargs.setdefault("version", action.version)
    kwargs.setdefault("reason", "Changed jobs")
    return services.action_reassign(actor, action=action, **kwargs)


def test_the_convenor_gives_an_action_to_another_professional_of_the_team(world, committed, monkeypatch):
    sent = []
    monkeypatch.setattr(live, "send_to_protocols", lambda ids, event: sent.append(event))
    before = AgreedAction.objects.get(pk=world.action_counselling.pk)
    with committed():
        action = reassign(world.convenor, world.action_counselling, responsible_user=world.midwife,
                          responsible_organisation=world.midwifery, reason="Die Beraterin ist länger krank")
    action.refresh_from_db()
    assert (action.responsible_user, action.responsible_organisation) == (world.midwife, world.midwifery)
    assert action.version == before.version + 1 and action.status == before.status
    event = AuditEvent.objects.get(action="protocol.action.reassign")
    assert event.detail["old"] == {"user": world.counsellor.pk, "organisation": world.counselling.pk, "family_member": None}
    assert event.detail["new"] == {"user": world.midwife.pk, "organisation": world.midwifery.pk, "family_member": None}
    last_note = action.notes.order_by("-pk").first()
    assert "Die Beraterin ist länger krank" in last_note.note and str(world.midwife) in last_note.note
    changed = [e for e in sent if e["type"] == "action.changed" and e["action_id"] == action.pk]
    assert changed and changed[-1]["responsible_user"] == world.midwife.pk
    # told that it was handed over to her; the one who gave it away is not told
    assert list(Notification.objects.filter(recipient=world.midwife).values_list("kind", flat=True)) == [Kind.ACTION_RECEIVED]
    assert not Notification.objects.filter(recipient=world.convenor).exists()


def test_one_parent_takes_over_the_other_parents_action_and_a_second_hand_over_is_told_again(world, father, committed):
    with committed():
        reassign(world.convenor, world.action_parent, responsible_family_member=father, reason="Der Vater übernimmt")
    assert AgreedAction.objects.get(pk=world.action_parent.pk).responsible_family_member == father
    with committed():
        reassign(world.convenor, world.action_parent, responsible_family_member=world.mother, reason="Zurück")
    with committed():
        reassign(world.convenor, world.action_parent, responsible_family_member=father, reason="Doch der Vater")
    with committed():
        reassign(world.convenor, world.action_parent, responsible_family_member=world.mother, reason="Wieder zurück")
    # the mother got it back twice: told twice (once per hand-over)
    assert Notification.objects.filter(recipient=world.parent, kind=Kind.ACTION_RECEIVED).count() == 2


@pytest.mark.parametrize("role", ["counsellor", "midwife", "lead_colleague_removed"])
def test_only_the_convenor_may_give_an_action_away(world, role):
    if role == "lead_colleague_removed":
        CaseTeamMember.objects.filter(case=world.case, user=world.lead_colleague).update(removed_at=timezone.now())
        actor = world.lead_colleague
    else:
        actor = getattr(world, role)
    with pytest.raises(PermissionDenied):
        reassign(actor, world.action_counselling, responsible_user=world.midwife, responsible_organisation=world.midwifery)
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).responsible_user == world.counsellor


def test_the_lead_organisations_caseworker_may_give_it_away_too(world):
    reassign(world.lead_colleague, world.action_counselling, responsible_organisation=world.midwifery)
    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    assert action.responsible_organisation == world.midwifery and action.responsible_user is None


@pytest.mark.parametrize("status", [AgreedAction.Status.DONE, AgreedAction.Status.DROPPED])
def test_a_closed_action_keeps_its_responsible(world, status):
    services.action_update_status(world.convenor, action=world.action_counselling, status=status, note="fertig")
    with pytest.raises(ValidationError) as refused:
        reassign(world.convenor, world.action_counselling, responsible_organisation=world.midwifery)
    assert "Only an open or in-progress action" in " ".join(refused.value.messages)
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).responsible_organisation == world.counselling


def test_an_action_in_progress_may_change_hands(world):
    services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress")
    reassign(world.convenor, world.action_counselling, responsible_organisation=world.midwifery)
    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    assert action.responsible_organisation == world.midwifery and action.status == "in_progress"


def test_a_stale_version_is_a_conflict_and_changes_nothing(world):
    stale = AgreedAction.objects.get(pk=world.action_counselling.pk).version
    services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress", note="begonnen")
    with pytest.raises(conflicts.EditConflict) as refused:
        reassign(world.convenor, world.action_counselling, version=stale, responsible_organisation=world.midwifery)
    assert "Someone else changed this action in the meantime" in refused.value.messages[0]
    action = AgreedAction.objects.get(pk=world.action_counselling.pk)
    assert action.responsible_user == world.counsellor and action.version == stale + 1
    assert not AuditEvent.objects.filter(action="protocol.action.reassign").exists()


@pytest.mark.parametrize("who", ["outsider", "parent_not_invited", "parent_of_other_case", "child", "same", "nobody"])
def test_the_new_responsible_must_be_eligible_as_at_creation(world, who):
    if who == "outsider":  # a professional of the network who is not on the team
        kwargs = {"responsible_user": world.outsider, "responsible_organisation": world.early_help}
    elif who == "parent_not_invited":
        kwargs = {"responsible_family_member": FamilyMember.objects.create(
            case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")}
    elif who == "parent_of_other_case":
        kwargs = {"responsible_family_member": FamilyMember.objects.get(case=world.other_case)}
    elif who == "child":
        kwargs = {"responsible_family_member": world.expected_child}
    elif who == "same":
        kwargs = {"responsible_user": world.counsellor, "responsible_organisation": world.counselling}
    else:
        kwargs = {}
    with pytest.raises(ValidationError) as refused:
        reassign(world.convenor, world.action_counselling, **kwargs)
    assert "responsible" in refused.value.message_dict
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).responsible_user == world.counsellor


def test_an_action_in_a_restricted_item_goes_only_to_an_organisation_that_may_read_it(world):
    """The early-help organisation joins the team but is neither named for the restricted item
    nor covered by a consent: refused as at creation; counselling (named, with consent) is fine."""
    CaseTeamMember.objects.create(case=world.case, organisation=world.early_help, user=world.outsider)
    action = services.action_create(world.convenor, item=world.item_restricted, title="Vertrauliche Aufgabe",
                                    due_on=world.action_counselling.due_on, responsible_organisation=world.youth_welfare)
    with pytest.raises(ValidationError) as refused:
        reassign(world.convenor, action, responsible_organisation=world.early_help)
    assert "restricted" in refused.value.message_dict["responsible"][0]
    reassign(world.convenor, action, responsible_organisation=world.counselling)
    assert AgreedAction.objects.get(pk=action.pk).responsible_organisation == world.counselling


def test_a_hand_over_after_the_release_leaves_pending_corrections_of_its_item_acceptable(world):
    from protocols.models import CorrectionProposal, ProtocolItem
    from tests.world import hold_conference

    hold_conference(world.conference)
    services.protocol_release(world.convenor, protocol=world.protocol)
    item = ProtocolItem.objects.get(pk=world.item_professionals.pk)
    proposal = services.correction_propose(world.counsellor, item=item, proposed_text="Korrigiert", version=item.version)
    reassign(world.convenor, world.action_counselling, responsible_organisation=world.midwifery)
    proposal = CorrectionProposal.objects.select_related("item").get(pk=proposal.pk)
    assert not proposal.is_outdated


def test_a_reason_is_required(world):
    with pytest.raises(ValidationError) as refused:
        reassign(world.convenor, world.action_counselling, responsible_organisation=world.midwifery, reason="  ")
    assert "reason" in refused.value.message_dict


# --- the page ----------------------------------------------------------------------------------

def _post(client, action, data):
    current = AgreedAction.objects.get(pk=action.pk)
    form = {"reassign-version": current.version, "reassign-reason": "Stellenwechsel", **data}
    return client.post(reverse("protocols:action_reassign", args=[action.pk]), form)


def test_the_convenor_finds_a_labelled_form_on_the_actions_page_and_uses_it(world, client):
    client.force_login(world.convenor)
    page = client.get(reverse("protocols:action_detail", args=[world.action_counselling.pk])).content.decode()
    assert "Give the action to someone else" in page
    assert 'for="id_reassign-responsible"' in page and 'for="id_reassign-reason"' in page
    response = _post(client, world.action_counselling, {"reassign-responsible": f"org:{world.midwifery.pk}"})
    assert response.status_code == 302
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).responsible_organisation == world.midwifery
    followed = client.get(response["Location"]).content.decode()
    assert "The action now falls to Hebammenpraxis Test" in followed


def test_the_page_names_what_is_wrong_in_an_error_summary(world, client):
    client.force_login(world.convenor)
    response = _post(client, world.action_counselling, {"reassign-responsible": f"user:{world.counsellor.pk}:{world.counselling.pk}",
                                                        "reassign-reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="error-summary"' in body and 'id="id_reassign-reason_error"' in body
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).version == world.action_counselling.version


def test_a_stale_page_form_answers_409_and_changes_nothing(world, client):
    client.force_login(world.convenor)
    stale = AgreedAction.objects.get(pk=world.action_counselling.pk).version
    services.action_update_status(world.counsellor, action=world.action_counselling, status="in_progress", note="begonnen")
    response = client.post(reverse("protocols:action_reassign", args=[world.action_counselling.pk]), {
        "reassign-version": stale, "reassign-reason": "x", "reassign-responsible": f"org:{world.midwifery.pk}"})
    assert response.status_code == 409
    assert "Someone else changed this action in the meantime" in response.content.decode()
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).responsible_organisation == world.counselling


def test_the_responsible_counsellor_sees_no_form_and_may_not_post(world, client):
    client.force_login(world.counsellor)
    page = client.get(reverse("protocols:action_detail", args=[world.action_counselling.pk])).content.decode()
    assert "Give the action to someone else" not in page
    assert _post(client, world.action_counselling, {"reassign-responsible": f"org:{world.midwifery.pk}"}).status_code == 403


# --- the API -----------------------------------------------------------------------------------

def test_the_api_gives_a_field_error_for_a_responsible_off_the_team(world, client):
    client.force_login(world.convenor)
    url = reverse("agreed-action-reassign", args=[world.action_counselling.pk])
    version = AgreedAction.objects.get(pk=world.action_counselling.pk).version
    bad = client.post(url, {"responsible_user": world.outsider.pk, "responsible_organisation": world.early_help.pk,
                            "reason": "x", "version": version}, content_type="application/json")
    assert bad.status_code == 400 and "responsible" in bad.json()
    nobody = client.post(url, {"responsible_organisation": 987654, "reason": "x", "version": version},
                         content_type="application/json")
    assert nobody.status_code == 400 and "responsible" in nobody.json()
    stale = client.post(url, {"responsible_organisation": world.midwifery.pk, "reason": "x", "version": version + 5},
                        content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current"]["version"] == version
    ok = client.post(url, {"responsible_organisation": world.midwifery.pk, "reason": "x", "version": version},
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["responsible"] == "Hebammenpraxis Test"


def test_an_action_is_not_given_to_a_parent_whose_data_were_erased(world, client):
    """Art. 17 granted: her account is unlinked and nothing is offered in her name any more, so the
    hand-over form no longer offers her and the service refuses her (she is still on the invitation
    list, marked erased)."""
    request = privacy_services.request_record(
        world.dpo, case=world.case, family_member=world.mother, kind=DataSubjectRequest.Kind.ERASURE,
        received_on=timezone.localdate(), identity_check="document")
    privacy_services.request_close(world.dpo, request=request, outcome="granted")
    client.force_login(world.convenor)
    page = client.get(reverse("protocols:action_detail", args=[world.action_counselling.pk])).content.decode()
    assert f'value="parent:{world.mother.pk}"' not in page
    with pytest.raises(ValidationError) as refused:
        reassign(world.convenor, world.action_counselling, responsible_family_member=FamilyMember.objects.get(pk=world.mother.pk))
    assert "This person's data were erased (Art. 17 GDPR): no action can be given to her." in str(refused.value)
    assert AgreedAction.objects.get(pk=world.action_counselling.pk).responsible_family_member is None
