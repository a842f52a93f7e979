"""Review h12 (2026-12-07): a fresh attacker's review of the paths that change who may read, and of
the read paths, changed in the last two sessions (holder narrowing after the draft, report
widening, Art. 18 and Art. 17, invitation withdrawal, the interpreter-language follow-up, the
family member forms, the language switch, the board's confirmation, ``review_record``).

A probe asserts what SHOULD hold. A probe marked ``xfail(strict=True)`` is a finding that is not
mended yet: it fails today; its reason names the fault (H12-n). Plain tests are paths that were
probed and held.
"""
from __future__ import annotations

import datetime as dt
import html

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from board.models import HalfYearSummary
from calendars import services as calendar_services
from cases import services as case_services
from cases.models import CaseTeamMember, Consent, ConsentScope, FamilyMember, InformationCategory
from conferences import services as conference_services
from conferences.models import Conference, Invitation, PollLink, WrittenReport
from config.routing import websocket_urlpatterns
from participants.models import NetworkRole
from privacy import services as privacy_services
from privacy.models import ProcessingRestriction
from protocols import policy as protocols_policy
from protocols import services as protocol_services
from protocols.models import Acknowledgement, AgreedAction, Audience, Protocol, ProtocolItem
from tests.conferences.helpers import local, uninvite_mother
from tests.websocket.sessions import live_scope
from tests.world import make_professional, make_user

pytestmark = pytest.mark.django_db

ARABIC = "Arabisch (syrisch)"


def _father(world, **extra) -> FamilyMember:
    return FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.", **extra)


def _restrict(world, member) -> ProcessingRestriction:
    return ProcessingRestriction.objects.create(family_member=member, grounds="Art. 18: Richtigkeit bestritten",
                                                set_by=world.dpo)


def _team_invitees(world) -> list:
    team = CaseTeamMember.objects.filter(case=world.case, removed_at__isnull=True).order_by("pk")
    return [conference_services.Invitee(team_member=m) for m in team]


# --- H12-1: the correction form of a restricted person's entry shows what Art. 18 withholds ---------

def test_h12_1_the_correction_form_of_a_restricted_father_shows_only_name_and_relation(world, client):
    father = _father(world, birth_year=1987, email="vater@example.org", interpreter_language=ARABIC,
                     access_needs="Methadonausgabe 8:30 Uhr")
    client.force_login(world.convenor)
    url = reverse("cases:case_family_edit", args=[world.case.pk, father.pk])

    def reads():
        page = html.unescape(client.get(url).content.decode())
        return {"birth year": "1987" in page, "address": "vater@example.org" in page,
                "interpreter": ARABIC in page, "needs": "Methadon" in page}

    assert all(reads().values())  # the control: before the restriction the form shows his entry
    _restrict(world, father)
    # The case page and API show only name and relation (H11-3); his needs leave the conference page
    # (H11-2); the correction form is a third read of the same entry and should follow (or refuse).
    assert not any(reads().values()), reads()


def test_h12_1_a_forged_correction_of_a_restricted_father_changes_nothing(world, client):
    father = _father(world, birth_year=1987, email="vater@example.org", interpreter_language=ARABIC)
    _restrict(world, father)
    client.force_login(world.convenor)
    url = reverse("cases:case_family_edit", args=[world.case.pk, father.pk])
    response = client.post(url, {"relation": father.relation, "display_name": "Neuer Name", "birth_year": "1990",
                                 "email": "", "language": "", "interpreter_language": "", "access_needs": "",
                                 "version": father.version})
    assert response.status_code == 400
    assert "Art. 18" in html.unescape(response.content.decode())
    father.refresh_from_db()
    assert (father.display_name, father.birth_year, father.interpreter_language) != ("Neuer Name", 1990, "")
    assert father.birth_year == 1987 and father.interpreter_language == ARABIC
    case_page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert url not in case_page  # no "Correct" link to a page that would refuse


def test_the_case_page_still_withholds_a_restricted_fathers_year_of_birth(world, client):
    father = _father(world, birth_year=1987)
    _restrict(world, father)
    client.force_login(world.convenor)
    page = client.get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert "1987" not in page


# --- H12-2: Art. 18 of the person who first entrusted a relabelled item ----------------------------

