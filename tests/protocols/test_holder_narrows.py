"""The organisation holding an item's information narrows who reads it again after it was widened
(a consent revoked, a widening by mistake): in a released draft and a final protocol as in the
draft, and an item widened to everyone too - on the item's page (a form that works without
JavaScript), through the API, and through the service with its audit event. It only narrows: it
never widens outside the draft, and nobody but the holder narrows that way."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Consent, ConsentScope, InformationCategory
from permissions.models import AuditEvent
from protocols import policy as protocols_policy, services
from protocols.models import Audience, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db

CATEGORY = InformationCategory.PARENTING_CHILD_WELFARE


@pytest.fixture
def widened(world):
    """Counselling's information, widened to the team under the mother's consent to every organisation."""
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=world.mother, from_organisation=world.counselling,
                                     valid_from=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=90),
                                     form_reference="SE-N", recorded_by=world.counsellor)
    consent.to_organisations.set([world.youth_welfare, world.midwifery])
    ConsentScope.objects.create(consent=consent, category=CATEGORY)
    return ProtocolItem.objects.create(protocol=world.protocol, position=20, title="Erweitert", text="Anvertraut",
                                       audience=Audience.PROFESSIONALS, holding_organisation=world.counselling,
                                       entrusted_by=world.mother, category=CATEGORY, created_by=world.counsellor)


def _status(world, status):
    Protocol.objects.filter(pk=world.protocol.pk).update(
        status=status, released_at=timezone.now(), corrections_until=timezone.localdate() + dt.timedelta(days=5),
        finalised_at=timezone.now() if status == Protocol.Status.FINAL else None)
    world.protocol.refresh_from_db()


def _reads(user, item) -> bool:
    return protocols_policy.protocol_items_for_user(user).filter(pk=item.pk).exists()


@pytest.mark.parametrize("status", [Protocol.Status.RELEASED, Protocol.Status.FINAL])
def test_the_holder_narrows_a_widened_item_on_its_page_after_the_draft(client, world, widened, status):
    _status(world, status)
    assert _reads(world.midwife, widened)
    client.force_login(world.counsellor)
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    url = reverse("protocols:item_edit", args=[widened.pk])
    assert url in page
    assert client.get(url).status_code == 200
    response = client.post(url, {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk, world.youth_welfare.pk],
                                 "version": widened.version})
    assert response.status_code == 302
    widened.refresh_from_db()
    assert widened.audience == Audience.RESTRICTED and widened.text == "Anvertraut"
    assert not _reads(world.midwife, widened)
    assert _reads(world.convenor, widened)
    event = AuditEvent.objects.get(action="protocol.item.narrow", object_id=str(widened.pk))
    assert event.detail["from"]["audience"] == Audience.PROFESSIONALS


def test_the_holder_narrows_an_item_widened_to_everyone_in_the_draft(client, world, widened):
    ProtocolItem.objects.filter(pk=widened.pk).update(audience=Audience.EVERYONE)
    client.force_login(world.counsellor)
    url = reverse("protocols:item_edit", args=[widened.pk])
    response = client.post(url, {"audience": Audience.PROFESSIONALS, "version": widened.version})
    assert response.status_code == 302
    widened.refresh_from_db()
    assert widened.audience == Audience.PROFESSIONALS
    assert not _reads(world.parent, widened)


def test_the_holder_narrows_through_the_api(world, widened):
    _status(world, Protocol.Status.RELEASED)
    api = APIClient()
    api.force_authenticate(world.counsellor)
    response = api.patch(reverse("protocol-item-detail", args=[widened.pk]),
                         {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk], "version": widened.version},
                         format="json")
    assert response.status_code == 200, response.content
    assert not _reads(world.midwife, widened) and not _reads(world.convenor, widened)


def test_outside_the_draft_the_holder_only_narrows(world, widened):
    _status(world, Protocol.Status.RELEASED)
    with pytest.raises(ValidationError) as refused:
        services.item_narrow(world.counsellor, item=widened, version=widened.version, audience=Audience.EVERYONE)
    assert "narrower" in refused.value.message_dict["audience"][0]


def test_nobody_else_narrows_it_outside_the_draft(client, world, widened):
    _status(world, Protocol.Status.RELEASED)
    with pytest.raises(PermissionDenied):
        services.item_narrow(world.midwife, item=widened, version=widened.version, audience=Audience.RESTRICTED,
                             restricted_to=[world.midwifery])
    client.force_login(world.midwife)
    assert client.get(reverse("protocols:item_edit", args=[widened.pk])).status_code == 403


@pytest.fixture
def restricted_to_one(world):
    """Youth welfare's information, restricted to counselling alone (as the demo's items), which
    the mother's consent lets counselling read."""
    item = ProtocolItem.objects.create(protocol=world.protocol, position=21, title="Nur Suchtberatung", text="Anvertraut",
                                       audience=Audience.RESTRICTED, holding_organisation=world.youth_welfare,
                                       entrusted_by=world.mother, category=world.item_restricted.category,
                                       created_by=world.convenor)
    item.restricted_to.set([world.counselling])
    return item


def test_the_holder_narrows_an_item_named_for_one_other_organisation_to_itself(client, world, restricted_to_one):
    """The fifth newcomer walk: unticking the one organisation named was refused ("name at least
    one"), ticking her own was refused as a widening; the page itself says a revoked consent is
    what narrowing is for."""
    _status(world, Protocol.Status.FINAL)
    assert _reads(world.counsellor, restricted_to_one)
    client.force_login(world.convenor)
    url = reverse("protocols:item_edit", args=[restricted_to_one.pk])
    form = client.get(url).content.decode()
    # only who reads it now is offered: the midwifery practice, which does not, is not
    assert f'value="{world.counselling.pk}"' in form and f'value="{world.youth_welfare.pk}"' in form
    assert f'value="{world.midwifery.pk}"' not in form
    response = client.post(url, {"audience": Audience.RESTRICTED, "restricted_to": [world.youth_welfare.pk],
                                 "version": restricted_to_one.version})
    assert response.status_code == 302
    restricted_to_one.refresh_from_db()
    assert [o.pk for o in restricted_to_one.restricted_to.all()] == [world.youth_welfare.pk]
    assert not _reads(world.counsellor, restricted_to_one)
    assert _reads(world.convenor, restricted_to_one)


def test_naming_the_holder_beside_those_named_is_no_narrowing(world, restricted_to_one):
    _status(world, Protocol.Status.FINAL)
    with pytest.raises(ValidationError) as refused:
        services.item_update(world.convenor, item=restricted_to_one, version=restricted_to_one.version,
                             audience=Audience.RESTRICTED, restricted_to=[world.counselling, world.youth_welfare])
    assert "restricted_to" in refused.value.message_dict


def test_an_item_narrowed_to_its_holder_alone_offers_no_narrowing_form_any_more(client, world, restricted_to_one, widened):
    """Walked in Chromium: after narrowing, "Narrow who may read it" still stood beside the item; its
    form offered only the holder, and saving was refused whatever she ticked (a dead end)."""
    _status(world, Protocol.Status.FINAL)
    services.item_narrow(world.convenor, item=restricted_to_one, version=restricted_to_one.version,
                         audience=Audience.RESTRICTED, restricted_to=[world.youth_welfare])
    client.force_login(world.convenor)
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert "Nur Suchtberatung" in page  # she still reads it
    assert reverse("protocols:item_edit", args=[restricted_to_one.pk]) not in page
    client.force_login(world.counsellor)  # the holder of the widened item is still offered its form
    page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert reverse("protocols:item_edit", args=[widened.pk]) in page
