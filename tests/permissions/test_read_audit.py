"""Every read of case content is an audit event, on every channel; a list is one event naming the
ids it returned, and a read released under a consent or a legal basis names that basis."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import consent_services as participant_services
from cases.models import FamilyMember, LegalBasis
from permissions import audit_labels
from access import selectors as permission_selectors
from permissions.models import AuditEvent
from protocols.models import Audience, ProtocolItem


def _events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def _kkg_basis(world, *, to, informed=True):
    today = timezone.localdate()
    return participant_services.disclosure_basis_record(
        world.convenor, case=world.case, basis=LegalBasis.DE_KKG_4, from_organisation=world.youth_welfare,
        to_organisations=to, justification="Gefährdung", invoked_on=today, valid_until=today + dt.timedelta(days=30),
        parents_informed=informed, not_informed_reason="" if informed else "Gefährdet das Kind",
    )


API_READS = [
    ("protocol-item-list", None, "protocol.item.list"),
    ("protocol-item-detail", "item_everyone", "protocol.item.read"),
    ("protocol-amendment-list", None, None),  # no amendments yet: nothing read, nothing recorded
    ("agreed-action-list", None, "protocol.action.list"),
    ("agreed-action-detail", "action_counselling", "protocol.action.read"),
    ("case-list", None, "case.list"),
    ("case-detail", "case", "case.read"),
    ("conference-list", None, "conference.list"),
    ("conference-detail", "conference", "conference.read"),
    ("protocol-list", None, "protocol.list"),
    ("protocol-detail", "protocol", "protocol.read"),
    ("consent-list", None, "consent.list"),
    ("consent-detail", "consent", "consent.read"),
]


@pytest.mark.parametrize("name,obj,action", API_READS)
def test_each_api_read_of_case_content_writes_exactly_one_event(client, world, name, obj, action):
    client.force_login(world.convenor)
    before = AuditEvent.objects.count()
    url = reverse(name, args=[getattr(world, obj).pk]) if obj else reverse(name)
    assert client.get(url).status_code == 200
    new = list(AuditEvent.objects.order_by("pk")[before:])
    assert [e.action for e in new] == ([action] if action else [])
    for event in new:
        assert event.channel == "api" and event.actor == world.convenor and event.legal_basis


def test_legal_basis_api_reads_are_audited(client, world):
    basis = _kkg_basis(world, to=[world.midwifery])
    client.force_login(world.convenor)
    client.get(reverse("disclosure-basis-list"))
    client.get(reverse("disclosure-basis-detail", args=[basis.pk]))
    assert [e.action for e in _events(channel="api")] == ["disclosure_basis.list", "disclosure_basis.read"]


def test_a_list_is_one_event_naming_every_id_it_returned(client, world):
    client.force_login(world.convenor)
    response = client.get(reverse("protocol-item-list"))
    returned = [row["id"] for row in response.json()["results"]]
    [event] = _events(action="protocol.item.list")
    assert event.detail["ids"] == returned and len(returned) == 3
    assert event.case_id == world.case.pk
    # each item's basis: the convenor's organisation holds the restricted one
    assert event.legal_basis.split() == ["audience:everyone", "holding-organisation", "team"]
    assert event.detail["bases"]["holding-organisation"] == [world.item_restricted.pk]


def test_a_read_released_by_a_consent_names_that_consent(client, world):
    client.force_login(world.counsellor)
    client.get(reverse("protocol-item-detail", args=[world.item_restricted.pk]))
    [event] = _events(action="protocol.item.read")
    assert event.legal_basis == f"consent:{world.consent.pk}"
    assert event.object_id == str(world.item_restricted.pk)


def test_a_read_released_by_a_legal_basis_names_that_basis_on_every_channel(client, world):
    basis = _kkg_basis(world, to=[world.midwifery])
    client.force_login(world.midwife)
    client.get(reverse("protocol-item-list"))
    client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk]))
    events = _events(object_type="protocols.protocolitem")
    assert [e.channel for e in events] == ["api", "page"]
    for event in events:
        assert f"de_kkg_4:{basis.pk}" in event.legal_basis.split()
        assert event.detail["bases"][f"de_kkg_4:{basis.pk}"] == [world.item_restricted.pk]


def test_the_item_list_costs_the_same_queries_for_three_or_thirty_items(client, world):
    client.force_login(world.counsellor)
    client.get(reverse("protocol-item-list"))  # the chain's head exists from the first read on
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("protocol-item-list"))
    for n in range(27):
        item = ProtocolItem.objects.create(protocol=world.protocol, position=10 + n, title=f"P{n}", text="x",
                                           audience=Audience.RESTRICTED if n % 2 else Audience.PROFESSIONALS,
                                           holding_organisation=world.youth_welfare, entrusted_by=world.mother,
                                           category=world.item_restricted.category, created_by=world.convenor)
        item.restricted_to.set([world.counselling])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("protocol-item-list"))
    assert response.json()["count"] > 20
    assert _data_queries(many) == _data_queries(few)


def _data_queries(captured) -> int:
    """Queries of the read itself (the session middleware refreshes the session now and then)."""
    return len([q for q in captured if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]])


@pytest.mark.parametrize("page", ["dashboard", "my_actions"])
def test_pages_that_show_case_content_are_audited(client, world, page):
    client.force_login(world.counsellor)
    url = reverse("dashboard") if page == "dashboard" else reverse("protocols:my_actions")
    assert client.get(url).status_code == 200
    [event] = _events(channel="page")
    assert event.action == ("dashboard.read" if page == "dashboard" else "protocol.action.list")
    assert world.action_counselling.pk in (event.detail.get("actions") or event.detail.get("ids"))
    assert event.legal_basis


def test_the_poll_page_is_audited(client, world):
    from conferences.models import PollSlot, SlotPoll

    poll = SlotPoll.objects.create(conference=world.conference)
    start = timezone.now() + dt.timedelta(days=9)
    PollSlot.objects.create(poll=poll, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    client.force_login(world.parent)
    assert client.get(reverse("conferences:conference_poll", args=[world.conference.pk])).status_code == 200
    [event] = _events(action="poll.read")
    assert event.case_id == world.case.pk and event.legal_basis == "family"


def test_the_data_protection_officer_filters_the_log_by_legal_basis(client, world):
    basis = _kkg_basis(world, to=[world.midwifery])
    client.force_login(world.midwife)
    client.get(reverse("protocol-item-list"))
    client.force_login(world.counsellor)
    client.get(reverse("protocol-item-detail", args=[world.item_restricted.pk]))
    client.force_login(world.dpo)
    by_kkg = client.get(reverse("access:audit_log"), {"basis": LegalBasis.DE_KKG_4}).context["page"].object_list
    assert {e.action for e in by_kkg} >= {"protocol.item.list", "disclosure_basis.record"}
    assert all(f"de_kkg_4:{basis.pk}" in e.legal_basis for e in by_kkg)
    by_consent = client.get(reverse("access:audit_log"), {"basis": "consent"}).context["page"].object_list
    assert [e.action for e in by_consent if e.action.startswith("protocol")] == ["protocol.item.read"]
    assert all("consent:" in e.legal_basis for e in by_consent)


def test_a_mothers_access_log_leaves_out_the_fathers_consent(client, world):
    today = timezone.localdate()
    father = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    consent = participant_services.consent_record(
        world.convenor, case=world.case, given_by=father, from_organisation=world.youth_welfare,
        to_organisations=[world.midwifery], categories=[world.item_restricted.category], valid_from=today,
        valid_until=today + dt.timedelta(days=90), form_reference="SE-V-1",
    )
    father_item = ProtocolItem.objects.create(
        protocol=world.protocol, position=9, title="Vom Vater", text="x", audience=Audience.RESTRICTED,
        holding_organisation=world.youth_welfare, entrusted_by=father, category=world.item_restricted.category,
        created_by=world.convenor)
    father_item.restricted_to.set([world.midwifery])
    client.force_login(world.midwife)
    assert client.get(reverse("protocol-item-detail", args=[father_item.pk])).status_code == 200
    assert _events(action="protocol.item.read")[0].legal_basis == f"consent:{consent.pk}"
    client.force_login(world.counsellor)  # a read under the mother's own consent stays in her log
    client.get(reverse("protocol-item-detail", args=[world.item_restricted.pk]))
    client.force_login(world.parent)
    shown = list(permission_selectors.family_access_log_for_user(world.parent))
    assert [e.legal_basis for e in shown if e.action == "protocol.item.read"] == [f"consent:{world.consent.pk}"]
    assert not [e for e in shown if e.object_type == "participants.consent" and e.object_id == str(consent.pk)]
    # The export speaks plain language (no codes): only the counsellor's read under her own consent is in it;
    # neither the midwife's read under the father's consent nor the recording of his consent.
    counsellor = f"{world.counsellor.get_full_name()} ({world.counselling.name})"
    for fmt in ("csv", "json"):
        export = client.get(reverse("access:my_data"), {"format": fmt}).content.decode()
        assert counsellor in export, fmt
        assert world.midwife.get_full_name() not in export and world.midwifery.name not in export, fmt
        assert world.convenor.get_full_name() not in export and world.youth_welfare.name not in export, fmt
        assert "consent:" not in export, fmt
    rows = client.get(reverse("access:my_data"), {"format": "json"}).json()["events"]
    assert [(r["who"], r["basis"]) for r in rows] == [(counsellor, audit_labels.basis_label(f"consent:{world.consent.pk}"))]


def test_the_poll_ranking_api_is_audited_like_the_poll_page(client, world):
    from conferences.models import PollSlot, SlotPoll

    poll = SlotPoll.objects.create(conference=world.conference)
    start = timezone.now() + dt.timedelta(days=9)
    PollSlot.objects.create(poll=poll, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    client.force_login(world.counsellor)
    assert client.get(reverse("conference-poll", args=[world.conference.pk])).status_code == 200
    [event] = _events(action="poll.read")
    assert event.case_id == world.case.pk and event.channel == "api" and event.legal_basis == "team"
    client.force_login(world.outsider)
    assert client.get(reverse("conference-poll", args=[world.conference.pk])).status_code == 404
    assert len(_events(action="poll.read")) == 1