def _relabel_to_father(world) -> tuple[FamilyMember, ProtocolItem]:
    """The holder (youth welfare, the convenor) relabels the restricted item as entrusted by the
    father, under a consent of his to counselling; the item keeps the mother as first entruster."""
    today = timezone.localdate()
    father = _father(world, email="vater@example.org")
    consent = Consent.objects.create(case=world.case, given_by=father, from_organisation=world.youth_welfare,
                                     valid_from=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=300),
                                     form_reference="SE-V-1", recorded_by=world.convenor)
    consent.to_organisations.set([world.counselling])
    ConsentScope.objects.create(consent=consent, category=InformationCategory.PARENTING_CHILD_WELFARE)
    item = ProtocolItem.objects.get(pk=world.item_restricted.pk)
    item = protocol_services.item_update(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                                         restricted_to=[world.counselling], holding_organisation=world.youth_welfare,
                                         category=InformationCategory.PARENTING_CHILD_WELFARE, entrusted_by=father)
    item.refresh_from_db()
    assert (item.entrusted_by_id, item.first_entrusted_by_id) == (father.pk, world.mother.pk)
    return father, item


def test_h12_2_a_restricted_mothers_information_relabelled_to_the_father_is_withheld(world, client):
    _father_, item = _relabel_to_father(world)
    reads = lambda: protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=item.pk).exists()  # noqa: E731
    assert reads()  # the control: counselling reads it under both consents (the mother's for the first labels)
    _restrict(world, world.mother)
    client.force_login(world.counsellor)
    assert not reads()
    assert client.get(f"/api/protocol-items/{item.pk}/").status_code == 404


def test_a_restricted_mothers_item_entrusted_by_herself_is_withheld_from_the_team(world, client):
    _restrict(world, world.mother)
    client.force_login(world.counsellor)
    assert not protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()
    assert client.get(f"/api/protocol-items/{world.item_restricted.pk}/").status_code == 404


# --- H12-3: an Art. 17 erasure leaves her interpreter language in the coming conferences ------------

def test_h12_3_an_erasure_takes_her_interpreter_language_out_of_the_coming_conference(world, client):
    father = _father(world, email="vater@example.org", interpreter_language=ARABIC)
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(10)],
        invitees=[*_team_invitees(world), conference_services.Invitee(family_member=father)])
    assert Conference.objects.get(pk=conference.pk).interpreter_language == ARABIC  # taken over from his record
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=father, kind="erasure",
                                              received_on=timezone.localdate(), identity_check="document")
    privacy_services.request_close(world.dpo, request=request, outcome="granted")
    assert FamilyMember.objects.get(pk=father.pk).is_erased
    client.force_login(world.counsellor)
    page = html.unescape(client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode())
    api = client.get(f"/api/conferences/{conference.pk}/").json()
    assert ARABIC not in page and ARABIC not in (api.get("interpreter_language") or "")


def test_a_correction_of_the_interpreter_language_follows_into_the_coming_conference(world):
    father = _father(world, email="vater@example.org", interpreter_language=ARABIC)
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(10)],
        invitees=[*_team_invitees(world), conference_services.Invitee(family_member=father)])
    case_services.family_member_update(world.convenor, member=father, version=father.version, interpreter_language="")
    assert Conference.objects.get(pk=conference.pk).interpreter_language == ""


# --- H12-4: a conference convened while a parent is restricted takes over her interpreter language ---

def test_h12_4_a_restricted_fathers_interpreter_language_is_not_copied_into_a_new_conference(world, client):
    father = _father(world, email="vater@example.org", interpreter_language=ARABIC)
    _restrict(world, father)
    client.force_login(world.convenor)
    form = html.unescape(client.get(reverse("conferences:conference_create", args=[world.case.pk])).content.decode())
    # The convening form invites the parents by default (he is one); the convenor names no language.
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(10)],
        invitees=[*_team_invitees(world), conference_services.Invitee(family_member=father)])
    client.force_login(world.counsellor)
    page = html.unescape(client.get(reverse("conferences:conference_detail", args=[conference.pk])).content.decode())
    copied = {"form": ARABIC in form, "conference": Conference.objects.get(pk=conference.pk).interpreter_language == ARABIC,
              "page": ARABIC in page}
    assert not any(copied.values()), copied


