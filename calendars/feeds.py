"""Calendar subscription feeds behind a secret token: personal, case and board.

A fetch costs a fixed number of queries. The ETag comes from cheap aggregate queries (count,
latest change, sum of keys and sequences per component, the networks' detail level), so a
conditional request is answered 304 without loading or rendering a single event. ETag and body
are cached under the database's content version (``permissions.content_version``, raised by a
trigger in the same transaction as every change of content) and the day: a poll of an unchanged
feed reads only its token (one statement; the token row remembers the ETag and the cache key it
was last served at, so the poll needs no cache read either), a fetch of an unchanged body renders nothing, and no
cached answer is ever used after a change. The same
policy querysets as the pages decide what is in a feed, so a removed team member or a
withdrawn invitation disappears from the next fetch. Every answer with new content is audited
(channel feed, with what it disclosed); answers with content the token already received (304,
or the same body again) once per token, feed and day, without a write per poll.

Done and dropped actions: dropping an event from a subscription leaves many clients with the
stale "due" entry they already hold (or deletes it silently), so a closed action stays in the
feed for ``selectors.FEED_KEEP_CLOSED_DAYS`` days after its last change, titled "(done)" or
"(dropped)" (dropped: STATUS:CANCELLED; the task feed: COMPLETED / CANCELLED), with SEQUENCE
raised by the status change (``calendars.ical.action_sequence``) and DTSTAMP at that change. After that
it leaves the feed; the ETag covers count, keys, sequences and versions, so both steps answer
200 with the new calendar and identical data keeps answering 304.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Q
from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django.utils.translation import gettext as _

from cases import policy as cases_policy
from conferences import ical
from conferences.services import hash_token, tokens_match
from participants import language, policy as participants_policy
from permissions import audit
from permissions.kept import Kept

from . import selectors
from .ical import action_event, action_todo
from .models import FeedToken

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{40,100}$")


def resolve_token(raw: str) -> FeedToken | None:
    """The active token behind ``raw``; None when unknown, revoked, expired or out of scope."""
    if not raw or not TOKEN_SHAPE.match(raw):
        return None
    token = selectors.feed_token_by_hash(hash_token(raw))
    if token is None or not tokens_match(token.token_hash, raw):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= timezone.now()):
        return None
    if not token.user.is_active:
        return None
    if token.kind == FeedToken.Kind.CASE and not cases_policy.professional_case_ids(token.user).filter(case_id=token.case_id).exists():
        return None
    if token.kind == FeedToken.Kind.BOARD and not participants_policy.board_network_ids(token.user).filter(network_id=token.network_id).exists():
        return None
    return token


class PersonalSource:
    """Appointments an app above this one adds to every personal feed (e.g. the sessions of
    programme tracks, from ``offers``). Registered in that app's ``AppConfig.ready`` so that
    this module never imports upward. ``state(user)`` must be cheap and change whenever the
    events change (it goes into the ETag); ``events(user)`` returns VEVENTs, already filtered
    by that app's access policy."""

    def state(self, user) -> object:  # pragma: no cover - interface
        raise NotImplementedError

    def events(self, user) -> list:  # pragma: no cover - interface
        raise NotImplementedError


PERSONAL_SOURCES: list[PersonalSource] = []


def register_personal_source(source: PersonalSource) -> None:
    if not any(type(existing) is type(source) for existing in PERSONAL_SOURCES):
        PERSONAL_SOURCES.append(source)


@dataclass
class FeedParts:
    conferences: object = None      # queryset or None
    actions: object = None
    meetings: object = None
    name: str = ""


def _parts(token: FeedToken) -> FeedParts:
    user = token.user
    if token.kind == FeedToken.Kind.PERSONAL:
        return FeedParts(conferences=selectors.personal_conferences(user), actions=selectors.personal_actions(user),
                         name=_("Fallkonferenz – my conferences and actions"))
    if token.kind == FeedToken.Kind.CASE:
        return FeedParts(conferences=selectors.case_conferences(user, token.case), actions=selectors.case_actions(user, token.case),
                         name=f"Fallkonferenz – {token.case.reference}")
    return FeedParts(meetings=selectors.board_meetings(user, token.network), name=_("Fallkonferenz – cooperation board"))


