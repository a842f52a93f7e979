"""Reads of the calendar subscriptions, built on the policy querysets (``conferences/``, ``protocols/policy.py``): what each feed
holds, the tokens of a person, the board meeting behind a download. Every list costs a fixed
number of queries, whatever the number of rows."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import connections

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from board.models import BoardMeeting
from cases import policy as cases_policy
from cases.models import Case
from conferences import policy as conferences_policy
from conferences.models import Conference, Invitation
from participants import policy as participants_policy
from participants.models import Network
from permissions import content_version, policy
from protocols import policy as protocols_policy
from protocols.models import AgreedAction

from .models import FeedToken

FEED_CONFERENCE_STATES = [
    Conference.Status.SCHEDULED, Conference.Status.HELD, Conference.Status.PROTOCOL_FINAL, Conference.Status.CANCELLED,
]


def get_board_meeting_for_user(user, pk: int) -> BoardMeeting:
    meeting = BoardMeeting.objects.filter(pk=pk, network_id__in=participants_policy.board_network_ids(user)).select_related("network").first()
    if meeting is None:
        raise Http404
    return meeting


def feed_token_by_hash(digest: str) -> FeedToken | None:
    """The token with its user, and the content version read in the same statement (a poll of an
    unchanged feed costs this one statement, see ``calendars.feeds``)."""
    # Only the user is joined: the case and network (case and board feeds) load when a body is
    # built; the poll itself needs neither. The statement is the one
    # ``FeedToken.objects.select_related("user").annotate(content_version=...).filter(token_hash=...)``
    # would send, but composed once per connection from the models' fields: compiling that
    # queryset cost more than half of a poll's time (issue 13).
    connection = connections[FeedToken.objects.db]
    sql, token_fields, user_fields, converters = _token_statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for index, field, functions in converters:
        for function in functions:
            row[index] = function(row[index], field, connection)
    split = len(token_fields)
    token = FeedToken.from_db(connection.alias, token_fields, row[:split])
    user = get_user_model().from_db(connection.alias, user_fields, row[split:split + len(user_fields)])
    FeedToken._meta.get_field("user").set_cached_value(token, user)
    token.content_version = row[-1]
    return token


_TOKEN_STATEMENTS: dict[tuple[str, str], tuple] = {}


def _token_statement(connection) -> tuple[str, list[str], list[str], list]:
    """The token-by-hash statement for this connection's database, its column names and the
    database converters of its columns (SQLite returns dates as text, for example)."""
    key = (connection.alias, connection.vendor)
    if key not in _TOKEN_STATEMENTS:
        qn = connection.ops.quote_name
        token_meta, user_meta = FeedToken._meta, get_user_model()._meta
        columns, converters, names = [], [], ([], [])
        for alias, meta, attnames in (("t", token_meta, names[0]), ("u", user_meta, names[1])):
            for field in meta.concrete_fields:
                col = field.get_col(alias)
                functions = [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)]
                if functions:
                    converters.append((len(columns), col, functions))
                columns.append(f"{alias}.{qn(field.column)}")
                attnames.append(field.attname)
        version_sql = content_version.current().sql
        sql = (f"SELECT {', '.join(columns)}, ({version_sql}) FROM {qn(token_meta.db_table)} t "
               f"INNER JOIN {qn(user_meta.db_table)} u ON u.{qn(user_meta.pk.column)} = t.{qn(token_meta.get_field('user').column)} "
               f"WHERE t.{qn(token_meta.get_field('token_hash').column)} = %s")
        _TOKEN_STATEMENTS[key] = (sql, names[0], names[1], converters)
    return _TOKEN_STATEMENTS[key]


def feed_tokens_of(user) -> QuerySet[FeedToken]:
    return FeedToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    ).select_related("case", "network").order_by("kind", "pk")


def personal_conferences(user) -> QuerySet[Conference]:
    """Conferences she is (still) invited to, among those the policy lets her see."""
    invited = Invitation.objects.filter(removed_at__isnull=True).filter(Q(user=user) | Q(family_member__user=user))
    return Conference.objects.filter(
        pk__in=conferences_policy.conferences_for_user(user).values("pk"), status__in=FEED_CONFERENCE_STATES,
    ).filter(pk__in=invited.values("conference_id"))


# Done and dropped actions stay in feeds this many days after their last change, marked in the
# title (and dropped ones STATUS:CANCELLED), so that subscribed calendars update the event they
# already hold instead of keeping a stale "due" entry; then they leave the feed.
FEED_KEEP_CLOSED_DAYS = 14


def _feed_action_filter() -> Q:
    """Open and in-progress actions, and done/dropped ones changed within FEED_KEEP_CLOSED_DAYS.
    The cutoff is the start of a local day, so the set (and the feed's bytes) changes at most
    once a day by itself."""
    today = timezone.localdate()
    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=FEED_KEEP_CLOSED_DAYS), dt.time()))
    return Q(status__in=[AgreedAction.Status.OPEN, AgreedAction.Status.IN_PROGRESS]) | Q(
        status__in=[AgreedAction.Status.DONE, AgreedAction.Status.DROPPED], updated_at__gte=cutoff,
    )


def personal_actions(user) -> QuerySet[AgreedAction]:
    """Actions that fall to her or her organisation (or, for a parent, to her): open ones, and
    recently done or dropped ones (see FEED_KEEP_CLOSED_DAYS)."""
    return protocols_policy.responsible_actions_for_user(user).filter(_feed_action_filter())


def case_conferences(user, case: Case) -> QuerySet[Conference]:
    return conferences_policy.conferences_for_user(user).filter(case=case, status__in=FEED_CONFERENCE_STATES)


def case_actions(user, case: Case) -> QuerySet[AgreedAction]:
    return protocols_policy.actions_for_user(user).filter(case=case).filter(_feed_action_filter())


def board_meetings(user, network: Network) -> QuerySet[BoardMeeting]:
    return BoardMeeting.objects.filter(network=network, network_id__in=participants_policy.board_network_ids(user))


def aggregate_state(qs: QuerySet, *, sequence_field: str = "sequence", version_field: str | None = None,
                    related_updated: str | None = None) -> tuple:
    """One cheap query summarising a feed component: when it last changed and which rows it
    holds (count, sum of keys, sum of sequences and versions), so that a row leaving the set or
    changing its status changes it."""
    sums = {"seq": Sum(sequence_field)}
    if version_field:
        sums["ver"] = Sum(version_field)
    if related_updated:  # e.g. the case whose reference is in every title
        sums["related"] = Max(related_updated)
    row = qs.order_by().aggregate(n=Count("pk"), latest=Max("updated_at"), keys=Sum("pk"), **sums)
    return (row["n"], row["latest"], row["keys"] or 0, row["seq"] or 0, row.get("ver") or 0, row.get("related"))


def feed_networks(user) -> list[tuple[int, str, str]]:
    """The detail level and name of each network of her cases and board seats (part of the
    feed's ETag: board meeting titles carry the network's name)."""
    return list(
        Network.objects.filter(pk__in=policy.union_ids(cases_policy.cases_for_user(user).values("network_id"), participants_policy.board_network_ids(user)))
        .order_by("pk").values_list("pk", "feed_detail", "name")
    )