SECRET = "Frau M. hatte im Mai einen Rückfall und nimmt seither wieder Substitution."


def _consent(world, *, given_by, from_organisation, to, category) -> Consent:
    today = timezone.localdate()
    consent = Consent.objects.create(case=world.case, given_by=given_by, from_organisation=from_organisation,
                                     valid_from=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=300),
                                     form_reference="SB-2026-9", recorded_by=world.convenor)
    consent.to_organisations.set(to)
    ConsentScope.objects.create(consent=consent, category=category)
    return consent


def test_h12_2_a_restricted_mothers_report_relabelled_to_the_father_is_withheld(world, client):
    addiction = InformationCategory.ADDICTION_TREATMENT
    father = _father(world, email="vater@example.org")
    _consent(world, given_by=world.mother, from_organisation=world.counselling, to=[world.youth_welfare], category=addiction)
    _consent(world, given_by=father, from_organisation=world.counselling, to=[world.youth_welfare], category=addiction)
    report = WrittenReport.objects.create(conference=world.conference, organisation=world.counselling,
                                          due_on=timezone.localdate() + dt.timedelta(days=3))
    report = conference_services.report_submit(
        world.counsellor, report=report, text=SECRET, shareable_with_parents=False, audience=WrittenReport.Audience.RESTRICTED,
        restricted_to=[world.youth_welfare], category=addiction, entrusted_by=world.mother)
    report = conference_services.report_submit(
        world.counsellor, report=report, text=SECRET, shareable_with_parents=False, audience=WrittenReport.Audience.RESTRICTED,
        restricted_to=[world.youth_welfare], category=addiction, entrusted_by=father, version=report.version)
    assert (report.entrusted_by_id, report.first_entrusted_by_id) == (father.pk, world.mother.pk)
    reads = lambda: WrittenReport.objects.visible_to(world.convenor).filter(pk=report.pk).exists()  # noqa: E731
    assert reads()  # the control: the Jugendamt reads it under both consents
    _restrict(world, world.mother)
    assert not reads()
    client.force_login(world.convenor)
    assert SECRET not in client.get(reverse("conferences:conference_detail", args=[world.conference.pk])).content.decode()


# --- H12-5: the holder's narrowing does not reach the item's carry-over copy -----------------------

def _carried_over(world) -> tuple[AgreedAction, ProtocolItem]:
    """An action in the restricted item falls to counselling; the next conference's protocol carries
    it over for review, copying the item's audience and labels."""
    action = AgreedAction.objects.create(case=world.case, item=world.item_restricted, title="Entzugsplatz beantragen",
                                         description="Rückfall im Mai: Antrag auf stationären Entzug",
                                         responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                         due_on=timezone.localdate() + dt.timedelta(days=10))
    now = timezone.now()
    follow_up = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                          starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(minutes=60))
    protocol = protocol_services.protocol_open(world.convenor, conference=follow_up)
    copy = ProtocolItem.objects.get(protocol=protocol, reviewed_action=action)
    return action, copy


def test_h12_5_narrowing_an_item_reaches_its_carried_over_copy(world, client):
    action, copy = _carried_over(world)
    readable = lambda pk: protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=pk).exists()  # noqa: E731
    assert readable(world.item_restricted.pk) and readable(copy.pk)  # the control: under the mother's consent
    item = ProtocolItem.objects.get(pk=world.item_restricted.pk)
    protocol_services.item_narrow(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                                  restricted_to=[world.midwifery])
    assert not readable(world.item_restricted.pk)
    assert not protocols_policy.actions_for_user(world.counsellor).filter(pk=action.pk).exists()
    client.force_login(world.counsellor)
    assert not readable(copy.pk)
    assert client.get(f"/api/protocol-items/{copy.pk}/").status_code == 404


# --- what held: holder narrowing after the draft ---------------------------------------------------

def _released(world) -> ProtocolItem:
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.RELEASED)
    return ProtocolItem.objects.get(pk=world.item_restricted.pk)


