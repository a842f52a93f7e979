"""The live protocol channel: ``ws/protocols/<protocol_id>/``.

Authenticates in ``connect`` (4401 anonymous or no live session; 4403 second factor not set up
where required; 4404 missing or invisible protocol), lives only as long as its session
(``permissions.live_sessions``: re-checked on every message, closed at logout, expiry,
deactivation and second-factor reset), joins the
protocol's group, keeps a presence list (``protocols.presence``: a roster read once at join, the joins
and leaves of a server process announced together, at most one list to the browser per
interval), validates every incoming message against a small
schema (4400 for a frame that is not JSON, an ``error`` reply for a bad message), and filters
every outgoing item through ``protocols.policy`` for THIS socket's user. A delivered item is
audited as a read of her, one event per (user, item), written in batches (``protocols.deliveries``).

Group events (``protocols.live``) carry the item with its audience; the socket decides from
what it cached at connect (her organisations, whether she is a professional on the case or a
parent invited to its conference) and asks the policy — one query — only for a restricted item
she might read through a consent or a legal basis. An item she can no longer read is announced
as ``item_removed`` (only if she had it), never sent. ``access.changed`` (consent revoked or
recorded, legal basis, team, membership, invitation) makes her socket re-read her visible items
in one query: ``item_removed`` for those she lost, ``item_added`` for those she gained; a socket
whose user may no longer open the protocol is closed with 4403.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest
from django.utils import translation

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from permissions import conflicts
from permissions import policy as base_policy
from permissions.audit import Channel
from permissions.live_sessions import LiveSessionMixin
from protocols import deliveries, presence, selectors, services
from protocols import policy as protocols_policy
from protocols.api.serializers import item_payload
from protocols.models import Audience, ProtocolItem

logger = logging.getLogger(__name__)

CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
WRITES = ("item_create", "item_update")
MAX_TEXT = 20000
MAX_TITLE = 200

# type -> {field: (python type(s), required)}
SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "ping": {},
    "sync": {"versions": ((dict,), False)},
    "item_create": {"title": ((str,), True), "text": ((str,), False), "audience": ((str,), False)},
    "item_update": {"item": ((int,), True), "version": ((int,), True), "title": ((str,), False), "text": ((str,), False),
                    "audience": ((str,), False)},
}
# Who may read a restricted item (both writes): checked against the case by the same service as the page.
AUDIENCE_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "restricted_to": ((list,), False), "holding_organisation": ((int,), False), "category": ((str,), False),
    "entrusted_by": ((int,), False),
}
for _fields in (SCHEMA["item_create"], SCHEMA["item_update"]):
    _fields.update(AUDIENCE_FIELDS)


def validate_message(message: Any) -> str | None:
    """Return an error description, or None when the message fits the schema."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "a message is an object with a 'type'"
    fields = SCHEMA.get(message["type"])
    if fields is None:
        return f"unknown message type {message['type']!r}"
    unknown = set(message) - set(fields) - {"type", "ref"}
    if unknown:
        return f"unknown fields: {', '.join(sorted(unknown))}"
    for name, (types, required) in fields.items():
        if name not in message:
            if required:
                return f"'{name}' is required"
            continue
        value = message[name]
        if isinstance(value, bool) or not isinstance(value, types):
            return f"'{name}' has the wrong type"
        if isinstance(value, str) and len(value) > (MAX_TITLE if name == "title" else MAX_TEXT):
            return f"'{name}' is too long"
    versions = message.get("versions")
    if versions is not None and (len(versions) > 2000 or not all(
        str(k).isdigit() and isinstance(v, int) and not isinstance(v, bool) for k, v in versions.items()
    )):
        return "'versions' maps item ids to version numbers"
    if message.get("audience") is not None and message["audience"] not in Audience.values:
        return "'audience' is one of: " + ", ".join(Audience.values)
    orgs = message.get("restricted_to")
    if orgs is not None and (len(orgs) > 50 or not all(isinstance(o, int) and not isinstance(o, bool) for o in orgs)):
        return "'restricted_to' is a list of organisation ids"
    return None