def _language(token: FeedToken) -> str:
    """The feed's language (``participants.language.for_user``): her own choice; else a case
    feed's case and network, a board feed's network, the networks she works in. Worked out once
    per answer and only where an ETag or a body is built (it reads her records and networks)."""
    if not hasattr(token, "feed_language"):
        network = token.case.network if token.kind == FeedToken.Kind.CASE else token.network
        token.feed_language = language.for_user(token.user, network=network, case_id=token.case_id)
    return token.feed_language


def _etag(token: FeedToken, parts: FeedParts, *, tasks: bool, language: str) -> str:
    # Everything that goes into the body: rows, their cases (references in titles), the networks
    # (detail level, names in board titles), language, refresh interval and the feed's name.
    state = [token.kind, token.case_id, token.network_id, tasks, language, selectors.feed_networks(token.user),
             settings.FEED_REFRESH_MINUTES, parts.name, ical.PRODID]
    for qs, version, related in ((parts.conferences, None, "case__updated_at"), (parts.actions, "version", "case__updated_at"),
                                 (parts.meetings, None, None)):
        state.append(selectors.aggregate_state(qs, version_field=version, related_updated=related) if qs is not None else None)
    if token.kind == FeedToken.Kind.PERSONAL and not tasks:
        state.extend(source.state(token.user) for source in PERSONAL_SOURCES)
    return quote_etag(hashlib.sha256(repr(state).encode()).hexdigest()[:40])


def _not_modified(request, etag: str, last_modified) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
        return etag in candidates or "*" in candidates
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and last_modified is not None and int(last_modified.timestamp()) <= since


def render(token: FeedToken, parts: FeedParts, *, tasks: bool = False) -> bytes:
    terse = {pk: detail == "terse" for pk, detail, _name in selectors.feed_networks(token.user)}
    cal = ical.new_calendar(name=parts.name, refresh_minutes=settings.FEED_REFRESH_MINUTES)
    if tasks:
        # COMPLETED is the instant the action was last set done (its progress note), not a
        # made-up time on that day.
        done_at = Max("notes__created_at", filter=Q(notes__status="done"))
        for action in parts.actions.select_related("case").annotate(completed_at=done_at).order_by("due_on", "pk"):
            cal.add_component(action_todo(action, terse=terse.get(action.case.network_id, False)))
        return ical.finish(cal)
    if parts.conferences is not None:
        for conference in parts.conferences.select_related("case__network").order_by("starts_at", "pk"):
            cal.add_component(ical.conference_event(conference, stamp=conference.updated_at,
                                                    terse=terse.get(conference.case.network_id, False)))
    if parts.actions is not None:
        for action in parts.actions.select_related("case").order_by("due_on", "pk"):
            cal.add_component(action_event(action, terse=terse.get(action.case.network_id, False)))
    if parts.meetings is not None:
        for meeting in parts.meetings.select_related("network").order_by("starts_at", "pk"):
            cal.add_component(ical.board_meeting_event(meeting, terse=terse.get(meeting.network_id, False)))
    if token.kind == FeedToken.Kind.PERSONAL:
        for source in PERSONAL_SOURCES:
            for event in source.events(token.user):
                cal.add_component(event)
    return ical.finish(cal)


def _change_time(now, previous):
    """When new content counts as changed. Last-Modified and If-Modified-Since carry whole
    seconds: content that changed within the second of the previous change would carry the same
    Last-Modified, and a client that asks with If-Modified-Since alone (no ETag) would be answered
    304 with the older content until the next change. Such content counts as changed at the start
    of the next second instead (strictly later, so that client gets it)."""
    if previous is not None and int(now.timestamp()) <= int(previous.timestamp()):
        return previous.replace(microsecond=0) + dt.timedelta(seconds=1)
    return now


def _headers(response: HttpResponse, etag: str, last_modified) -> HttpResponse:
    response["ETag"] = etag
    # A change time moved into the next second (``_change_time``) is not sent until that second
    # has come: a Last-Modified later than the response's Date is not allowed (RFC 9110 8.8.2.1),
    # and the Date itself would name the older content's second again. Without it a client
    # revalidates with the ETag or fetches in full.
    if last_modified is not None and last_modified <= timezone.now():
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# A rendered answer is kept this long at most; the key changes with every content change anyway,
# the limit only frees memory and bounds what a deploy with a changed calendar format reuses.
FEED_CACHE_SECONDS = 6 * 3600