def test_a_team_member_not_of_the_holder_cannot_narrow_a_released_item_through_the_api(world, client):
    item = _released(world)
    client.force_login(world.counsellor)  # reads it under the mother's consent, does not hold it
    response = client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, "audience": Audience.RESTRICTED,
                                                                 "restricted_to": [world.counselling.pk]},
                            content_type="application/json")
    assert response.status_code == 403
    after = ProtocolItem.objects.get(pk=item.pk)
    assert after.version == item.version
    assert set(after.restricted_to.values_list("pk", flat=True)) == {world.counselling.pk, world.midwifery.pk}


def test_the_holders_narrowing_cannot_name_more_organisations_nor_widen_nor_relabel(world, client):
    item = _released(world)
    client.force_login(world.convenor)
    attempts = [
        {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk, world.midwifery.pk, world.early_help.pk]},
        {"audience": Audience.PROFESSIONALS},
        {"audience": Audience.EVERYONE},
        {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk], "entrusted_by": world.expected_child.pk},
        {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk], "category": InformationCategory.PREGNANCY_HEALTH},
        {"audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk], "holding_organisation": world.counselling.pk},
        {"restricted_to": [world.counselling.pk], "title": "Neu"},  # text with the narrowing: not after the draft
    ]
    for body in attempts:
        response = client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, **body},
                                content_type="application/json")
        assert response.status_code in (400, 403), (body, response.status_code)
    after = ProtocolItem.objects.get(pk=item.pk)
    assert (after.version, after.audience, after.entrusted_by_id, after.category, after.holding_organisation_id) == (
        item.version, item.audience, item.entrusted_by_id, item.category, item.holding_organisation_id)


def test_a_holder_colleague_who_does_not_write_the_minutes_narrows_but_cannot_edit_text(world, client):
    item = _released(world)
    assistant = make_professional("ywassistant", world.youth_welfare)  # not a caseworker: does not convene
    CaseTeamMember.objects.create(case=world.case, organisation=world.youth_welfare, user=assistant)
    client.force_login(assistant)  # youth welfare on the team: speaks for the holder
    response = client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, "text": "überschrieben",
                                                                 "audience": Audience.RESTRICTED,
                                                                 "restricted_to": [world.midwifery.pk]},
                            content_type="application/json")
    assert response.status_code == 403
    response = client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, "audience": Audience.RESTRICTED,
                                                                 "restricted_to": [world.midwifery.pk]},
                            content_type="application/json")
    assert response.status_code == 200
    assert ProtocolItem.objects.get(pk=item.pk).text == item.text


def test_narrowing_takes_the_item_and_its_action_from_the_narrowed_out_organisation_in_api_and_feed(world, client):
    action = AgreedAction.objects.create(case=world.case, item=world.item_restricted, title="Entzugsplatz beantragen",
                                         responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                         due_on=timezone.localdate() + dt.timedelta(days=10))
    _token, raw = calendar_services.feed_token_create(world.counsellor)
    feed = reverse("calendars:feed", args=[raw])
    client.force_login(world.counsellor)
    assert f"action-{action.pk}@" in client.get(feed).content.decode()  # the control
    assert client.get(f"/api/actions/{action.pk}/").status_code == 200
    item = _released(world)
    protocol_services.item_narrow(world.convenor, item=item, version=item.version, audience=Audience.RESTRICTED,
                                  restricted_to=[world.midwifery])
    assert client.get(f"/api/protocol-items/{item.pk}/").status_code == 404
    assert client.get(f"/api/actions/{action.pk}/").status_code == 404
    assert f"action-{action.pk}@" not in client.get(feed).content.decode()


def test_a_guest_loses_a_governed_item_when_its_holder_narrows_it(world):
    # widened to everyone after it was restricted, read by the parent who entrusted it
    ProtocolItem.objects.filter(pk=world.item_restricted.pk).update(audience=Audience.EVERYONE)
    world.item_restricted.restricted_to.clear()
    assert protocols_policy.protocol_items_for_user(world.parent).filter(pk=world.item_restricted.pk).exists()
    item = ProtocolItem.objects.get(pk=world.item_restricted.pk)
    protocol_services.item_narrow(world.convenor, item=item, version=item.version, audience=Audience.PROFESSIONALS)
    assert not protocols_policy.protocol_items_for_user(world.parent).filter(pk=item.pk).exists()


