"""Feed tokens moved from ``conferences`` to ``calendars`` (issue 14) without losing a row.

The database is taken back to the schema before the move (``conferences`` 0008, no
``calendars``), tokens are written there through the historical models, and the migrations run
forward to today's leaves: the same rows, ids and hashes come out of ``calendars.FeedToken``, and
the content type (with the permissions that point at it) moved with them. The way back keeps the
rows too. Whatever happens, the test database ends at the leaf migrations again. Runs on SQLite
and on PostgreSQL (``DATABASE_URL``).
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from calendars.models import FeedToken

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("conferences", "0008_legal_holds"), ("calendars", None)]


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def back_to_leaves():
    """Whatever the test does, the database ends at the leaf migrations (the state every other
    test expects), and the content-type cache forgets what it saw in between."""
    yield
    MigrationExecutor(connection).migrate(_leaves())
    ContentType.objects.clear_cache()


def _old_apps():
    """Migrate back to before the move; the models as they were then (the state of the
    migrations now applied)."""
    MigrationExecutor(connection).migrate(BEFORE)
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def test_tokens_written_before_the_move_are_read_by_the_calendars_model(back_to_leaves):
    old = _old_apps()
    assert "calendars_feedtoken" not in connection.introspection.table_names()
    User = old.get_model("participants", "User")
    Network = old.get_model("participants", "Network")
    OldToken = old.get_model("conferences", "FeedToken")
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")

    user = User.objects.create(username="subscriber", preferred_language="da")
    board_member = User.objects.create(username="board")
    network = Network.objects.create(name="Netz Süd", slug="netz-sued")
    changed = timezone.now() - dt.timedelta(hours=3)
    personal = OldToken.objects.create(user=user, kind="personal", token_hash="p" * 64, served_etag='"abc"',
                                       content_changed_at=changed, last_used_at=changed)
    board = OldToken.objects.create(user=board_member, kind="board", network=network, token_hash="b" * 64,
                                    revoked_at=changed)
    content_type, _ = OldContentType.objects.get_or_create(app_label="conferences", model="feedtoken")
    permission = OldPermission.objects.get_or_create(content_type=content_type, codename="view_feedtoken",
                                                     defaults={"name": "Can view feed token"})[0]

    MigrationExecutor(connection).migrate(_leaves())
    ContentType.objects.clear_cache()

    assert "conferences_feedtoken" not in connection.introspection.table_names()
    moved = {token.pk: token for token in FeedToken.objects.all()}
    assert set(moved) == {personal.pk, board.pk}
    assert (moved[personal.pk].user_id, moved[personal.pk].kind, moved[personal.pk].token_hash) == (user.pk, "personal", "p" * 64)
    assert moved[personal.pk].served_etag == '"abc"' and moved[personal.pk].content_changed_at == changed
    assert (moved[board.pk].kind, moved[board.pk].network_id, moved[board.pk].revoked_at) == ("board", network.pk, changed)
    # The content type row moved (same id), and the permission with it; none is left behind.
    assert ContentType.objects.get_for_model(FeedToken).pk == content_type.pk
    assert not ContentType.objects.filter(app_label="conferences", model="feedtoken").exists()
    assert Permission.objects.get(pk=permission.pk).content_type_id == content_type.pk
    # The constraint came along: a personal token with a network is refused.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        FeedToken.objects.create(user_id=user.pk, kind="personal", network_id=network.pk, token_hash="x" * 64)
    # New tokens continue the ids (PostgreSQL: the sequence came along with the table).
    fresh = FeedToken.objects.create(user_id=user.pk, kind="personal", token_hash="n" * 64)
    assert fresh.pk > max(moved)


def test_the_way_back_keeps_the_tokens_too(back_to_leaves):
    from participants.models import User

    user = User.objects.create(username="subscriber")
    token = FeedToken.objects.create(user=user, kind="personal", token_hash="q" * 64)
    ContentType.objects.get_for_model(FeedToken)  # the row exists, as after any migrate

    old = _old_apps()
    OldToken = old.get_model("conferences", "FeedToken")
    assert list(OldToken.objects.values_list("pk", "token_hash")) == [(token.pk, "q" * 64)]
    OldContentType = old.get_model("contenttypes", "ContentType")
    assert OldContentType.objects.filter(app_label="conferences", model="feedtoken").exists()
    assert not OldContentType.objects.filter(app_label="calendars", model="feedtoken").exists()

    MigrationExecutor(connection).migrate(_leaves())
    assert FeedToken.objects.get(pk=token.pk).token_hash == "q" * 64