def _cache_key(token: FeedToken, *, tasks: bool) -> str | None:
    """Where this token's answer at the current content version is cached: None when the
    version is unknown (never cached then). The version rises with every committed change of
    content (``permissions.content_version``); the local date covers what changes by the
    calendar alone (closed actions leaving after FEED_KEEP_CLOSED_DAYS, consent and grant
    windows). The token's hash (not its id) names the entry, so a revoked token's entry is never
    reached again and a new token never meets an old entry."""
    version = getattr(token, "content_version", None)
    if version is None:
        return None
    # Her own choice, read with the token: what the rule goes on to read without one (her records,
    # memberships, networks) is content, so the version in the key already covers it.
    parts = (token.token_hash, "tasks" if tasks else "events", str(version), timezone.localdate().isoformat(),
             language.own_choice(token.user), settings.LANGUAGE_CODE, str(settings.FEED_REFRESH_MINUTES), ical.PRODID)
    return "feed:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _body_weight(entry: dict) -> int:
    return len(entry["body"])


# The feed answers (ETag, body, what it discloses) this process served lately, by cache key, in
# front of the shared cache: a full GET of an unchanged feed (many calendar clients fetch without
# a validator) then reads neither Redis nor a 144 KB pickle (issue 13: the cached full GET on
# PostgreSQL + Redis took 3.2x the static view in-process). An entry never goes stale: its key
# names the content version and the day, like the shared cache's, and the token is checked by its
# statement before any entry is looked up, so a revoked token reaches none. Bounded by the size
# of the bodies held (~110 feeds of 500 actions), least recently used out.
FEED_BODIES_IN_MEMORY = 16 * 1024 * 1024
_bodies = Kept(FEED_BODIES_IN_MEMORY, weight=_body_weight)


def _disclosed(parts: FeedParts) -> dict[str, list[int]]:
    """What a body discloses, for the audit: one query per kind, whatever the number of rows."""
    found = {}
    for kind in ("conferences", "actions", "meetings"):
        rows = getattr(parts, kind)
        if rows is not None:
            found[kind] = sorted(rows.values_list("pk", flat=True))
    return found


# The token's fields that hold what each of its feeds was last served: (ETag, when its content
# last changed, the key the ETag was established at, when that feed was last fetched). Every
# fetch of either feed also sets the token's ``last_used_at`` (any feed), which therefore cannot
# tell whether this feed was fetched today.
SERVED_FIELDS = {False: ("served_etag", "content_changed_at", "served_key", "events_last_used_at"),
                 True: ("tasks_served_etag", "tasks_content_changed_at", "tasks_served_key", "tasks_last_used_at")}


