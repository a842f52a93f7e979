"""Issue 15, findings 1 and 2: releasing and relabelling a restricted item follow § 65 SGB VIII.

A consent is recorded only by the disclosing organisation (with its form) or by the parent
herself; she hears of every consent in her name and can object. Changing who holds or entrusted
an item, or letting more people read it, is a disclosure only its holder may make under a
consent or legal basis that covers it; narrowing is always allowed.
"""
from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind, Notification
from cases.models import Consent, ConsentScope, DisclosureBasis, FamilyMember
from permissions.models import AuditEvent
from protocols import policy as protocols_policy
from protocols.models import Audience, Protocol

pytestmark = pytest.mark.django_db


def sees(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


def consent_payload(world, **extra):
    today = timezone.localdate()
    return {"case": world.case.pk, "given_by": world.mother.pk, "from_organisation": world.youth_welfare.pk,
            "to_organisations": [world.midwifery.pk], "categories": [world.item_restricted.category],
            "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=30)).isoformat(), **extra}


def give_father_consent_to_midwifery(world) -> FamilyMember:
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=father, from_organisation=world.youth_welfare,
                                     valid_from=today, valid_until=today + dt.timedelta(days=30), form_reference="SE-F",
                                     recorded_by=world.convenor)
    consent.to_organisations.set([world.midwifery])
    ConsentScope.objects.create(consent=consent, category=world.item_restricted.category)
    return father


# --- finding 1: who may record a consent --------------------------------------------------------

def test_a_team_member_cannot_release_another_organisations_item_to_herself(world, client):
    client.force_login(world.midwife)
    response = client.post("/api/consents/", consent_payload(world), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"from_organisation", "form_reference"}
    assert not Consent.objects.filter(to_organisations=world.midwifery).exists()
    client.force_login(world.midwife)
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 404


def test_a_member_of_another_organisation_cannot_record_the_release_even_with_a_form_reference(world, client):
    client.force_login(world.midwife)
    response = client.post("/api/consents/", consent_payload(world, form_reference="SE-99"), content_type="application/json")
    assert response.status_code == 400 and "from_organisation" in response.json()
    assert not sees(world.midwife, world.item_restricted)


def test_the_disclosing_organisation_needs_the_signed_forms_reference(world, client):
    client.force_login(world.convenor)
    response = client.post("/api/consents/", consent_payload(world), content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["form_reference"]


def test_the_page_offers_only_the_users_own_organisations_as_the_disclosing_one(world, client):
    client.force_login(world.midwife)
    page = client.get(reverse("cases:consent_create", args=[world.case.pk]))
    choices = list(page.context["form"].fields["from_organisation"].queryset)
    assert choices == [world.midwifery]


def test_a_recorded_consent_names_its_recorder_and_the_parent_is_notified_by_reference_only(
        world, client, django_capture_on_commit_callbacks):
    client.force_login(world.convenor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/consents/", consent_payload(world, form_reference="SE-31"), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recorded_by"] == world.convenor.pk and body["recorded_as"] == "signed_form"
    notification = Notification.objects.get(recipient=world.parent)
    assert notification.kind == Kind.CONSENT_RECORDED and notification.url == reverse("cases:my_consents")
    client.force_login(world.parent)
    listed = client.get(reverse("notifications:list")).content.decode()
    assert "A consent has been recorded in your name" in listed and world.midwifery.name not in listed


def test_a_parent_without_an_account_is_told_by_a_letter_without_content(world, client, django_capture_on_commit_callbacks):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.",
                                         email="vater@example.org")
    client.force_login(world.convenor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/consents/", consent_payload(world, given_by=father.pk, form_reference="SE-32"),
                               content_type="application/json")
    assert response.status_code == 201
    message, = mail.outbox
    assert message.to == ["vater@example.org"]
    assert world.midwifery.name not in message.body and world.case.reference not in message.body


def test_the_parent_sees_who_recorded_a_consent_and_her_objection_stops_it_at_once(world, client):
    assert sees(world.counsellor, world.item_restricted)
    client.force_login(world.parent)
    page = client.get(reverse("cases:my_consents")).content.decode()
    assert "Convenor" in page and "SE-2026-17" in page and "I did not give this consent" in page
    response = client.post(reverse("cases:consent_object", args=[world.consent.pk]))
    assert response.status_code == 302
    world.consent.refresh_from_db()
    assert world.consent.objected_at is not None and world.consent.revoked_by == world.parent
    assert not sees(world.counsellor, world.item_restricted)
    assert AuditEvent.objects.filter(action="consent.object", case=world.case).exists()
    assert "Objected to on" in client.get(reverse("cases:my_consents")).content.decode()


def test_nobody_but_the_named_parent_can_object(world, client):
    client.force_login(world.convenor)
    assert client.post(f"/api/consents/{world.consent.pk}/object/").status_code == 403
    client.force_login(world.other_parent)
    assert client.post(reverse("cases:consent_object", args=[world.consent.pk])).status_code == 404
    world.consent.refresh_from_db()
    assert world.consent.objected_at is None


def test_a_parent_gives_a_consent_herself_in_the_service_without_a_form(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.parent)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:consent_give", args=[world.case.pk]), {
            "from_organisation": world.youth_welfare.pk, "to_organisations": [world.midwifery.pk],
            "categories": [world.item_restricted.category], "valid_from": today.isoformat(),
            "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        })
    assert response.status_code == 302
    consent = Consent.objects.get(to_organisations=world.midwifery)
    assert consent.recorded_as == Consent.RecordedAs.IN_SERVICE and consent.given_by == world.mother
    assert consent.recorded_by == world.parent
    assert sees(world.midwife, world.item_restricted)
    assert mail.outbox == []  # she gave it herself


def test_a_parent_cannot_give_a_consent_in_another_parents_name(world, client):
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    client.force_login(world.parent)
    response = client.post("/api/consents/", consent_payload(world, given_by=father.pk), content_type="application/json")
    assert response.status_code == 403
    assert not Consent.objects.filter(given_by=father).exists()


# --- finding 2: relabelling and widening ------------------------------------------------------

def patch(client, item, **data):
    item.refresh_from_db()
    return client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, **data}, content_type="application/json")