# --- what held: withdrawal, re-invitation, erasure ------------------------------------------------

def test_a_withdrawn_mother_reads_nothing_of_the_conference_and_a_renewed_invitation_gives_no_old_link_back(world, client):
    _token, raw = calendar_services.feed_token_create(world.parent)
    feed = reverse("calendars:feed", args=[raw])
    assert f"conference-{world.conference.pk}@" in client.get(feed).content.decode()  # the control
    uninvite_mother(world)
    body = client.get(feed).content.decode()
    assert f"conference-{world.conference.pk}@" not in body and f"action-{world.action_parent.pk}@" not in body
    client.force_login(world.parent)
    assert client.get(f"/api/conferences/{world.conference.pk}/").status_code == 404
    assert client.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 404
    assert client.get(f"/api/actions/{world.action_parent.pk}/").status_code == 404
    assert client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).status_code == 404
    for name in ("conference_detail", "conference_ics", "conference_poll"):
        assert client.get(reverse(f"conferences:{name}", args=[world.conference.pk])).status_code == 404, name
    old_links = PollLink.objects.filter(invitation=world.invitation_parent)
    assert not old_links.filter(revoked_at__isnull=True).exists()
    conference_services.invitation_add(world.convenor, conference=world.conference, family_member=world.mother)
    assert not PollLink.objects.filter(invitation=world.invitation_parent, revoked_at__isnull=True).exists()
    assert client.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 200


def test_forged_api_writes_with_other_ids_or_methods_change_nothing(world, client):
    client.force_login(world.convenor)
    other_family = FamilyMember.objects.get(case=world.other_case)
    response = client.post(f"/api/conferences/{world.conference.pk}/invite/", {"family_member": other_family.pk},
                           content_type="application/json")
    assert response.status_code == 400
    assert not Invitation.objects.filter(family_member=other_family).exists()
    assert client.put(f"/api/actions/{world.action_parent.pk}/", {"title": "x"}, content_type="application/json").status_code == 405
    item = world.item_professionals
    response = client.patch(f"/api/protocol-items/{item.pk}/", {"version": item.version, "protocol": 999, "case": 999,
                                                                 "created_by": world.midwife.pk, "text": "neu"},
                            content_type="application/json")
    assert response.status_code == 200
    after = ProtocolItem.objects.get(pk=item.pk)
    assert (after.protocol_id, after.created_by_id) == (item.protocol_id, item.created_by_id)
    restriction = ProcessingRestriction.objects.create(
        family_member=FamilyMember.objects.get(case=world.other_case), grounds="Art. 18", set_by=world.dpo)
    response = client.post("/api/restricted-reads/", {"restriction": restriction.pk, "reason": "Hilfeplan"},
                           content_type="application/json")
    assert response.status_code in (400, 403, 404)


def test_only_the_convenor_gets_the_withdrawal_page_and_a_forged_post_withdraws_nothing(world, client):
    url = reverse("conferences:invitation_remove", args=[world.conference.pk, world.invitation_parent.pk])
    for user in (world.counsellor, world.midwife, world.parent, world.outsider, world.foreign_professional):
        client.force_login(user)
        assert client.post(url, {"confirm": "on"}).status_code in (403, 404), user
    assert Invitation.objects.get(pk=world.invitation_parent.pk).removed_at is None


# --- what held: Art. 18 reads with a reason, the family forms, the request form -----------------------

def test_the_read_with_a_reason_is_refused_off_the_team_and_gives_no_more_than_the_reader_could_read(world, client):
    restriction = _restrict(world, world.mother)
    for user in (world.outsider, world.foreign_professional, world.board_member, world.parent, world.admin):
        client.force_login(user)
        response = client.post(reverse("privacy:restricted_read", args=[restriction.pk]), {"reason": "Hilfeplan"})
        assert response.status_code in (403, 404), user
    data = privacy_services.restricted_read(world.midwife, restriction=restriction, reason="Hilfeplangespräch")
    assert world.item_restricted.pk not in [i.pk for i in data["items"]]  # named, but no consent covers midwifery
    data = privacy_services.restricted_read(world.counsellor, restriction=restriction, reason="Hilfeplangespräch")
    assert world.item_restricted.pk in [i.pk for i in data["items"]]


