"""Who was present at each conference, kept by PostgreSQL for the half-year summary (issue 13).

The summary's conference figures need, per held conference, the number of organisations with an
attended invitation and whether a parent (mother, father, guardian) attended. Read from the
invitations, that pass was most of the summary at four invitations per conference (~370 of 480
ms at 800,000 invitations: 150,000 attended invitations and their family members read through
indexes). Here one row per conference with at least one attended, not withdrawn invitation
(``board_conferencepresence``) holds both, written only by the database:

- a row trigger on the invitations recomputes the row of the conference(s) it touches (insert,
  delete, a change of conference, organisation, family member, attendance or withdrawal), under
  a transaction-level advisory lock per conference, so two writers of one conference's
  invitations recompute one after the other and the second sees the first's rows; it share-locks
  the invitation's family member first, so that a change of her relation and a new invitation
  of hers written at the same time are recomputed one after the other too (bulk writes of
  several conferences' invitations in one transaction take the locks in their rows' order: two
  such transactions in opposite orders could deadlock, which PostgreSQL ends by failing one;
  no service writes so);
- a row trigger on the family members recomputes the conferences of a member whose relation
  changed (a relative who becomes a guardian makes a conference one "with a parent");
- TRUNCATE of the invitations empties it.

``ensure`` (``board/0005`` and after every migrate) installs the triggers and rebuilds the rows
when they differ from the invitations (one pass over them, EXCEPT ALL both ways). SQLite keeps
no rows: the summary reads the invitations there (``board.figures._conference_figures``).
"""
from __future__ import annotations

from django.db import connections, transaction

from board import db_triggers

TABLE = "board_conferencepresence"
INVITATIONS = "conferences_invitation"
FAMILY = "participants_familymember"
FUNCTION = "fk_conference_presence"
INVITATION_FUNCTION = "fk_conference_presence_invitation"
FAMILY_FUNCTION = "fk_conference_presence_family"
TRUNCATE_FUNCTION = "fk_conference_presence_truncate"
WATCHED = ("conference_id", "organisation_id", "family_member_id", "attended", "removed_at")


# ``cases.models.FamilyMember.PARENT_RELATIONS`` as stored (this module is loaded with the app
# registry, before models can be imported; a test holds the two equal)
PARENT_RELATIONS = ("mother", "father", "guardian")


def _parents() -> str:
    return ", ".join(f"'{relation}'" for relation in PARENT_RELATIONS)


def _computed(where: str) -> str:
    """Presence rows as the invitations give them (``where`` on ``i``)."""
    return (f"SELECT i.conference_id, COUNT(DISTINCT i.organisation_id)::integer AS organisations,"
            f" bool_or(f.id IS NOT NULL) AS parent"
            f" FROM {INVITATIONS} i LEFT JOIN {FAMILY} f ON f.id = i.family_member_id AND f.relation IN ({_parents()})"
            f" WHERE i.attended AND i.removed_at IS NULL AND ({where}) GROUP BY i.conference_id")