def test_relabelling_the_entrusting_person_to_one_whose_consent_reaches_further_is_refused(world, client):
    father = give_father_consent_to_midwifery(world)
    client.force_login(world.convenor)
    response = patch(client, world.item_restricted, entrusted_by=father.pk)
    assert response.status_code == 400 and "audience" in response.json()
    world.item_restricted.refresh_from_db()
    assert world.item_restricted.entrusted_by == world.mother
    assert not sees(world.midwife, world.item_restricted)


def test_widening_a_restricted_item_to_all_professionals_without_consent_is_refused(world, client):
    client.force_login(world.convenor)
    response = patch(client, world.item_restricted, audience="professionals")
    assert response.status_code == 400
    assert "Hebammenpraxis Test" in response.json()["audience"][0]
    world.item_restricted.refresh_from_db()
    assert world.item_restricted.audience == Audience.RESTRICTED
    assert not sees(world.midwife, world.item_restricted)


def test_only_the_holding_organisation_may_relabel_even_when_it_writes_the_protocol(world, client):
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.counsellor)
    client.force_login(world.counsellor)
    response = patch(client, world.item_restricted, holding_organisation=world.counselling.pk)
    assert response.status_code == 403
    world.item_restricted.refresh_from_db()
    assert world.item_restricted.holding_organisation == world.youth_welfare


def test_the_holder_widens_under_a_legal_basis_and_the_disclosure_is_audited_with_it(world, client):
    today = timezone.localdate()
    basis = DisclosureBasis.objects.create(case=world.case, basis="de_kkg_4", from_organisation=world.youth_welfare,
                                           invoked_by=world.convenor, justification="Gefährdung", invoked_on=today,
                                           valid_until=today + dt.timedelta(days=10), parents_informed=True)
    basis.to_organisations.set([world.midwifery])
    client.force_login(world.convenor)
    response = patch(client, world.item_restricted, audience="professionals")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="protocol.item.disclose")
    assert event.legal_basis == f"consent:{world.consent.pk} de_kkg_4:{basis.pk}"
    assert event.detail["bases"] == {str(world.counselling.pk): f"consent:{world.consent.pk}",
                                      str(world.midwifery.pk): f"de_kkg_4:{basis.pk}"}
    assert sees(world.midwife, world.item_restricted)