def test_only_the_convenor_opens_or_posts_the_family_correction_form(world, client):
    url = reverse("cases:case_family_edit", args=[world.case.pk, world.mother.pk])
    for user in (world.counsellor, world.midwife, world.parent, world.outsider, world.foreign_professional, world.dpo):
        client.force_login(user)
        assert client.get(url).status_code in (403, 404), user
        assert client.post(url, {"relation": "mother", "display_name": "X", "version": world.mother.version,
                                 "access_needs": "geändert"}).status_code in (403, 404), user
    assert FamilyMember.objects.get(pk=world.mother.pk).display_name == "M."


def test_a_foreign_officer_neither_lifts_a_restriction_nor_reads_with_a_reason(world, client):
    foreign_dpo = make_user("foreigndpo")
    NetworkRole.objects.create(user=foreign_dpo, network=world.other_network, role=NetworkRole.Role.DATA_PROTECTION_OFFICER)
    restriction = _restrict(world, world.mother)
    client.force_login(foreign_dpo)
    assert client.post(reverse("privacy:restriction_lift", args=[restriction.pk])).status_code in (403, 404)
    assert client.post(reverse("privacy:restricted_read", args=[restriction.pk]), {"reason": "x"}).status_code in (403, 404)
    assert ProcessingRestriction.objects.get(pk=restriction.pk).lifted_at is None


def test_a_foreign_officer_finds_no_case_of_another_network_for_a_request(world, client):
    foreign_dpo = make_user("foreigndpo")
    NetworkRole.objects.create(user=foreign_dpo, network=world.other_network, role=NetworkRole.Role.DATA_PROTECTION_OFFICER)
    client.force_login(foreign_dpo)
    response = client.get(reverse("privacy:request_list"), {"reference": world.case.reference})
    assert response.status_code in (400, 403)
    assert f'value="{world.mother.pk}"' not in response.content.decode()  # no person of that case offered
    response = client.post(reverse("privacy:request_create"), {
        "reference": world.case.reference, "family_member": world.mother.pk, "kind": "erasure",
        "received_on": timezone.localdate().isoformat(), "identity_check": "document"})
    assert response.status_code in (400, 403)
    assert not world.mother.data_subject_requests.exists()


# --- what held: the language switch, the board's confirmation, the review of an action ----------------

def test_the_language_switch_saves_only_on_post_and_never_redirects_off_site(world, client):
    client.force_login(world.counsellor)
    client.get(reverse("set_language"), {"language": "da", "next": "/"})
    world.counsellor.refresh_from_db()
    assert world.counsellor.preferred_language == ""
    response = client.post(reverse("set_language"), {"language": "da", "next": "https://evil.example/"})
    assert not response["Location"].startswith("https://evil.example")
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    world.counsellor.refresh_from_db()
    assert world.counsellor.preferred_language == "da"
    world.parent.refresh_from_db()
    assert world.parent.preferred_language == ""


def test_the_board_publishes_and_discards_only_with_the_tick_and_only_by_its_coordinator(world, client):
    draft = HalfYearSummary.objects.create(network=world.network, year=world.summary.year - 1, half=1,
                                           figures={}, definitions_version="1",
                                           computed_at=timezone.now())
    publish = reverse("board:summary_publish", args=[draft.pk])
    discard = reverse("board:summary_discard", args=[draft.pk])
    for user in (world.board_member, world.convenor, world.foreign_professional, world.dpo):
        client.force_login(user)
        assert client.post(publish, {"confirm": "on"}).status_code in (403, 404), user
        assert client.post(discard, {"confirm": "on"}).status_code in (403, 404), user
    client.force_login(world.coordinator)
    client.post(publish, {})
    client.post(discard, {})
    assert HalfYearSummary.objects.get(pk=draft.pk).status == HalfYearSummary.Status.DRAFT


