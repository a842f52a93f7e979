"""``manage.py seed_demo``: the demo networks, in every state, created once and only once."""
from __future__ import annotations

import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases import policy as cases_policy
from cases.models import CASE_REFERENCE_VALIDATOR, Case, FamilyMember
from conferences import imip
from conferences.models import Conference, Invitation, SlotVote
from operations.management.commands.seed_demo import CASES
from outbox.models import Kind as MailKind, OutboxMessage
from participants.models import Network, NetworkRole, Organisation, OrganisationKind, User
from permissions.models import AuditEvent
from protocols.models import AgreedAction, Audience, Protocol, ProtocolItem
from board.models import HalfYearSummary

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()
            if model._meta.label not in {"sessions.Session"}}


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back at its end; each test
    runs in its own savepoint within it."""
    from django.db import transaction

    with django_db_blocker.unblock():
        with transaction.atomic():
            yield seed()
            transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db) -> str:
    return seeded_once


def test_second_run_changes_nothing_and_duplicates_nothing(seeded):
    before = row_counts()
    snapshot = {
        "cases": list(Case.objects.order_by("pk").values()),
        "actions": list(AgreedAction.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values("username", "password", "last_login")),
    }
    output = seed()
    assert row_counts() == before
    assert list(Case.objects.order_by("pk").values()) == snapshot["cases"]
    assert list(AgreedAction.objects.order_by("pk").values()) == snapshot["actions"]
    assert list(User.objects.order_by("pk").values("username", "password", "last_login")) == snapshot["users"]
    assert "nothing changed" in output


def test_it_prints_the_demo_logins_with_their_password(seeded, settings):
    assert settings.DEMO_PASSWORD in seeded
    for username in ("anna.becker", "sabine.krueger", "sarah.mutter", "board.mueller", "datenschutz.hs", "admin"):
        assert re.search(rf"^\s+{re.escape(username)}\s+\S", seeded, re.MULTILINE), username
        assert User.objects.get(username=username).check_password(settings.DEMO_PASSWORD)


def test_the_german_network_is_modelled_on_kreis_heinsberg(seeded):
    network = Network.objects.get(slug="kreis-heinsberg")
    names = set(network.organisations.values_list("name", flat=True))
    for town in ("Erkelenz", "Geilenkirchen", "Heinsberg", "Hückelhoven"):
        assert f"Jugendamt der Stadt {town}" in names
    kinds = set(network.organisations.values_list("kind", flat=True))
    assert {OrganisationKind.YOUTH_WELFARE, OrganisationKind.ADDICTION_COUNSELLING, OrganisationKind.CLINIC,
            OrganisationKind.GYNAECOLOGY, OrganisationKind.MIDWIFERY, OrganisationKind.PAEDIATRICS,
            OrganisationKind.EARLY_HELP} <= kinds
    assert network.organisations.filter(kind=OrganisationKind.ADDICTION_COUNSELLING).count() == 3
    assert NetworkRole.objects.filter(network=network, role=NetworkRole.Role.BOARD_MEMBER).count() == 2
    danish = Network.objects.get(slug="region-syddanmark")
    assert danish.country == "DK" and Organisation.objects.filter(network=danish, name__contains="Mødrehjælpen").exists()
    for net in (network, danish):
        assert NetworkRole.objects.filter(network=net, role=NetworkRole.Role.COORDINATOR).exists()
        assert NetworkRole.objects.filter(network=net, role=NetworkRole.Role.DATA_PROTECTION_OFFICER).exists()


def test_cases_exist_in_every_state(seeded):
    today = timezone.localdate()
    assert Case.objects.count() >= 12
    assert Case.objects.filter(status=Case.Status.NEW, conferences__isnull=True).exists()
    assert Case.objects.filter(status=Case.Status.CLOSED, closed_on__isnull=False).exists()
    polling = Conference.objects.filter(status=Conference.Status.POLLING)
    assert polling.exists() and all(c.poll.slots.count() >= 2 for c in polling)
    assert SlotVote.objects.filter(slot__poll__conference__in=polling).exists()
    final = Protocol.objects.filter(status=Protocol.Status.FINAL, conference__status=Conference.Status.PROTOCOL_FINAL)
    assert final.exists()
    assert set(ProtocolItem.objects.filter(protocol__in=final).values_list("audience", flat=True)) == set(Audience.values)
    actions = AgreedAction.objects.filter(case__status=Case.Status.ACTIVE)
    assert actions.filter(status=AgreedAction.Status.DONE).exists()
    assert actions.filter(status__in=["open", "in_progress"], due_on__lt=today).exists()
    assert Conference.objects.filter(status=Conference.Status.SCHEDULED, starts_at__gte=timezone.now()).exists()


def test_families_are_pseudonymous(seeded):
    for reference in Case.objects.values_list("reference", flat=True):
        CASE_REFERENCE_VALIDATOR(reference)
    for name in FamilyMember.objects.values_list("display_name", flat=True):
        assert len(name.split()) <= 2 and len(name) <= 12, name  # a first name or initials, no surname
    parents = User.objects.filter(family_member__isnull=False)
    assert parents.count() == 2
    assert all(not p.last_name for p in parents)


def test_the_board_gets_several_half_years_with_real_unsuppressed_figures(seeded):
    summaries = HalfYearSummary.objects.filter(network__slug="kreis-heinsberg", status=HalfYearSummary.Status.PUBLISHED)
    assert summaries.count() >= 3
    latest = summaries.order_by("-year", "-half").first()
    rows = {row["key"]: row["current"] for section in latest.figures["sections"] for row in section["rows"]}
    assert isinstance(rows["held"], int) and rows["held"] >= 20
    assert isinstance(rows["held_with_parent"], int) and isinstance(rows["active"], int) and rows["active"] >= 50


def test_the_danish_network_gets_a_published_yearly_report_with_real_figures(seeded):
    from board.models import YearlyReport

    report = YearlyReport.objects.get(network__slug="region-syddanmark", status=YearlyReport.Status.PUBLISHED)
    total = next(row for row in report.figures["rows"] if row["key"] == "__all__")
    assert isinstance(total["values"]["pregnant_women"], int) and total["values"]["pregnant_women"] >= 5
    # several municipalities, and the counselling courses and placements have figures too
    municipalities = [row for row in report.figures["rows"] if row["key"] != "__all__"]
    assert len(municipalities) >= 4
    assert sum(isinstance(row["values"]["pregnant_women"], int) for row in municipalities) >= 4
    for measure, at_least in (("counselling_started", 20), ("counselling_completed", 5), ("residential_placements", 5)):
        assert isinstance(total["values"][measure], int) and total["values"][measure] >= at_least, measure


def test_every_danish_programme_track_has_families_in_its_figures(seeded):
    from offers.models import Offer

    tracks = Offer.objects.filter(organisation__network__slug="region-syddanmark", kind="track")
    assert tracks.count() >= 3
    assert all(track.enrolments.count() >= 50 for track in tracks)


def test_history_cases_stay_off_the_demo_peoples_own_pages(seeded):
    for username in ("anna.becker", "sabine.krueger", "sarah.mutter"):
        assert cases_policy.cases_for_user(User.objects.get(username=username)).count() < 15, username
    assert Case.objects.filter(network__slug="kreis-heinsberg").count() >= 150


def test_history_accounts_are_never_offered_for_a_team(seeded):
    """The accounts behind the history stand for people of the past: inactive, so the team form
    of a new case offers the demo people only (no "Caritas (Verlauf)")."""
    from cases.selectors import team_candidates

    assert not User.objects.filter(username__regex=r"^(verlauf|historik)\.", is_active=True).exists()
    case = Case.objects.get(reference="HS-2026-014")
    _organisations, memberships = team_candidates(case)
    names = {str(m.user) for m in memberships}
    assert names and not any("Verlauf" in name or "historik" in name for name in names)



def test_seeding_is_recorded_in_the_audit_trail_on_the_command_channel(seeded):
    # Seeded cases are created directly ("case.create"); the Jena case that a referral became is
    # opened through the services as in real use ("case.open").
    events = AuditEvent.objects.filter(action__in=["case.create", "case.open"])
    assert events.count() == Case.objects.count()
    assert set(events.values_list("channel", flat=True)) == {"command"}


def test_the_demo_shows_a_referral_that_became_a_case(seeded):
    from offers.models import Referral

    referral = Referral.objects.get(offer__organisation__network__slug="jena", support_request__client_label="L. M.")
    assert referral.case is not None and referral.status == "accepted"
    assert referral.support_request.case == referral.case
    team = set(referral.case.team.filter(removed_at__isnull=True).values_list("user__username", flat=True))
    assert {"katrin.vogt", "hebamme.jena", "sucht.jena"} <= team
    assert AuditEvent.objects.filter(action="referral.join_case_team", channel="command").exists()


@pytest.mark.parametrize(("username", "expected"), [
    ("anna.becker", "HS-2026-014"),
    ("sabine.krueger", "Wöchentliche Beratungsgespräche fortführen"),
    ("sarah.mutter", "Anmeldung in der Krabbelgruppe der Frühen Hilfen"),
])
def test_demo_logins_land_on_a_dashboard_with_seeded_data(client, seeded, settings, username, expected):
    settings.LANGUAGE_CODE = "en"
    client.force_login(User.objects.get(username=username))
    page = client.get(reverse("dashboard")).content.decode()
    assert expected in page


def test_every_demo_case_shows_the_next_review_date_of_its_latest_released_protocol(seeded):
    from cases.models import Case
    from protocols.models import Protocol

    for case in Case.objects.all():
        latest = (Protocol.objects.filter(conference__case=case, status__in=[Protocol.Status.RELEASED, Protocol.Status.FINAL])
                  .order_by("-conference__starts_at", "-pk").first())
        if latest is not None:
            assert case.next_review_on == latest.next_review_on, case.reference


def test_no_demo_user_name_or_address_names_a_case(seeded):
    """A user name is shown in lists, logs and the admin: it must not point to a family's case."""
    compact = {re.sub(r"[^a-z0-9]", "", ref.lower()) for ref in Case.objects.values_list("reference", flat=True)}
    tails = {ref[-5:] for ref in compact} | {ref[:2] + ref[-3:] for ref in compact}  # e.g. "hs014"
    for username, email in User.objects.values_list("username", "email"):
        flat = re.sub(r"[^a-z0-9]", "", f"{username} {email}".lower())
        assert not any(ref in flat for ref in compact), username
        assert not any(tail in flat for tail in tails), username