def test_restricted_items_never_go_to_every_family_member_when_another_parent_is_on_the_case(world, client):
    FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    client.force_login(world.convenor)
    response = patch(client, world.item_restricted, audience="everyone")
    assert response.status_code == 400
    world.item_restricted.refresh_from_db()
    assert world.item_restricted.audience == Audience.RESTRICTED


def test_narrowing_is_always_allowed_even_to_a_writer_outside_the_holder(world, client):
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.counsellor)
    client.force_login(world.counsellor)
    response = patch(client, world.item_restricted, restricted_to=[world.counselling.pk])
    assert response.status_code == 200, response.content
    # restricting the Jugendamt's item keeps the Jugendamt as its holder...
    response = patch(client, world.item_professionals, audience="restricted", restricted_to=[world.counselling.pk],
                     holding_organisation=world.youth_welfare.pk, category="addiction_treatment")
    assert response.status_code in {200, 204}, response.content
    assert not AuditEvent.objects.filter(action="protocol.item.disclose").exists()


def test_a_writer_outside_the_holder_cannot_make_her_organisation_the_holder_by_restricting(world, client):
    """Otherwise she could restrict the Jugendamt's item with the Suchtberatung as holder and then,
    as its holder, widen it again."""
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.counsellor)
    client.force_login(world.counsellor)
    response = patch(client, world.item_professionals, audience="restricted", restricted_to=[world.counselling.pk],
                     holding_organisation=world.counselling.pk, category="addiction_treatment")
    assert response.status_code == 400 and "Jugendamt Test" in response.json()["holding_organisation"][0]
    world.item_professionals.refresh_from_db()
    assert world.item_professionals.audience == Audience.PROFESSIONALS
    # the holder itself may hand it on
    client.force_login(world.convenor)
    response = patch(client, world.item_professionals, audience="restricted", restricted_to=[world.counselling.pk],
                     holding_organisation=world.counselling.pk, category="addiction_treatment")
    assert response.status_code in {200, 204}, response.content


def test_the_item_page_refuses_a_relabel_like_the_api(world, client):
    father = give_father_consent_to_midwifery(world)
    client.force_login(world.convenor)
    item = world.item_restricted
    response = client.post(reverse("protocols:item_edit", args=[item.pk]), {
        "title": item.title, "text": item.text, "audience": "restricted", "version": item.version,
        "restricted_to": [world.counselling.pk, world.midwifery.pk], "holding_organisation": world.youth_welfare.pk,
        "category": item.category, "entrusted_by": father.pk,
    })
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.entrusted_by == world.mother and not sees(world.midwife, item)


@pytest.mark.django_db(transaction=True)
async def test_the_live_channel_refuses_a_widening_like_the_api(world):
    from tests.websocket.test_live_protocol import open_socket, receive_until

    socket = await open_socket(world.convenor, world.protocol.pk)
    await receive_until(socket, "hello")
    await socket.send_json_to({"type": "item_update", "item": world.item_restricted.pk, "version": world.item_restricted.version,
                               "audience": "professionals"})
    reply = await receive_until(socket, "error")
    assert "audience" in reply["fields"]
    await socket.disconnect()
    item = await database_sync_to_async(lambda: type(world.item_restricted).objects.get(pk=world.item_restricted.pk))()
    assert item.audience == Audience.RESTRICTED


# --- widening in every direction (professionals → everyone too), on every channel -----------------

def make_counsellor_minute_taker(world) -> None:
    Protocol.objects.filter(pk=world.protocol.pk).update(minute_taker=world.counsellor)