def test_a_review_is_recorded_only_by_a_writer_and_only_on_an_item_she_reads(world, client):
    action, copy = _carried_over(world)
    with pytest.raises(PermissionDenied):
        protocol_services.review_record(world.counsellor, item=copy, outcome="done", based_on_status=action.status)
    # the midwife, named for the item without a consent, writes the minutes: the page does not let
    # her review what she cannot read (its title and the action's status stay hidden)
    Protocol.objects.filter(pk=copy.protocol_id).update(minute_taker=world.midwife)
    client.force_login(world.midwife)
    response = client.post(reverse("protocols:item_review", args=[copy.pk]),
                           {"outcome": "dropped", "based_on_status": "in_progress"})
    assert response.status_code == 404
    assert AgreedAction.objects.get(pk=action.pk).status == action.status


# --- H12-6: an Art. 17 erasure leaves her record linked to her account, whose name the team reads ----

def _erase(world, member) -> None:
    request = privacy_services.request_record(world.dpo, case=world.case, family_member=member, kind="erasure",
                                              received_on=timezone.localdate(), identity_check="document")
    privacy_services.request_close(world.dpo, request=request, outcome="granted")


def test_h12_6_an_erased_mother_is_not_named_by_her_account_on_the_protocol(world, client):
    User = type(world.parent)
    User.objects.filter(pk=world.parent.pk).update(first_name="Mareike", last_name="Musterfrau")
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.FINAL, finalised_at=timezone.now())
    Acknowledgement.objects.create(protocol=world.protocol, user=world.parent)
    client.force_login(world.convenor)

    def names_her():
        page = html.unescape(client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode())
        api = client.get(f"/api/acknowledgements/?protocol={world.protocol.pk}").content.decode()
        return {"page": "Musterfrau" in page, "api": "Musterfrau" in api}

    assert all(names_her().values())  # the control: before the erasure the convenor sees who acknowledged
    _erase(world, world.mother)
    assert FamilyMember.objects.get(pk=world.mother.pk).is_erased
    assert not any(names_her().values()), names_her()


# --- H12-7: a poll link handed over on paper outlives the erasure of a person without an address ----

def test_h12_7_an_erasure_ends_the_poll_link_of_a_parent_without_an_address(world, client):
    father = _father(world)  # no account, no e-mail address: the convenor hands him his link in person
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(10), local(11)],
        invitees=[*_team_invitees(world), conference_services.Invitee(family_member=father)])
    invitation = Invitation.objects.get(conference=conference, family_member=father)
    _link, raw = conference_services.poll_link_create(world.convenor, invitation=invitation)
    assert conference_services.poll_link_resolve(raw) is not None  # the control
    _erase(world, father)
    assert FamilyMember.objects.get(pk=father.pk).is_erased
    assert conference_services.poll_link_resolve(raw) is None
    assert client.get(reverse("conferences:poll_link_vote", args=[raw])).status_code != 200


def test_an_erasure_ends_the_poll_link_mailed_to_her_address(world):
    father = _father(world, email="vater@example.org")
    conference = conference_services.conference_create(
        world.convenor, case=world.case, kind=Conference.Kind.FOLLOW_UP, slots=[local(10), local(11)],
        invitees=[*_team_invitees(world), conference_services.Invitee(family_member=father)])
    invitation = Invitation.objects.get(conference=conference, family_member=father)
    _link, raw = conference_services.poll_link_create(world.convenor, invitation=invitation)
    _erase(world, father)
    assert conference_services.poll_link_resolve(raw) is None


# --- what held: the live channel's crafted narrowing ----------------------------------------------

async def _socket(user, protocol_id) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/protocols/{protocol_id}/")
    await live_scope(communicator, user)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def _next(communicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=10)
        if message["type"] == kind:
            return message