def serve(request, raw_token: str, *, tasks: bool = False) -> HttpResponse:
    """Answer a feed fetch. A poll of an unchanged personal feed costs one statement (the token
    with the content version) and no cache read; a full GET of an unchanged body already served
    today costs that statement and, unless this process holds the body (``_bodies``), one cache
    read; the calendar is built only after a change."""
    token = resolve_token(raw_token)
    if token is None or (tasks and token.kind != FeedToken.Kind.PERSONAL):
        raise Http404
    key = _cache_key(token, tasks=tasks)
    served_key = key.removeprefix("feed:") if key else ""
    conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
    now = timezone.now()
    etag_field, changed_field, key_field, used_field = SERVED_FIELDS[tasks]
    served_etag, content_changed_at, stored_key, used_at = (
        getattr(token, name) for name in (etag_field, changed_field, key_field, used_field))
    used_today = used_at is not None and timezone.localdate(used_at) == timezone.localdate(now)
    # The token row holds the ETag it was last served and the cache key (content version, local
    # date, events or tasks, language, format) at which that ETag was established, both written
    # by one UPDATE. Same key now: that ETag is what the cache holds under the key, so a poll
    # needs no cache read. The version rises with every committed change of content (access
    # included: consents, team, memberships, grants), so a change after the last write always
    # gives another key and the ETag is looked up or computed again.
    if (conditional and served_key and used_today and stored_key == served_key
            and served_etag and content_changed_at is not None):
        if _not_modified(request, served_etag, content_changed_at):
            return _headers(HttpResponse(status=304), served_etag, content_changed_at)
    # Two entries per key: the ETag (all a poll needs) and the body stored with its ETag and what
    # it discloses. A request with a validator reads the ETag entry, one without reads the body
    # entry: one cache round trip for either answer of an unchanged feed.
    entry = _bodies.get(key) if key else None
    if entry is None and key and not conditional:
        entry = cache.get(key + ":body")
        if entry is not None and "etag" not in entry:
            entry = None  # written before the ETag was stored with the body
        if entry is not None:
            _bodies.put(key, entry)
    etag = entry["etag"] if entry is not None else (cache.get(key + ":etag") if key else None)
    parts = None
    language = None
    if etag is None:
        language = _language(token)
        with translation.override(language):  # the parts too: the calendar's name is in her language
            parts = _parts(token)
            etag = _etag(token, parts, tasks=tasks, language=language)
        if key:
            cache.set(key + ":etag", etag, FEED_CACHE_SECONDS)
    changed = etag != served_etag or content_changed_at is None
    last_modified = _change_time(now, content_changed_at) if changed else content_changed_at
    not_modified = _not_modified(request, etag, last_modified)
    if not not_modified and entry is None:
        entry = cache.get(key + ":body") if key else None
        if entry is None or entry.get("etag") != etag:
            with translation.override(language or _language(token)):
                parts = parts or _parts(token)
                entry = {"etag": etag, "body": render(token, parts, tasks=tasks), "disclosed": _disclosed(parts)}
            if key:
                cache.set(key + ":body", entry, FEED_CACHE_SECONDS)
        if key:
            _bodies.put(key, entry)
    # The audit of feed reads without a write per poll (issue 13): an answer that discloses new
    # content (a new ETag) is always recorded, with what it disclosed; an answer with content the
    # token was already served (a 304, or the same body again) is recorded once per token, feed and
    # day. So the log shows every version of a feed a token received and every day it was used,
    # and a client polling every few minutes costs one statement per poll instead of a write.
    # The served key rides along with these writes only (never a write of its own): after a
    # change elsewhere that leaves this feed's ETag as it was, polls read the ETag from the cache
    # until the token's next write. It names the key at which served_etag (and
    # content_changed_at) hold, so a write of the key alone (same content, first use of the day)
    # lands only if the row still holds the ETag this request read: another fetch of the token
    # may have written its own in between (two devices, one link), for content of an older
    # version (a consent then revoked), and paired with today's key that ETag would be answered
    # 304 from the row above. Each feed of a token (events, tasks) keeps its own served state
    # (``SERVED_FIELDS``), so "once per day" and "new content" are per feed.
    if changed or not used_today:
        updates = {"last_used_at": now, used_field: now, key_field: served_key}
        rows = FeedToken.objects.filter(pk=token.pk)
        if changed:
            updates.update({etag_field: etag, changed_field: last_modified})
        else:
            rows = rows.filter(**{etag_field: served_etag, key_field: stored_key, changed_field: content_changed_at})
        rows.update(**updates)
        detail = {"kind": token.kind, "tasks": tasks, "status": 304 if not_modified else 200}
        if not not_modified:
            detail.update(entry["disclosed"])
        basis = ("family" if cases_policy.parent_case_ids(token.user).filter(case_id=token.case_id).exists() else "team") if token.case_id else ""
        audit.record(token.user, action="feed.read", obj=token, case_id=token.case_id, channel=audit.Channel.FEED,
                     legal_basis=basis, detail=detail)
    if not_modified:
        return _headers(HttpResponse(status=304), etag, last_modified)
    body = entry["body"]
    response = HttpResponse(b"" if request.method == "HEAD" else body, content_type="text/calendar; charset=utf-8")
    response["Content-Length"] = str(len(body))  # what GET would send, also on HEAD
    response["Content-Disposition"] = 'inline; filename="fallkonferenz.ics"'
    return _headers(response, etag, last_modified)