def _functions() -> list[str]:
    recompute = f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}(cid bigint) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF cid IS NULL THEN RETURN; END IF;
            -- one writer of a conference's presence at a time; each statement below then reads
            -- the invitations as committed by the writer before (READ COMMITTED)
            PERFORM pg_advisory_xact_lock(hashtextextended('{TABLE}:' || cid, 0));
            DELETE FROM {TABLE} WHERE conference_id = cid;
            INSERT INTO {TABLE} (conference_id, organisations, parent) {_computed("i.conference_id = cid")};
        END $$"""
    # The family member of the invitation is share-locked first: a change of her relation that
    # has not committed yet (whose trigger found no invitation of hers to recompute) is waited
    # for, and one that comes later waits for this invitation and then finds it. Of two
    # conferences (an invitation moved), the lower id is locked first.
    invitation = f"""
        CREATE OR REPLACE FUNCTION {INVITATION_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'DELETE' AND NEW.family_member_id IS NOT NULL THEN
                PERFORM 1 FROM {FAMILY} WHERE id = NEW.family_member_id FOR SHARE;
            END IF;
            IF TG_OP = 'INSERT' THEN
                PERFORM {FUNCTION}(NEW.conference_id);
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM {FUNCTION}(OLD.conference_id);
            ELSE
                PERFORM {FUNCTION}(LEAST(OLD.conference_id, NEW.conference_id));
                IF NEW.conference_id IS DISTINCT FROM OLD.conference_id THEN
                    PERFORM {FUNCTION}(GREATEST(OLD.conference_id, NEW.conference_id));
                END IF;
            END IF;
            RETURN NULL;
        END $$"""
    family = f"""
        CREATE OR REPLACE FUNCTION {FAMILY_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE cid bigint;
        BEGIN
            FOR cid IN SELECT DISTINCT conference_id FROM {INVITATIONS} WHERE family_member_id = NEW.id ORDER BY conference_id LOOP
                PERFORM {FUNCTION}(cid);
            END LOOP;
            RETURN NULL;
        END $$"""
    truncate = f"""
        CREATE OR REPLACE FUNCTION {TRUNCATE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM {TABLE};
            RETURN NULL;
        END $$"""
    return [recompute, invitation, family, truncate]


def _installable(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    existing = set(connection.introspection.table_names())
    return {TABLE, INVITATIONS, FAMILY} <= existing


def install(using: str = "default") -> None:
    """(Re)create the functions and triggers in one transaction (``CREATE OR REPLACE``: no
    moment without a trigger). Idempotent."""
    connection = connections[using]
    if not _installable(connection):
        return
    watched = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    with transaction.atomic(using=using), connection.cursor() as cur:
        for sql in _functions():
            cur.execute(sql)
        cur.execute(f"CREATE OR REPLACE TRIGGER {INVITATION_FUNCTION} AFTER INSERT OR DELETE ON {INVITATIONS} "
                    f"FOR EACH ROW EXECUTE FUNCTION {INVITATION_FUNCTION}()")
        cur.execute(f"CREATE OR REPLACE TRIGGER {INVITATION_FUNCTION}_update AFTER UPDATE ON {INVITATIONS} "
                    f"FOR EACH ROW WHEN ({watched}) EXECUTE FUNCTION {INVITATION_FUNCTION}()")
        cur.execute(f"CREATE OR REPLACE TRIGGER {FAMILY_FUNCTION} AFTER UPDATE OF relation ON {FAMILY} FOR EACH ROW "
                    f"WHEN (OLD.relation IS DISTINCT FROM NEW.relation) EXECUTE FUNCTION {FAMILY_FUNCTION}()")
        cur.execute(f"CREATE OR REPLACE TRIGGER {TRUNCATE_FUNCTION} AFTER TRUNCATE ON {INVITATIONS} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION {TRUNCATE_FUNCTION}()")


def drifted(using: str = "default") -> bool:
    """Whether the rows differ from what the invitations give (PostgreSQL; False elsewhere)."""
    connection = connections[using]
    if not _installable(connection):
        return False
    with connection.cursor() as cur:
        cur.execute(f"SELECT EXISTS ({_computed('TRUE')} EXCEPT ALL SELECT conference_id, organisations, parent FROM {TABLE})"
                    f" OR EXISTS (SELECT conference_id, organisations, parent FROM {TABLE} EXCEPT ALL {_computed('TRUE')})")
        return cur.fetchone()[0]


def ensure(using: str = "default") -> None:
    """Install the triggers and rebuild the rows when they do not match the invitations (never
    filled, or written to while no trigger watched). Holds off writers of invitations and family
    members meanwhile (readers go on). Run by ``board/0005`` and after every migrate."""
    if _installable(connections[using]):
        db_triggers.ensure(using, (INVITATIONS, FAMILY), install, drifted, backfill)


def backfill(using: str = "default") -> int:
    """Recompute every row from the invitations; returns the rows written."""
    connection = connections[using]
    if not _installable(connection):
        return 0
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE}")
        cur.execute(f"INSERT INTO {TABLE} (conference_id, organisations, parent) {_computed('TRUE')}")
        return cur.rowcount


_TRIGGERS = ((INVITATION_FUNCTION, INVITATIONS), (f"{INVITATION_FUNCTION}_update", INVITATIONS),
             (TRUNCATE_FUNCTION, INVITATIONS), (FAMILY_FUNCTION, FAMILY))


def uninstall(using: str = "default") -> None:
    db_triggers.drop(using, _TRIGGERS, [f"{name}()" for name in (INVITATION_FUNCTION, FAMILY_FUNCTION, TRUNCATE_FUNCTION)]
                     + [f"{FUNCTION}(bigint)"])


def installed(using: str = "default") -> bool:
    return db_triggers.all_installed(using, [name for name, _ in _TRIGGERS])