@pytest.mark.django_db(transaction=True)
async def test_crafted_narrowings_over_the_socket_are_refused_and_the_holders_removes_the_item_live(world):
    await database_sync_to_async(Protocol.objects.filter(pk=world.protocol.pk).update)(status=Protocol.Status.RELEASED)
    item = world.item_restricted
    counsellor = await _socket(world.counsellor, world.protocol.pk)
    midwife = await _socket(world.midwife, world.protocol.pk)
    convenor = await _socket(world.convenor, world.protocol.pk)
    for communicator in (counsellor, midwife, convenor):
        await _next(communicator, "hello")
    # the counsellor reads it (consent) but does not hold it; the midwife cannot even read it
    await counsellor.send_json_to({"type": "item_update", "item": item.pk, "version": item.version,
                                   "audience": Audience.RESTRICTED, "restricted_to": [world.counselling.pk]})
    assert (await _next(counsellor, "error"))["error"] == "forbidden"
    await midwife.send_json_to({"type": "item_update", "item": item.pk, "version": item.version,
                                "audience": Audience.RESTRICTED, "restricted_to": [world.midwifery.pk]})
    assert (await _next(midwife, "error"))["error"] == "not_found"
    # the holder may not widen, nor slip a text change in, after the draft
    await convenor.send_json_to({"type": "item_update", "item": item.pk, "version": item.version,
                                 "audience": Audience.PROFESSIONALS})
    assert (await _next(convenor, "error"))["error"] != "ok"
    await convenor.send_json_to({"type": "item_update", "item": item.pk, "version": item.version, "text": "neu",
                                 "audience": Audience.RESTRICTED, "restricted_to": [world.midwifery.pk]})
    assert (await _next(convenor, "error"))["type"] == "error"
    await convenor.send_json_to({"type": "item_update", "item": item.pk, "version": item.version,
                                 "audience": Audience.RESTRICTED, "restricted_to": [world.midwifery.pk]})
    assert (await _next(convenor, "item_saved"))["version"] == item.version + 1
    assert (await _next(counsellor, "item_removed"))["item"] == item.pk
    for communicator in (counsellor, midwife, convenor):
        await communicator.disconnect()


# --- H12-8: the carry-over brings an action of a conference she is not invited to before a parent -----

def test_h12_8_a_carried_over_action_of_a_conference_she_was_withdrawn_from_stays_hidden_from_the_mother(world, client):
    action = AgreedAction.objects.create(case=world.case, item=world.item_everyone, title="Vater: Substitutionspraxis anrufen",
                                         description="Beikonsum laut Praxis seit März",
                                         responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                         due_on=timezone.localdate() + dt.timedelta(days=10))
    uninvite_mother(world)
    assert not protocols_policy.actions_for_user(world.parent).filter(pk=action.pk).exists()  # the control (H9-1)
    now = timezone.now()
    follow_up = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                          starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(minutes=60))
    Invitation.objects.create(conference=follow_up, family_member=world.mother)
    protocol = protocol_services.protocol_open(world.convenor, conference=follow_up)
    copy = ProtocolItem.objects.get(protocol=protocol, reviewed_action=action)
    client.force_login(world.parent)
    page = html.unescape(client.get(reverse("protocols:protocol_detail", args=[protocol.pk])).content.decode())
    reads = {"policy": protocols_policy.protocol_items_for_user(world.parent).filter(pk=copy.pk).exists(),
             "page": "Substitutionspraxis" in page or "Beikonsum" in page}
    assert not any(reads.values()), reads


# --- H12-9: the carry-over copy changes who holds a professionals-only item -------------------------

def test_h12_9_the_convenor_cannot_open_to_the_parents_the_carried_over_copy_of_an_item_counselling_holds(world):
    source = ProtocolItem.objects.create(protocol=world.protocol, position=9, title="Einschätzung Suchtberatung",
                                         text="Nur für Fachkräfte.", audience=Audience.PROFESSIONALS,
                                         created_by=world.counsellor)
    action = AgreedAction.objects.create(case=world.case, item=source, title="Rückfallprophylaxe: Gruppe ab März",
                                         responsible_organisation=world.counselling, responsible_user=world.counsellor,
                                         due_on=timezone.localdate() + dt.timedelta(days=10))
    with pytest.raises(PermissionDenied):  # the control: counselling holds the source, not youth welfare
        protocol_services.item_update(world.convenor, item=source, version=source.version, audience=Audience.EVERYONE)
    now = timezone.now()
    follow_up = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                          starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(minutes=60))
    protocol = protocol_services.protocol_open(world.convenor, conference=follow_up)
    copy = ProtocolItem.objects.get(protocol=protocol, reviewed_action=action)
    assert copy.audience == Audience.PROFESSIONALS
    with pytest.raises(PermissionDenied):
        protocol_services.item_update(world.convenor, item=copy, version=copy.version, audience=Audience.EVERYONE)