def test_a_writer_outside_the_holder_cannot_open_a_professionals_item_to_the_parents(world, client):
    make_counsellor_minute_taker(world)  # she writes the protocol; the Jugendamt's convenor wrote the item
    client.force_login(world.counsellor)
    assert patch(client, world.item_professionals, audience="everyone").status_code == 403
    item = world.item_professionals
    item.refresh_from_db()
    page = client.post(reverse("protocols:item_edit", args=[item.pk]), {
        "title": item.title, "text": item.text, "audience": "everyone", "version": item.version})
    assert page.status_code == 403
    item.refresh_from_db()
    assert item.audience == Audience.PROFESSIONALS and not sees(world.parent, item)
    # narrowing stays hers to do
    assert patch(client, item, audience="restricted", restricted_to=[world.counselling.pk],
                 holding_organisation=world.youth_welfare.pk, category="addiction_treatment").status_code in {200, 204}


@pytest.mark.django_db(transaction=True)
async def test_the_live_channel_refuses_opening_a_professionals_item_to_a_writer_outside_the_holder(world):
    from tests.websocket.test_live_protocol import open_socket, receive_until

    await database_sync_to_async(make_counsellor_minute_taker)(world)
    socket = await open_socket(world.counsellor, world.protocol.pk)
    await receive_until(socket, "hello")
    await socket.send_json_to({"type": "item_update", "item": world.item_professionals.pk,
                               "version": world.item_professionals.version, "audience": "everyone"})
    reply = await receive_until(socket, "error")
    assert reply["error"] == "forbidden"
    await socket.disconnect()
    item = await database_sync_to_async(lambda: type(world.item_professionals).objects.get(pk=world.item_professionals.pk))()
    assert item.audience == Audience.PROFESSIONALS


def test_the_holder_opens_a_professionals_item_to_the_parents_audited_as_a_disclosure(world, client):
    client.force_login(world.convenor)
    response = patch(client, world.item_professionals, audience="everyone")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action="protocol.item.disclose")
    assert event.legal_basis == "holding-organisation" and event.detail["decided_by_holder"] == [world.youth_welfare.pk]
    assert event.detail["to"] == {"audience": "everyone"}
    assert sees(world.parent, world.item_professionals)


def test_an_item_widened_by_its_holder_stays_the_holders_to_open_to_the_parents(world, client):
    """Suchtberatung widens its restricted item to all professionals under the mother's consent; the
    Jugendamt's convenor, who writes the protocol, still cannot pass it on to the parents."""
    from tests.matrix.test_matrix_audience import held_by_counselling

    item = held_by_counselling(world)
    client.force_login(world.counsellor)
    response = patch(client, item, audience="professionals")
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.holding_organisation == world.counselling and item.entrusted_by == world.mother
    client.force_login(world.convenor)
    assert patch(client, item, audience="everyone").status_code == 403
    # naming another holder while keeping it for professionals does not move the decision either
    response = patch(client, item, holding_organisation=world.youth_welfare.pk)
    assert response.status_code == 400 and list(response.json()) == ["holding_organisation"]
    item.refresh_from_db()
    assert item.holding_organisation == world.counselling
    assert patch(client, item, audience="everyone").status_code == 403
    item.refresh_from_db()
    assert item.audience == Audience.PROFESSIONALS and not sees(world.parent, item)


def test_the_holder_who_does_not_write_changes_who_reads_on_the_page_but_not_the_text(world, client):
    from tests.matrix.test_matrix_audience import held_by_counselling

    item = held_by_counselling(world)
    client.force_login(world.counsellor)
    detail = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert reverse("protocols:item_edit", args=[item.pk]) in detail and "Change who may read it" in detail
    # the world's item for professionals is the Jugendamt's: no such link for her
    assert reverse("protocols:item_edit", args=[world.item_professionals.pk]) not in detail
    page = client.get(reverse("protocols:item_edit", args=[item.pk]))
    assert page.status_code == 200 and "title" not in page.context["form"].fields
    response = client.post(reverse("protocols:item_edit", args=[item.pk]), {
        "title": "Umbenannt", "text": "Anderer Text", "audience": "restricted", "version": item.version,
        "restricted_to": [world.counselling.pk], "holding_organisation": world.counselling.pk,
        "category": item.category, "entrusted_by": world.mother.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "In der Suchtberatung anvertraut" and item.text == "Rückfall im Mai."
    assert list(item.restricted_to.all()) == [world.counselling]
    # the API agrees: the audience yes, the text no
    assert patch(client, item, text="Anderer Text").status_code == 403