def test_a_demo_database_seeded_with_the_old_parent_login_keeps_her_account_under_the_new_name(db):
    seed()
    mother = User.objects.get(username="sarah.mutter")
    User.objects.filter(pk=mother.pk).update(username="sarah.hs014", email="sarah.hs014@demo.invalid")
    seed()
    assert not User.objects.filter(username="sarah.hs014").exists()
    renamed = User.objects.get(username="sarah.mutter")
    assert renamed.pk == mother.pk and renamed.email == "sarah.mutter@demo.invalid"
    assert FamilyMember.objects.filter(user=renamed).exists()


def test_the_demo_officer_finds_the_first_record_of_processing_activities(seeded, client):
    from records.models import ProcessingRecord

    heinsberg = Network.objects.get(slug="kreis-heinsberg")
    first = ProcessingRecord.objects.get(network=heinsberg)
    assert first.version == 1 and first.created_by is None
    assert AuditEvent.objects.filter(action="records.generate", actor_label="seed_demo").count() == Network.objects.count()
    client.force_login(User.objects.get(username="datenschutz.hs"))
    response = client.get(reverse("records:record", args=["kreis-heinsberg"]))
    assert response.status_code == 200
    # Opening it finds nothing changed since the seed: still the first version.
    assert ProcessingRecord.objects.filter(network=heinsberg).count() == 1
    assert "Version 1" in response.content.decode()