def _audience_objects(protocol, message: dict) -> dict:
    return services.audience_from_ids(protocol, restricted_to=message.get("restricted_to"),
                                      holding_organisation=message.get("holding_organisation"),
                                      entrusted_by=message.get("entrusted_by"))


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


# {(event id, language): encoded frame} of the latest events, oldest first (``_send_shared``).
_UNKNOWN = object()  # an event that does not say who entrusted its item
_SHARED_FRAMES: dict[tuple[str, str], str] = {}
SHARED_FRAMES_KEPT = 64


# {(event id, user id): the policy's answer (basis or None) for a restricted item of an event, as
# a task}, shared by one user's sockets in this process (``_decided_basis``), oldest first.
_DECISIONS: dict[tuple[str, int], asyncio.Future] = {}
DECISIONS_KEPT = 4096


def reader_language(scope) -> str:
    """The language the reader's pages are in: what ``LocaleMiddleware`` decides from the same
    cookie and Accept-Language header the websocket handshake carries."""
    request = HttpRequest()
    request.COOKIES = dict(scope.get("cookies") or {})
    for name, value in scope.get("headers") or ():
        if name.lower() == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request)


class ProtocolConsumer(LiveSessionMixin, AsyncJsonWebsocketConsumer):
    async def send_json(self, content, close=False) -> None:
        """Every message leaves in the reader's language (dates, status and audience labels)."""
        with translation.override(getattr(self, "language", None) or reader_language(self.scope)):
            content = selectors.localise_live_message(content)
        await super().send_json(content, close=close)

    async def _send_shared(self, event_id: str | None, content: dict) -> None:
        """Send a frame that is the same for every reader of the event in the same language (the
        item's payload; whether she may read it was decided before): localised and encoded once
        per server process and language, not once per socket."""
        if not event_id:
            await self.send_json(content)
            return
        key = (event_id, self.language)
        text = _SHARED_FRAMES.get(key)
        if text is None:
            with translation.override(self.language):
                localised = selectors.localise_live_message(content)
            text = await self.encode_json(localised)
            _SHARED_FRAMES[key] = text
            while len(_SHARED_FRAMES) > SHARED_FRAMES_KEPT:
                _SHARED_FRAMES.pop(next(iter(_SHARED_FRAMES)))
        await self.send(text_data=text)

    async def connect(self) -> None:
        self.language = reader_language(self.scope)
        await self.accept()
        self.user = self.scope.get("user")
        self.group = None
        self.seen: set[int] = set()
        # {item id: the highest version this socket has decided}: an event built from an older
        # version that arrives late (two edits sent from two server processes, the first send
        # slower) must not undo the newer one, nor show an item again that the newer version
        # narrowed away from her.
        self.versions: dict[int, int] = {}
        self.presence: dict[str, dict] = {}
        self.heartbeat = self.presence_timer = None
        self.org_ids: set[int] = set()
        self.is_professional = self.is_parent = self.is_guest = self.allowed = False
        self.conference_id = None
        self.restricted_members: set[int] = set()
        self.case_id = None
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        refusal = await self.start_live_session()
        if refusal is not None:
            await self.close(code=refusal)
            return
        try:
            self.protocol_id = int(self.scope["url_route"]["kwargs"]["protocol_id"])
        except (ValueError, KeyError):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # Into the group BEFORE the hello is read: a change committed between the read and the
        # join would otherwise never reach this socket (its event went to the group without it).
        # Events that arrive meanwhile wait in this socket's channel and are handled after the
        # hello, each decided for her like any other; without access (404 below) none is sent:
        # the socket's access flags stay unset and it leaves the group before it closes.
        group = services.group_name(self.protocol_id)
        await self.channel_layer.group_add(group, self.channel_name)
        try:
            hello = await self._hello()
        except Http404:
            await self.channel_layer.group_discard(group, self.channel_name)
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = group
        # Presence: into the roster, read it once, announce with one group message. Joined to the
        # group first, so a socket that joins meanwhile is in the roster read or its join arrives.
        await presence.add(self.channel_layer, self.group, self.channel_name, user_id=self.user.pk,
                           name=_display_name(self.user))
        self.presence = await presence.roster(self.channel_layer, self.group)
        self.presence[self.channel_name] = {"user_id": self.user.pk, "name": _display_name(self.user)}
        self.heartbeat = asyncio.create_task(self._presence_heartbeat())
        await self.send_json(hello)
        await self._send_presence()
        presence.announce_join(self.channel_layer, self.group, self.channel_name, user_id=self.user.pk,
                               name=_display_name(self.user))

    async def disconnect(self, code) -> None:
        await self.stop_live_session()
        if getattr(self, "heartbeat", None) is not None:
            self.heartbeat.cancel()
        if getattr(self, "presence_timer", None) is not None:
            self.presence_timer.cancel()
        if getattr(self, "group", None):
            await presence.remove(self.channel_layer, self.group, self.channel_name)
            presence.announce_leave(self.channel_layer, self.group, self.channel_name)
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await deliveries.flush()  # what this process delivered is on record before the socket is gone

    # --- incoming ---------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.group is None:
            return
        try:
            message = json.loads(text_data or "")
        except (TypeError, ValueError):
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        refusal = await self.live_session_refusal(activity=isinstance(message, dict) and message.get("type") in WRITES)
        if refusal is not None:
            await self.close(code=refusal)
            return
        error = validate_message(message)
        if error:
            await self.send_json({"type": "error", "error": "bad_message", "detail": error, "ref": message.get("ref") if isinstance(message, dict) else None})
            return
        handler = getattr(self, f"on_{message['type']}")
        reply = await handler(message)
        if reply is not None:
            if "ref" in message:
                reply["ref"] = message["ref"]
            await self.send_json(reply)

    async def on_ping(self, message: dict) -> dict:
        return {"type": "pong"}

    async def on_sync(self, message: dict) -> dict:
        return await self._catch_up({int(k): v for k, v in (message.get("versions") or {}).items()})

    async def on_item_create(self, message: dict) -> dict | None:
        return await self._write(lambda protocol: services.item_create(
            self.user, protocol=protocol, title=message["title"], text=message.get("text", ""),
            audience=message.get("audience") or Audience.PROFESSIONALS, category=message.get("category", ""),
            **_audience_objects(protocol, message), channel=Channel.WEBSOCKET,
        ), ok_type="item_created")

    async def on_item_update(self, message: dict) -> dict | None:
        def _update(protocol):
            item = selectors.items_for_user(self.user, protocol=protocol).get(pk=message["item"])
            audience = message.get("audience")
            if audience is None and set(message) & set(AUDIENCE_FIELDS):
                audience = item.audience
            return services.item_update(self.user, item=item, version=message["version"], title=message.get("title"),
                                        text=message.get("text"), audience=audience, category=message.get("category"),
                                        **_audience_objects(protocol, message), channel=Channel.WEBSOCKET)

        return await self._write(_update, ok_type="item_saved")

    # --- group events (each decided for this socket's user) ----------------------------------

    def _entrusted_by_restricted(self, event: dict) -> bool:
        """The event's item was entrusted, as labelled now or first (``first_entrusted_by``, before a
        relabel), by a person whose processing is restricted (Art. 18): the rule of the read filters
        (``cases_policy.entrusted_by_any``), from the ids the event carries."""
        return bool({event.get("entrusted_by"), event.get("first_entrusted_by")} & self.restricted_members)

    def _may_read(self, event: dict) -> bool | None:
        """Decide from the event and this socket's cached access; None when only the policy can
        tell (a restricted item, or one widened after it was restricted, that she might read through
        a consent or a legal basis, or as the parent who entrusted it)."""
        if not (self.is_professional or self.is_parent or self.is_guest):
            return False
        entrusted_by = event.get("entrusted_by", _UNKNOWN)
        if entrusted_by is _UNKNOWN:  # an event from an older sender: only the policy can tell
            return None
        if self._entrusted_by_restricted(event):
            return False  # Art. 18: entrusted (now or first) by a person whose processing is restricted
        audience = event["audience"]
        if not self.is_professional and event.get("reviewed_action", _UNKNOWN) is not None:
            # a carried-over item (or an event from an older sender): a parent or a guest reads it
            # only where she reads the item of the action it reviews (``protocols_policy._carried_over_unread``)
            return None if audience == Audience.EVERYONE else False
        if self.is_guest and not (self.is_professional or self.is_parent):
            # A guest's grant holds only while she works in the case's network and the conference
            # is not cancelled, which the policy checks when it reads; a membership that ends
            # tells no socket of hers. So the policy decides each item for everyone she is sent.
            return None if audience == Audience.EVERYONE else False
        if "holding_organisation" not in event:  # an event from an older sender: only the policy can tell
            return None
        holder = event["holding_organisation"]
        # An item that carries a holder but is not restricted was widened after it was restricted:
        # still governed by consent (``protocols_policy._GOVERNED``), so open to the team only
        # through the holder or a consent or legal basis to her organisation, which the policy decides.
        widened = holder is not None and audience != Audience.RESTRICTED
        if audience == Audience.EVERYONE and not widened:
            return True
        if self.is_professional and holder is not None and holder in self.org_ids:
            return True
        if audience == Audience.EVERYONE and self.is_parent:
            return None  # a parent reads only what she entrusted herself (``protocols_policy._family_may_read``)
        if not self.is_professional:
            return False
        if audience in (Audience.EVERYONE, Audience.PROFESSIONALS):
            return None if widened else True
        if not self.org_ids.intersection(event.get("restricted_to") or ()):
            return False
        return None

    def _basis(self, event: dict) -> str | None:
        """The legal basis of a delivery the socket decided in memory, as
        ``protocols_policy.disclosure_bases_for_items`` names it; None when only the policy can tell."""
        audience = event["audience"]
        holder = event.get("holding_organisation")
        if holder is not None and self.is_professional and holder in self.org_ids:
            return "holding-organisation"
        if audience == Audience.EVERYONE and (holder is None or not self.is_professional):
            return "audience:everyone"
        if audience == Audience.PROFESSIONALS and holder is None:
            return "team"
        return None

    async def item_changed(self, event: dict) -> None:
        item_id = event["item_id"]
        basis = None
        if "item" in event:
            version = event["item"].get("version")
            if version is not None:
                if version < self.versions.get(item_id, version):
                    return  # a late event of an older version: the newer one was decided already
                self.versions[item_id] = version
            visible = self._may_read(event)
            if visible:
                basis = self._basis(event)
            if visible is None or (visible and basis is None):
                basis = await self._decided_basis(event)
                visible = basis is not None
            payload = event["item"] if visible else None
        else:  # an event without payload (older sender): read it for this user
            payload, basis = await self._visible_item(item_id)
        if payload is None:
            if item_id in self.seen:
                self.seen.discard(item_id)
                await self.send_json({"type": "item_removed", "item": item_id})
            return
        self.seen.add(item_id)
        await self._send_shared(event.get("event_id"), {"type": "item", "item": payload})
        # Audited as a read, one event per (user, item), written with the other sockets' deliveries
        # of this process in one batch (protocols.deliveries), off the send path.
        deliveries.note(self.user, item_id=item_id, case_id=event.get("case_id") or self.case_id, basis=basis)

    async def _decided_basis(self, event: dict) -> str | None:
        """What the policy says about this event's item for her (the basis, None: she may not read
        it), asked once per (event, user) in this server process: her other sockets here reuse the
        answer for the same event instead of asking again. Sound for the same reason as the
        in-memory decisions: an access change after the event was sent reaches each socket as
        ``access.changed`` behind this event, and removes the item then."""
        event_id = event.get("event_id")
        if not event_id:
            return await self._item_basis(event["item_id"])
        key = (event_id, self.user.pk)
        decision = _DECISIONS.get(key)
        if decision is None:  # her first socket here asks; the others wait for the same answer
            decision = _DECISIONS[key] = asyncio.ensure_future(self._item_basis(event["item_id"]))
            while len(_DECISIONS) > DECISIONS_KEPT:
                _DECISIONS.pop(next(iter(_DECISIONS)))
        try:
            return await asyncio.shield(decision)
        except Exception:
            _DECISIONS.pop(key, None)  # a failed read is not an answer: the next socket asks again
            raise

    async def action_changed(self, event: dict) -> None:
        """An agreed action changed: forwarded if she may see it (``protocols_policy.actions_for_user``:
        in an item she may read, or it falls to her or her organisation (in an item that carries a
        holder only where she may read the item), or to her as a parent; never in an item
        entrusted by a person whose processing is restricted, as ``_may_read`` decides for the item
        itself)."""
        entrusted_by = event.get("entrusted_by", _UNKNOWN)
        if self._entrusted_by_restricted(event):
            return  # Art. 18: hidden wherever its item is
        if entrusted_by is _UNKNOWN:  # an event from an older sender: only the policy can tell
            visible = await self._action_visible(event["action_id"])
        else:
            falls_to_her = self.is_professional and (event.get("responsible_user") == self.user.pk
                                                     or event.get("responsible_organisation") in self.org_ids)
            # in an item that carries a holder, only where she may read the item (in ``seen``)
            item_restricted = event.get("item_restricted")
            here = event["protocol_id"] == self.protocol_id
            visible = (
                event["item_id"] in self.seen
                # to her as a parent: in this protocol, whose conference she is invited to (``is_parent``),
                # in an item that carries no holder (one that does only where she reads it: in ``seen``);
                # one agreed at another conference of the case only where she is invited to that one too
                or (self.is_parent and here and event.get("responsible_parent_user") == self.user.pk
                    and item_restricted is False)
                or (falls_to_her and item_restricted is False)
            )
            her_own = self.is_parent and here and event.get("responsible_parent_user") == self.user.pk
            # agreed in another conference's item, an event from an older sender, or hers as a parent
            # in an item that carries a holder (she reads it only where she entrusted it): the policy tells
            if not visible and (not here or (falls_to_her and item_restricted is None)
                                or (her_own and item_restricted is not False)):
                visible = await self._action_visible(event["action_id"])
        if visible:
            await self.send_json({"type": "action", "item": event["item_id"], "protocol": event["protocol_id"],
                                  "action": event["action"]})

    async def protocol_changed(self, event: dict) -> None:
        payload = event.get("protocol") if self.allowed else None
        if payload is None:
            payload = await self._protocol_state()
        if payload is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.send_json({"type": "protocol", "protocol": payload})

    async def access_changed(self, event: dict) -> None:
        """Consent, legal basis, team or membership changed: re-read what she may see now."""
        result = await self._reread_access()
        if result is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        removed, added = result
        for item_id in removed:
            await self.send_json({"type": "item_removed", "item": item_id})
        for payload in added:
            await self.send_json({"type": "item_added", "item": payload})

    async def presence_changed(self, event: dict) -> None:
        """Joins and leaves of one server process (``presence.announce_join``/``announce_leave``),
        in order. Nobody answers (a joiner read the roster); her browser gets the list at most once
        per ``presence.LIST_EVERY`` seconds, however many joined meanwhile."""
        changed = False
        for change in event.get("changes") or ():
            if change[0] == "join" and change[1] != self.channel_name:
                self.presence[change[1]] = {"user_id": change[2], "name": change[3]}
                changed = True
            elif change[0] == "leave":
                changed = self.presence.pop(change[1], None) is not None or changed
        if changed:
            self._presence_list_soon()

    async def presence_join(self, event: dict) -> None:
        """A single join, as a server of the previous release announces it (rolling deploys)."""
        await self.presence_changed({"changes": [["join", event["channel"], event["user_id"], event["name"]]]})

    async def presence_leave(self, event: dict) -> None:
        await self.presence_changed({"changes": [["leave", event["channel"]]]})

    def _presence_list_soon(self) -> None:
        if getattr(self, "presence_timer", None) is None:
            self.presence_timer = asyncio.get_running_loop().create_task(self._presence_list_later())

    async def _presence_list_later(self) -> None:
        await asyncio.sleep(presence.LIST_EVERY)
        self.presence_timer = None
        await self._send_presence()

    async def _presence_heartbeat(self) -> None:
        """Keep this socket's roster entry fresh; a dead process's entries go stale and vanish."""
        while True:
            await asyncio.sleep(presence.HEARTBEAT)
            try:
                await presence.add(self.channel_layer, self.group, self.channel_name, user_id=self.user.pk,
                                   name=_display_name(self.user))
            except Exception:  # a Redis blip: the next beat tries again
                logger.warning("Could not refresh presence for %s", self.channel_name, exc_info=True)

    async def _send_presence(self) -> None:
        people = {}
        for entry in self.presence.values():
            people[entry["user_id"]] = entry["name"]
        await self.send_json({"type": "presence", "people": sorted(people.values(), key=str.lower)})

    # --- database work ----------------------------------------------------------------------

    @database_sync_to_async
    def _hello(self) -> dict:
        protocol = selectors.get_protocol_for_user(self.user, self.protocol_id, channel=Channel.WEBSOCKET)
        rows = list(selectors.items_for_user(self.user, protocol=protocol))
        selectors.audit_items_read(self.user, rows, channel=Channel.WEBSOCKET)
        items = [item_payload(i) for i in rows]
        self.seen = {i["id"] for i in items}
        self._note_versions(ProtocolItem.objects.filter(protocol_id=protocol.pk).values_list("pk", "version"))
        self.conference_id = protocol.conference_id
        self._cache_access(protocol.conference.case_id)
        return {"type": "hello", "protocol": selectors.protocol_payload(protocol), "items": items,
                "can_write": services.can_write_items(self.user, protocol)}

    def _cache_access(self, case_id: int) -> None:
        """Remember who this socket's user is for the case, so that most events need no query.
        Refreshed on every ``access.changed`` (the only way these change for the team and the
        family; a guest's grant can end without one, so her deliveries ask the policy, ``_may_read``)."""
        self.case_id = case_id
        # The organisations she is on this case's team for (as the policy counts them), not every
        # organisation she works for: a second membership opens nothing on a case whose team she
        # is not on for it.
        self.org_ids = set(cases_policy.team_rows_of(self.user).filter(case_id=case_id)
                           .values_list("organisation_id", flat=True))
        self.is_professional = cases_policy.professional_case_ids(self.user).filter(case_id=case_id).exists()
        # A parent reads the protocol as a parent only while she is invited to its conference (the
        # policy's parent route, ``conferences_policy.invited_conference_ids``), not for being a
        # parent of the case: the actions that fall to her reach her on the same condition.
        self.is_parent = (self.conference_id is not None and conferences_policy.invited_conference_ids(self.user)
                          .filter(conference_id=self.conference_id).exists())
        # A guest of this conference reads its items for everyone, as a parent does
        # (``protocols_policy._item_routes``), and nothing else: no restricted decision goes to her.
        self.is_guest = (not (self.is_professional or self.is_parent) and self.conference_id is not None
                         and base_policy.guest_conference_ids(self.user).filter(content_object_id=self.conference_id).exists())
        # Art. 18: family members of the case whose processing is restricted (not herself); items
        # they entrusted are read only through ``privacy.services.restricted_read``, never live.
        self.restricted_members = set(cases_policy.restricted_member_ids(self.user).filter(case_id=case_id)
                                      .values_list("pk", flat=True))
        self.allowed = True

    @database_sync_to_async
    def _reread_access(self) -> tuple[list[int], list[dict]] | None:
        """One query for the item ids she may read now and whether she may still open the
        protocol; the payloads of gained items only when there are some. Her account is re-read
        first: the scope holds the user as she was at connect, and a disabled account sees nothing."""
        self.user.refresh_from_db(fields=["is_active"])
        allowed = selectors.protocols_for_user(self.user).filter(pk=self.protocol_id)
        rows = list(
            ProtocolItem.objects.filter(protocol_id=self.protocol_id)
            .annotate(visible=Exists(protocols_policy.protocol_items_for_user(self.user).filter(pk=OuterRef("pk"))),
                      allowed=Exists(allowed))
            .values_list("pk", "visible", "allowed", "version")
        )
        if not (rows[0][2] if rows else allowed.exists()):
            self.allowed = False
            return None
        self._cache_access(self.case_id)
        visible = {pk for pk, is_visible, _, _ in rows if is_visible}
        self._note_versions((pk, version) for pk, _, _, version in rows)
        removed = sorted(self.seen - visible)
        gained = visible - self.seen
        gained_items = list(selectors.items_for_user(self.user).filter(pk__in=gained)) if gained else []
        selectors.audit_items_read(self.user, gained_items, channel=Channel.WEBSOCKET)
        added = [item_payload(i) for i in gained_items]
        self.seen = visible
        return removed, added

    def _note_versions(self, versions) -> None:
        """(item id, version) of EVERY item of the protocol, also those she may not read: a late
        event of an older version must not show her an item that a newer version, read here,
        keeps from her. Versions only, no content."""
        for item_id, version in versions:
            if version > self.versions.get(item_id, 0):
                self.versions[item_id] = version

    @database_sync_to_async
    def _action_visible(self, action_id: int) -> bool:
        return protocols_policy.actions_for_user(self.user).filter(pk=action_id).exists()

    @database_sync_to_async
    def _item_basis(self, item_id: int) -> str | None:
        """The basis under which she may read the item now (a consent, a legal basis), or None."""
        item = protocols_policy.protocol_items_for_user(self.user).filter(pk=item_id).first()
        if item is None:
            return None
        return protocols_policy.disclosure_basis_for(self.user, item)

    @database_sync_to_async
    def _protocol_state(self) -> dict | None:
        protocol = selectors.protocols_for_user(self.user).filter(pk=self.protocol_id).first()
        return selectors.protocol_payload(protocol) if protocol else None

    @database_sync_to_async
    def _visible_item(self, item_id: int) -> tuple[dict | None, str | None]:
        item = selectors.items_for_user(self.user).filter(pk=item_id, protocol_id=self.protocol_id).first()
        if item is None:
            return None, None
        return item_payload(item), protocols_policy.disclosure_basis_for(self.user, item)

    @database_sync_to_async
    def _catch_up(self, versions: dict[int, int]) -> dict:
        protocol = selectors.protocols_for_user(self.user).filter(pk=self.protocol_id).first()
        if protocol is None:
            return {"type": "error", "error": "not_found"}
        items = list(selectors.items_for_user(self.user, protocol=protocol))
        visible = {i.pk for i in items}
        changed_items = [i for i in items if versions.get(i.pk) != i.version]
        selectors.audit_items_read(self.user, changed_items, channel=Channel.WEBSOCKET)
        changed = [item_payload(i) for i in changed_items]
        self._note_versions(ProtocolItem.objects.filter(protocol_id=protocol.pk).values_list("pk", "version"))
        removed = sorted((set(versions) | self.seen) - visible)
        self.seen = visible
        return {"type": "sync", "protocol": selectors.protocol_payload(protocol), "items": changed, "removed": removed}

    @database_sync_to_async
    def _run_write(self, write) -> dict:
        protocol = selectors.protocols_for_user(self.user).filter(pk=self.protocol_id).first()
        if protocol is None:
            return {"type": "error", "error": "not_found"}
        try:
            item = write(protocol)
        except conflicts.EditConflict as conflict:
            current = selectors.items_for_user(self.user).filter(pk=conflict.current.pk).first()
            return {"type": "conflict", "message": str(conflict.messages[0]),
                    "item": item_payload(current) if current else None}
        except PermissionDenied as exc:
            return {"type": "error", "error": "forbidden", "detail": str(exc)}
        except selectors.ProtocolItem.DoesNotExist:
            return {"type": "error", "error": "not_found"}
        except ValidationError as exc:
            reply = {"type": "error", "error": getattr(exc, "code", None) or "invalid", "detail": exc.messages}
            if hasattr(exc, "error_dict"):
                reply["fields"] = exc.message_dict
            return reply
        return {"type": "ok", "item": item.pk, "version": item.version}

    async def _write(self, write, *, ok_type: str) -> dict:
        reply = await self._run_write(write)
        if reply["type"] == "ok":
            reply["type"] = ok_type
        return reply
