"""Issue 14: the case, its team and legal holds (from ``conferences``) and its family members,
consents and legal bases (from ``participants``) moved to ``cases``. A database of the schema
before the move keeps every row, every relation between them and from the apps that point at
them, the many-to-many rows, and the content types (with what points at them: permissions,
django-guardian's object permissions, the admin's log)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.models import Case, CaseTeamMember, Consent, DisclosureBasis, FamilyMember, LegalHold
from conferences.models import Conference, Invitation
from participants.models import Network, Organisation
from permissions import content_version
from protocols import action_history
from protocols.models import ProtocolItem
from tests.world import make_user

# Unapplying cases/0001 unapplies every migration after it that points here (the state-only
# AlterFields of the other apps and the removals in conferences and participants).
BEFORE = [("cases", None)]
# The leaves of the apps touched by the move, before it (main before this part of issue 14).
OLD_NODES = {
    "conferences": "0010_remove_feedtoken_state",
    "participants": "0006_network_holiday_region",
    "calendars": "0001_initial",
    "notifications": "0005_team_joined_by_referral",
    "offers": "0002_referral_team_consent",
    "outbox": "0002_alter_outboxmessage_kind",
    "permissions": "0014_audit_head_follows_events",
    "privacy": "0001_initial",
    "protocols": "0008_action_history_digest",
}
MOVED = {
    "conferences": ("case", "caseteammember", "legalhold"),
    "participants": ("familymember", "consent", "consentscope", "disclosurebasis"),
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    ContentType.objects.clear_cache()
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_relations_and_content_types_survive_the_move():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    network = Network.objects.create(name="Kreis Test", slug="kreis-test")
    youth = Organisation.objects.create(network=network, name="Jugendamt", kind="youth_welfare")
    counselling = Organisation.objects.create(network=network, name="Beratung", kind="addiction_counselling")
    convenor = make_user("convenor.test")
    mother_account = make_user("mutter.test")
    dpo = make_user("dpo.test")
    ids_before = {m: ContentType.objects.get(app_label="cases", model=m).pk for models in MOVED.values() for m in models}
    try:
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(
            [node for node in latest if node[0] not in {"cases", *OLD_NODES}] + list(OLD_NODES.items())).apps
        with pytest.raises(LookupError):
            old.get_model("cases", "Case")
        OldCT = old.get_model("contenttypes", "ContentType")
        # The content types went back to their apps, the same rows (ids) as before.
        assert {m: OldCT.objects.get(app_label=app, model=m).pk for app, models in MOVED.items() for m in models} == ids_before
        assert not OldCT.objects.filter(app_label="cases").exists()

        OldCase = old.get_model("conferences", "Case")
        case = OldCase.objects.create(network_id=network.pk, reference="HS-2026-901", lead_organisation_id=youth.pk,
                                      lead_caseworker_id=convenor.pk, status="active", opened_on=dt.date(2026, 1, 5))
        team = old.get_model("conferences", "CaseTeamMember").objects.create(
            case_id=case.pk, organisation_id=counselling.pk, case_role="counselling")
        hold = old.get_model("conferences", "LegalHold").objects.create(
            case_id=case.pk, ground="court", reason="Verfahren", review_on=dt.date(2027, 1, 1), set_by_id=dpo.pk)
        mother = old.get_model("participants", "FamilyMember").objects.create(
            case_id=case.pk, relation="mother", display_name="A.", user_id=mother_account.pk)
        consent = old.get_model("participants", "Consent").objects.create(
            case_id=case.pk, given_by_id=mother.pk, from_organisation_id=youth.pk, valid_from=dt.date(2026, 1, 5),
            valid_until=dt.date(2027, 1, 5), recorded_by_id=convenor.pk)
        consent.to_organisations.add(counselling.pk)
        scope = old.get_model("participants", "ConsentScope").objects.create(consent_id=consent.pk, category="addiction_treatment")
        basis = old.get_model("participants", "DisclosureBasis").objects.create(
            case_id=case.pk, basis="de_kkg_4", from_organisation_id=youth.pk, invoked_by_id=convenor.pk,
            justification="Gefährdung", invoked_on=dt.date(2026, 2, 1), valid_until=dt.date(2026, 8, 1), parents_informed=True)
        basis.to_organisations.add(counselling.pk)
        # Rows of the apps that point at the moved models.
        starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
        conference = old.get_model("conferences", "Conference").objects.create(
            case_id=case.pk, convenor_id=convenor.pk, status="scheduled", starts_at=starts, ends_at=starts + dt.timedelta(hours=1))
        invitation = old.get_model("conferences", "Invitation").objects.create(conference_id=conference.pk, family_member_id=mother.pk)
        protocol = old.get_model("protocols", "Protocol").objects.create(conference_id=conference.pk, minute_taker_id=convenor.pk)
        item = old.get_model("protocols", "ProtocolItem").objects.create(
            protocol_id=protocol.pk, title="Behandlung", audience="restricted", holding_organisation_id=youth.pk,
            entrusted_by_id=mother.pk, category="addiction_treatment", created_by_id=convenor.pk)
        # What points at the content types: a permission, a guardian object permission, the admin's log.
        Permission = old.get_model("auth", "Permission")
        content_perm = Permission.objects.get(content_type_id=ids_before["case"], codename="view_case_content")
        UserObjectPermission = old.get_model("guardian", "UserObjectPermission")
        grant = UserObjectPermission.objects.create(user_id=convenor.pk, permission_id=content_perm.pk,
                                                    content_type_id=ids_before["case"], object_pk=str(case.pk))
        LogEntry = old.get_model("admin", "LogEntry")
        log = LogEntry.objects.create(user_id=convenor.pk, content_type_id=ids_before["consent"], object_id=str(consent.pk),
                                      object_repr="consent", action_flag=1, action_time=timezone.now())
    finally:
        _migrate(latest)
        # what post_migrate does after a real migrate (a SQLite table rebuild drops triggers)
        content_version.install()
        action_history.install()

    moved = Case.objects.get(pk=case.pk)
    assert (moved.reference, moved.network, moved.lead_organisation, moved.lead_caseworker, moved.status) == (
        "HS-2026-901", network, youth, convenor, "active")
    assert list(moved.team.values_list("pk", "organisation_id", "case_role")) == [(team.pk, counselling.pk, "counselling")]
    assert CaseTeamMember.objects.get(pk=team.pk).case == moved
    assert LegalHold.objects.get(pk=hold.pk).case == moved and moved.legal_holds.get().in_force
    moved_mother = FamilyMember.objects.get(pk=mother.pk)
    assert (moved_mother.case, moved_mother.user, moved_mother.is_parent) == (moved, mother_account, True)
    assert mother_account.family_member == moved_mother
    moved_consent = Consent.objects.get(pk=consent.pk)
    assert (moved_consent.case, moved_consent.given_by) == (moved, moved_mother)
    assert list(moved_consent.to_organisations.all()) == [counselling]
    assert list(moved_consent.scopes.values_list("pk", "category")) == [(scope.pk, "addiction_treatment")]
    moved_basis = DisclosureBasis.objects.get(pk=basis.pk)
    assert (moved_basis.case, moved_basis.basis, list(moved_basis.to_organisations.all())) == (moved, "de_kkg_4", [counselling])
    assert list(moved.consents.all()) == [moved_consent] and list(moved.disclosure_bases.all()) == [moved_basis]
    # The other apps' foreign keys reach the moved rows.
    assert Conference.objects.get(pk=conference.pk).case == moved
    assert Invitation.objects.get(pk=invitation.pk).family_member == moved_mother
    assert ProtocolItem.objects.get(pk=item.pk).entrusted_by == moved_mother
    # The policy still decides, now on the moved models: the mother sees her case and her consent.
    assert list(Case.objects.visible_to(mother_account)) == [moved]
    assert list(Consent.objects.visible_to(mother_account)) == [moved_consent]

    # The same content type rows, now under cases; nothing left under the old labels, none doubled.
    for app, models in MOVED.items():
        assert not ContentType.objects.filter(app_label=app, model__in=models).exists()
        for model in models:
            assert ContentType.objects.get(app_label="cases", model=model).pk == ids_before[model]
    assert ContentType.objects.get_for_model(Case).pk == ids_before["case"]

    from django.contrib.admin.models import LogEntry as CurrentLogEntry
    from guardian.models import UserObjectPermission as CurrentUserObjectPermission

    grant = CurrentUserObjectPermission.objects.get(pk=grant.pk)
    assert grant.content_object == moved
    assert grant.permission.content_type.app_label == "cases"
    assert CurrentLogEntry.objects.get(pk=log.pk).get_edited_object() == moved_consent
    assert convenor.has_perm("cases.view_case_content", moved)