def test_the_demo_data_protection_officer_sees_requests_on_her_dashboard_one_overdue(client, seeded, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(User.objects.get(username="datenschutz.hs"))
    page = client.get(reverse("privacy:dashboard")).content.decode()
    assert "Access (Art. 15)" in page and "Rectification (Art. 16)" in page
    assert page.count("overdue since") == 1
    assert "version 1 of" in page and "Not yet generated." not in page  # the seeded Art. 30 record
    assert "Data-subject requests: 0 created." in seed()  # a second run adds none


def test_the_demo_board_sees_partnership_figures_of_the_last_ended_year(client, seeded):
    """The partnership figures show ended years only (review h3-5c): the demo reaches back over the
    last ended year, for the Heinsberg board and for the Syddanmark coordinator's residential
    treatment (occupied and waiting counted as at 31 December)."""
    last_year = timezone.localdate().year - 1
    client.force_login(User.objects.get(username="board.mueller"))
    response = client.get(reverse("offers:partnership_figures"))
    assert response.status_code == 200 and response.context["year"] == last_year
    (sponsorship,) = response.context["tracks"]
    assert sponsorship.offer.name == "Familienpatenschaft" and isinstance(sponsorship.served, int) and sponsorship.served >= 10
    client.force_login(User.objects.get(username="koordinator.sd"))
    response = client.get(reverse("offers:partnership_figures"), {"network": "region-syddanmark"})
    assert response.context["year"] == last_year
    assert all(isinstance(track.served, int) and track.served >= 50 for track in response.context["tracks"])
    (residential,) = response.context["residential"]
    # six in treatment and five waiting at the year's end (more in January: the current referrals reach back 60 days)
    assert residential.occupied >= 6 and residential.waiting >= 5 and residential.referred_in_year >= 15


def test_every_demo_case_is_led_by_a_caseworker_of_its_lead_organisation(seeded):
    """Lead caseworker and lead organisation agree: she works for it and is on the team for it, so
    she convenes her open cases (HS-2026-009 named the Hückelhoven office, hers is the Kreisjugendamt)."""
    from operations.management.commands.seed_demo import CASES
    from participants.models import Membership

    for spec in CASES:
        case = Case.objects.get(reference=spec.reference)
        assert Membership.objects.filter(user=case.lead_caseworker, organisation=case.lead_organisation).exists(), spec.reference
        if case.status != Case.Status.CLOSED:
            assert cases_policy.can_convene(case.lead_caseworker, case), spec.reference
    anna = User.objects.get(username="anna.becker")
    assert cases_policy.can_convene(anna, Case.objects.get(reference="HS-2026-009"))


def _sent_section(client, conference: Conference) -> str:
    """The "Sent" part of the convenor's page of the conference's outgoing e-mail."""
    client.force_login(conference.convenor)
    page = client.get(reverse("conferences:conference_outbox", args=[conference.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    return text[text.index('id="sent-heading"'):]


def _mailed(conference: Conference, *, calendar: bool) -> list[Invitation]:
    invitations = (conference.invitations.filter(removed_at__isnull=True)
                   .select_related("user", "organisation", "family_member__user").order_by("pk"))
    return [i for i in invitations if imip.recipient_address(i)
            and not (calendar and imip.is_convenor_invitation(conference, i))]


def test_the_demos_invitations_stand_as_sent_on_the_convenors_pages(seeded, client):
    """As after the convenor sent them: each scheduled or held demo conference's invitation e-mails
    stand in its outbox as sent (none waiting), their SEQUENCE as sent (a move sends "Updated
    invitation"), and a polling conference's poll invitations as sent, without a mail at seed time."""
    demo_cases = [spec.reference for spec in CASES]
    conferences = Conference.objects.filter(case__reference__in=demo_cases).select_related("convenor", "case__network")
    seen = set()
    for conference in conferences:
        assert not OutboxMessage.objects.filter(conference=conference).exclude(status=OutboxMessage.Status.SENT).exists()
        if conference.status == Conference.Status.POLLING:
            mailed, kind = _mailed(conference, calendar=False), MailKind.POLL_INVITATION
        else:
            mailed, kind = _mailed(conference, calendar=True), MailKind.INVITATION
            for invitation in conference.invitations.filter(removed_at__isnull=True):
                assert invitation.sequence_queued == conference.sequence, conference.case.reference
            for invitation in mailed:
                assert invitation.sequence_sent == conference.sequence, conference.case.reference
                assert imip.message_kind(conference, invitation, "REQUEST") == "updated"
        assert mailed, conference.case.reference
        if cases_policy.can_convene(conference.convenor, conference.case):  # not once the case is closed
            sent = _sent_section(client, conference)
            for invitation in mailed:
                assert imip.recipient_address(invitation) in sent, (conference.case.reference, invitation.pk)
        rows = OutboxMessage.objects.filter(conference=conference, kind=kind, status=OutboxMessage.Status.SENT)
        assert rows.count() == len(mailed) and all(r.sent_at and r.sent_at <= timezone.now() and not bytes(r.raw)
                                                   for r in rows)
        seen.add(conference.status)
    assert seen >= {Conference.Status.POLLING, Conference.Status.SCHEDULED, Conference.Status.PROTOCOL_FINAL}
