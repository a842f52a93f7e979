"""Who was present at each conference, kept by PostgreSQL for the summary (``board/presence.py``,
issue 13): whatever writes the invitations or the family members' relations, the kept rows are
what the invitations give, and the summary's conference figures read from them are those the
crafted network was built to have."""
from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from board import presence
from board.figures import Period, raw_figures
from cases.models import FamilyMember
from conferences.models import Conference, Invitation
from participants.models import Organisation
from tests.board.crafted import at, build_crafted

pytestmark = pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                                reason="kept on PostgreSQL only (SQLite reads the invitations)")


def kept() -> dict[int, tuple[int, bool]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT conference_id, organisations, parent FROM {presence.TABLE}")
        return {row[0]: (row[1], row[2]) for row in cur.fetchall()}


def present_at(conference: Conference) -> tuple[int, bool] | None:
    return kept().get(conference.pk)


@pytest.mark.django_db
def test_the_triggers_are_installed_after_migrate_and_the_rows_match_the_invitations():
    build_crafted()
    assert presence.installed()
    assert not presence.drifted()
    assert raw_figures(Conference.objects.first().case.network, Period(2025, 2))["conferences"]["organisations_present"] == (7, 2.0)


def test_the_parent_relations_are_the_family_members_own():
    assert set(presence.PARENT_RELATIONS) == {relation.value for relation in FamilyMember.PARENT_RELATIONS}


@pytest.mark.django_db
def test_every_write_of_invitations_and_relations_keeps_the_rows_right():
    crafted = build_crafted()
    case = crafted.first_case
    orgs = list(Organisation.objects.filter(network=crafted.network).order_by("pk"))
    conference = Conference.objects.create(case=case, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                           starts_at=at(2025, 9, 1, 10), ends_at=at(2025, 9, 1, 11))
    assert present_at(conference) is None  # nobody invited
    first = Invitation.objects.create(conference=conference, organisation=orgs[0])
    assert present_at(conference) is None  # invited, not marked present
    Invitation.objects.filter(pk=first.pk).update(attended=True)  # a bulk update, as the services write
    assert present_at(conference) == (1, False)
    Invitation.objects.create(conference=conference, organisation=orgs[0], attended=True)  # a colleague
    second = Invitation.objects.create(conference=conference, organisation=orgs[1], attended=True)
    assert present_at(conference) == (2, False)
    relative = FamilyMember.objects.create(case=case, relation=FamilyMember.Relation.OTHER_RELATIVE, display_name="R")
    theirs = Invitation.objects.create(conference=conference, family_member=relative, attended=True)
    assert present_at(conference) == (2, False)  # a relative is not a parent
    relative.relation = FamilyMember.Relation.GUARDIAN  # she becomes the child's guardian
    relative.save(update_fields=["relation"])
    assert present_at(conference) == (2, True)
    theirs.removed_at = at(2025, 9, 2)  # her invitation withdrawn
    theirs.save(update_fields=["removed_at"])
    assert present_at(conference) == (2, False)
    elsewhere = Conference.objects.create(case=case, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                          starts_at=at(2025, 9, 3, 10), ends_at=at(2025, 9, 3, 11))
    Invitation.objects.filter(pk=second.pk).update(conference=elsewhere)  # moved to another conference
    assert (present_at(conference), present_at(elsewhere)) == ((1, False), (1, False))
    assert not presence.drifted()
    second.delete()
    assert present_at(elsewhere) is None
    Invitation.objects.filter(conference=conference).delete()  # a bulk delete
    assert present_at(conference) is None
    assert not presence.drifted()
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses to run with deferred checks pending
        cur.execute(f"TRUNCATE {presence.INVITATIONS} CASCADE")
    assert kept() == {}


@pytest.mark.django_db
def test_rows_written_while_no_trigger_watched_are_rebuilt_after_migrate():
    crafted = build_crafted()
    before = kept()
    presence.uninstall()
    try:
        conference = Conference.objects.get(pk=min(pk for pk, (organisations, _) in before.items() if organisations))
        Invitation.objects.filter(conference=conference).update(attended=False)
        assert kept() == before  # nobody watched
        assert presence.drifted()
    finally:
        presence.ensure()
    assert presence.installed()
    assert not presence.drifted()
    assert conference.pk not in kept()


def while_another_transaction_is_open(first_write, second_write) -> None:
    """``first_write`` in a transaction of another thread that stays open for half a second after
    it; ``second_write`` meanwhile, in this thread, in a transaction of its own."""
    wrote, errors = threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                first_write()
                wrote.set()
                threading.Event().wait(0.5)  # the second writer comes meanwhile
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            wrote.set()
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    wrote.wait(5)
    with transaction.atomic():
        second_write()
    thread.join(10)
    assert not errors


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_conference_at_once_both_count():
    """Two people mark attendance at one conference at the same moment: the second writer's
    recomputation waits for the first's commit and sees its row (an advisory lock per
    conference). Without it, each counted only its own row and the last commit won."""
    crafted = build_crafted()
    orgs = list(Organisation.objects.filter(network=crafted.network).order_by("pk"))
    conference = Conference.objects.create(case=crafted.first_case, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                           starts_at=at(2025, 9, 1, 10), ends_at=at(2025, 9, 1, 11))
    one, two = (Invitation.objects.create(conference=conference, organisation=org) for org in orgs[:2])
    while_another_transaction_is_open(lambda: Invitation.objects.filter(pk=one.pk).update(attended=True),
                                      lambda: Invitation.objects.filter(pk=two.pk).update(attended=True))
    assert present_at(conference) == (2, False)
    assert not presence.drifted()


@pytest.mark.django_db(transaction=True)
def test_a_relation_changed_while_her_invitation_is_written_counts():
    """A relative becomes the child's guardian while, at the same moment, her attendance at a
    conference is recorded: the invitation's recomputation waits for the relation's commit and
    counts a parent present (review: without the share lock on the family member the relation's
    trigger found no invitation yet and the invitation's saw the old relation: no parent, for
    good)."""
    crafted = build_crafted()
    conference = Conference.objects.create(case=crafted.first_case, convenor=crafted.coordinator, status=Conference.Status.HELD,
                                           starts_at=at(2025, 9, 1, 10), ends_at=at(2025, 9, 1, 11))
    relative = FamilyMember.objects.create(case=crafted.first_case, relation=FamilyMember.Relation.OTHER_RELATIVE, display_name="R")
    while_another_transaction_is_open(
        lambda: FamilyMember.objects.filter(pk=relative.pk).update(relation=FamilyMember.Relation.GUARDIAN),
        lambda: Invitation.objects.create(conference=conference, family_member=relative, attended=True))
    assert present_at(conference) == (0, True)
    assert not presence.drifted()
