"""Data retention: nothing is deleted that must be kept, and nothing is kept past its time.

``retention_apply`` runs daily (``manage.py apply_retention`` from cron, or the
``operations.tasks.apply_retention`` task) and does four things, each idempotent:

1. **Closed cases** — ``CASE_RETENTION_YEARS`` after a case was closed, its content is erased:
   family members' names, e-mail addresses, interpreter languages, access needs, years of birth
   and account links; protocol item titles and texts, the parents' summary, amendments and
   correction proposals; action titles, descriptions and progress notes; written reports; RSVP
   comments; consent form references; legal-basis justifications; conference places, video
   links, interpreter languages and access needs; the reasons of its ended legal holds. Text
   becomes ``[erased]`` (an empty field stays empty). Rows, dates, kinds, statuses, organisations and counts stay, so the half-year figures
   of past periods do not move (published summaries are frozen anyway); every write is a
   queryset ``update`` so that no ``auto_now`` date the figures use changes. The pseudonymous case
   reference stays, so the audit trail stays meaningful. The parent's account, if it serves no
   other purpose (no membership, no network role, not staff), is anonymised and disabled; the
   case's poll links are deleted. Other apps erase what they keep about the case
   through ``register_case_eraser`` (the calendars app: the case's feed tokens; the offers app:
   referrals, requests to the central case manager and their messages — also a request one of
   whose referrals the receiving organisation made part of the case —, enrolments and sessions;
   the privacy app: the texts of the case's data-subject requests and restrictions of processing)
   and about an anonymised account through ``register_account_eraser`` (the calendars app: her
   feed tokens). One ``retention.erase`` audit event
   per case; a ``CaseErasure`` row makes a second run skip it.
   Apps keep records outside any case too; their rules (``register_rule``) run after the
   tokens (the offers app: referrals and requests never attached to a case, and ended enrolments
   made without a referral, ``REFERRAL_RETENTION_DAYS`` after their last change; the privacy app:
   the follow-up of Art. 17 erasures made before the erasure withdrew the person's invitations to
   coming conferences and told of her open actions, through the same services, as actor ``retention``).
2. **Tokens** — feed tokens (through the calendars app's ``register_feed_token_purger``) and
   poll links revoked or expired more than ``TOKEN_RETENTION_DAYS`` ago are deleted; so are
   offers of access to a parent used, revoked or expired that long ago, and an account made for
   such an offer and never taken is retired with its last offer.
3. **Sessions** — expired Django sessions are cleared (as ``clearsessions`` does) and
   ``LoginSession`` rows whose session is gone are deleted.
   Quarantined inbound mail of the ``receive_mail`` pipe (messages and retry markers) is deleted
   ``INBOUND_MAIL_KEEP_DAYS`` after it was written, with one ``retention.inbound_mail_purged``
   audit event (the number by kind, never a message or an address).
4. **Audit trail** — per hash chain, the prefix of events older than ``AUDIT_RETENTION_YEARS`` is
   deleted, but only after the prefix verified intact and an ``AuditCheckpoint`` (position and
   hash of its last event) was stored; ``verify_audit`` walks the chain from that checkpoint.
   A case's chain is left whole while a legal hold is in force on the case (reported, like the
   case itself); the first run after the hold is lifted prunes it from where it starts.
   On PostgreSQL the append-only trigger lets exactly that delete through (checkpoint present,
   ``SET LOCAL fallkonferenz.audit_retention = 'on'`` in the transaction). A chain that does not
   verify is not pruned — that would destroy the evidence — and is reported instead.

``dry_run`` runs everything inside one transaction and rolls it back, so the report shows exactly
what a real run would do; nothing outside the database (session caches) is touched.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, Exists, F, Max, Min, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.db.models import Case as SqlCase
from django.utils import timezone

from cases.models import AccessOffer, Case, Consent, DisclosureBasis, FamilyMember, LegalHold
from conferences import mail_quarantine
from conferences.models import Conference, Invitation, PollLink, WrittenReport
from conferences.reply_services import inbound_mail_purge_record
from participants.models import User
from permissions import audit
from permissions.models import AuditChainHead, AuditCheckpoint, AuditEvent, CaseErasure, LoginSession
from permissions.signals import end_sessions_of
from protocols.models import ActionNote, AgreedAction, Amendment, CorrectionProposal, Protocol, ProtocolItem

ERASED = "[erased]"
ACTOR = "retention"
DB_SESSION_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db", "permissions.session_store"}


@dataclass
class Report:
    today: dt.date
    dry_run: bool
    case_cutoff: dt.date | None = None          # cases closed before this day are erased
    audit_cutoff: dt.datetime | None = None     # audit events before this moment are pruned
    token_cutoff: dt.datetime | None = None
    erased_cases: list[str] = field(default_factory=list)      # case references
    held_cases: list[str] = field(default_factory=list)        # due, but under a legal hold
    erased_rows: dict[str, int] = field(default_factory=dict)  # by kind, over all erased cases
    accounts_anonymised: int = 0
    feed_tokens_deleted: int = 0
    poll_links_deleted: int = 0
    sessions_deleted: int = 0
    login_sessions_deleted: int = 0
    audit_chains_pruned: int = 0
    audit_events_deleted: int = 0
    audit_chains_refused: list[str] = field(default_factory=list)  # broken chains left alone
    audit_chains_held: list[str] = field(default_factory=list)     # case chains kept under a legal hold
    other_rows: dict[str, int] = field(default_factory=dict)   # by kind, from the rules other apps register

    def lines(self) -> list[str]:
        mode = "DRY RUN (nothing changed)" if self.dry_run else "applied"
        out = [f"Retention {mode} on {self.today.isoformat()}"]
        if self.case_cutoff is None:
            out.append("cases: erasure switched off (CASE_RETENTION_YEARS=0)")
        else:
            out.append(f"cases closed before {self.case_cutoff.isoformat()}: {len(self.erased_cases)} erased"
                       + (f" ({', '.join(self.erased_cases)})" if self.erased_cases else ""))
            if self.held_cases:
                out.append(f"  kept under legal hold: {len(self.held_cases)} ({', '.join(self.held_cases)})")
            for kind, n in sorted(self.erased_rows.items()):
                out.append(f"  {kind}: {n}")
            out.append(f"  parent accounts anonymised: {self.accounts_anonymised}")
        out.append(f"feed tokens deleted: {self.feed_tokens_deleted}; poll links deleted: {self.poll_links_deleted}")
        out.append(f"sessions cleared: {self.sessions_deleted}; login-session records deleted: {self.login_sessions_deleted}")
        for kind, n in sorted(self.other_rows.items()):
            out.append(f"{kind}: {n}")
        if self.audit_cutoff is None:
            out.append("audit trail: pruning switched off (AUDIT_RETENTION_YEARS=0)")
        else:
            out.append(f"audit events before {self.audit_cutoff.isoformat()}: {self.audit_events_deleted} deleted "
                       f"from {self.audit_chains_pruned} chain(s)")
        if self.audit_chains_held:
            out.append(f"  kept under legal hold: {len(self.audit_chains_held)} chain(s) ({', '.join(self.audit_chains_held)})")
        for key in self.audit_chains_refused:
            out.append(f"  NOT pruned, chain does not verify: {key}")
        return out

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(), "dry_run": self.dry_run, "erased_cases": self.erased_cases,
            "held_cases": self.held_cases,
            "erased_rows": self.erased_rows, "accounts_anonymised": self.accounts_anonymised,
            "feed_tokens_deleted": self.feed_tokens_deleted, "poll_links_deleted": self.poll_links_deleted,
            "sessions_deleted": self.sessions_deleted, "login_sessions_deleted": self.login_sessions_deleted,
            "audit_chains_pruned": self.audit_chains_pruned, "audit_events_deleted": self.audit_events_deleted,
            "audit_chains_refused": self.audit_chains_refused, "audit_chains_held": self.audit_chains_held,
            "other_rows": self.other_rows,
        }


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def retention_apply(*, today: dt.date | None = None, dry_run: bool = False, channel: str = audit.Channel.COMMAND) -> Report:
    """Apply every retention rule as of ``today`` (default: the local date). Idempotent. With
    ``dry_run`` the same work runs in a transaction that is rolled back."""
    today = today or timezone.localdate()
    report = Report(today=today, dry_run=dry_run)
    # The moment "today" begins: a fixed ``today`` gives the same result at any time of day.
    now = timezone.now() if today == timezone.localdate() else timezone.make_aware(dt.datetime.combine(today, dt.time()))
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    with outer:
        if settings.CASE_RETENTION_YEARS:
            report.case_cutoff = years_before(today, settings.CASE_RETENTION_YEARS)
            _erase_closed_cases(report, now=now, channel=channel)
        _purge_tokens(report, now=now)
        for rule in _RULES:
            with transaction.atomic():
                for kind, n in rule(now=now, channel=channel).items():
                    report.other_rows[kind] = report.other_rows.get(kind, 0) + n
        _purge_sessions(report, dry_run=dry_run)
        _purge_quarantined_mail(report, now=now, dry_run=dry_run, channel=channel)
        if settings.AUDIT_RETENTION_YEARS:
            cutoff_day = years_before(today, settings.AUDIT_RETENTION_YEARS)
            report.audit_cutoff = timezone.make_aware(dt.datetime.combine(cutoff_day, dt.time()))
            _prune_audit(report, channel=channel)
        if dry_run:
            transaction.set_rollback(True)
    return report


# --- 1. closed cases ---------------------------------------------------------------------------

def _marker(name: str) -> SqlCase:
    """``[erased]`` where the field holds text, empty where it was empty."""
    return SqlCase(When(**{name: ""}, then=Value("")), default=Value(ERASED), output_field=CharField())


def _erase(queryset, *, text: tuple[str, ...] = (), empty: tuple[str, ...] = (), **fixed) -> int:
    changes = {name: _marker(name) for name in text}
    changes.update({name: "" for name in empty})
    changes.update(fixed)
    return queryset.update(**changes)


erase_fields = _erase  # for the erasers other apps register

# What other apps keep about a case (the offers app's referrals and requests),
# registered from their ``AppConfig.ready``: ``eraser(case) -> {kind: rows}``, erasing with
# ``erase_fields`` so that the same marker and the same no-``auto_now`` rule apply.
_CASE_ERASERS: list[Callable[[Any], dict[str, int]]] = []


def register_case_eraser(eraser: Callable[[Any], dict[str, int]]) -> None:
    if eraser not in _CASE_ERASERS:
        _CASE_ERASERS.append(eraser)


# Rules of other apps for what they keep outside any case (the offers app: referrals
# and requests never attached to a case), registered from their ``AppConfig.ready``:
# ``rule(*, now, channel) -> {kind: rows}``, idempotent, erasing with ``erase_fields``.
_RULES: list[Callable[..., dict[str, int]]] = []


def register_rule(rule: Callable[..., dict[str, int]]) -> None:
    if rule not in _RULES:
        _RULES.append(rule)


# What other apps keep about a person whose account is anonymised (the calendars
# app: her feed tokens): ``eraser(user_ids)``, called in the erasure's transaction.
_ACCOUNT_ERASERS: list[Callable[[list[int]], Any]] = []


def register_account_eraser(eraser: Callable[[list[int]], Any]) -> None:
    if eraser not in _ACCOUNT_ERASERS:
        _ACCOUNT_ERASERS.append(eraser)


# Feed tokens live in the calendars app: ``purger(*, cutoff) -> rows`` deletes
# those revoked or expired before ``cutoff`` (counted in ``Report.feed_tokens_deleted``).
_FEED_TOKEN_PURGERS: list[Callable[..., int]] = []


def register_feed_token_purger(purger: Callable[..., int]) -> None:
    if purger not in _FEED_TOKEN_PURGERS:
        _FEED_TOKEN_PURGERS.append(purger)


def _erase_closed_cases(report: Report, *, now: dt.datetime, channel: str) -> None:
    due = (Case.objects.filter(status=Case.Status.CLOSED, closed_on__lt=report.case_cutoff, erasure__isnull=True)
           .annotate(held=Exists(LegalHold.objects.filter(case=OuterRef("pk"), lifted_at__isnull=True)))
           .order_by("closed_on", "pk"))
    for case in due.iterator(chunk_size=200):
        if case.held:
            report.held_cases.append(case.reference)
            continue
        try:
            with transaction.atomic():
                rows, accounts = erase_case(case, now=now, channel=channel, cutoff=report.case_cutoff)
        except NotDue:  # reopened (or its closing day corrected) since the query read it
            continue
        if rows is None:  # a hold was set between the query and the lock
            report.held_cases.append(case.reference)
            continue
        report.erased_cases.append(case.reference)
        report.accounts_anonymised += accounts
        for kind, n in rows.items():
            report.erased_rows[kind] = report.erased_rows.get(kind, 0) + n


class NotDue(Exception):
    """The case is no longer due for erasure once locked: reopened, or closed later than the cutoff."""


def erase_case(case, *, now: dt.datetime, channel: str = audit.Channel.COMMAND,
               cutoff: dt.date | None = None) -> tuple[dict[str, int] | None, int]:
    """Erase one closed case's content (see the module docstring); returns rows by kind and the
    number of parent accounts anonymised, or (None, 0) when a legal hold is in force. Call inside
    a transaction.

    The case is read again under its row lock: the daily run's query read it earlier (minutes
    earlier, behind a long backlog), and a caseworker may have reopened it meanwhile
    (``cases.services.case_reopen`` takes the same lock). A case that is not closed, or (with
    ``cutoff``) was closed on or after the cutoff, raises ``NotDue`` and nothing is erased."""
    Case = type(case)
    # one erasure at a time per case, and none of a case reopened since it was found due
    locked = Case.objects.select_for_update().filter(pk=case.pk).values("status", "closed_on").first()
    if (locked is None or locked["status"] != Case.Status.CLOSED or locked["closed_on"] is None
            or (cutoff is not None and locked["closed_on"] >= cutoff)):
        raise NotDue(case.pk)
    case.status, case.closed_on = locked["status"], locked["closed_on"]
    if CaseErasure.objects.filter(case=case).exists():
        return {}, 0
    if LegalHold.objects.filter(case=case, lifted_at__isnull=True).exists():
        return None, 0
    members = FamilyMember.objects.filter(case=case)
    account_ids = [pk for pk in members.exclude(user=None).values_list("user_id", flat=True)]
    # Accounts made for an offer of access in this case (with a parent's first name and address),
    # whether or not the set-up link was used: they go with the case unless linked to a record of
    # another case since, or held for another purpose (review h8-2).
    account_ids += [pk for pk in AccessOffer.objects.filter(member__case=case, account__isnull=False)
                    .values_list("account_id", flat=True) if pk not in account_ids]
    invitations = Invitation.objects.filter(conference__case=case)
    items = ProtocolItem.objects.filter(protocol__conference__case=case)
    # Every writer of an item locks its protocol first (``protocols.services``): a save under way
    # waits for the erasure, and the raised version refuses it as a conflict instead of writing
    # the erased text back.
    list(Protocol.objects.select_for_update(of=("self",)).filter(conference__case=case).values_list("pk", flat=True))
    rows = {
        # ``erased_at``: the fact of the erasure (``FamilyMember.is_erased``); an earlier Art. 17 erasure keeps its time.
        "family members": _erase(members, text=("display_name", "interpreter_language", "access_needs"), empty=("email",),
                                 birth_year=None, user=None,
                                 erased_at=Coalesce("erased_at", Value(now, output_field=DateTimeField()))),
        "conferences": _erase(Conference.objects.filter(case=case), text=("location", "interpreter_language", "access_needs"),
                              empty=("video_link",)),
        "invitations": _erase(invitations, text=("rsvp_comment",)),
        "written reports": _erase(WrittenReport.objects.filter(conference__case=case), text=("text",)),
        "protocols": _erase(Protocol.objects.filter(conference__case=case), text=("parent_summary",)),
        "protocol items": _erase(items, text=("title", "text"), version=F("version") + 1),
        "amendments": _erase(Amendment.objects.filter(item__in=items), text=("text", "reason")),
        "correction proposals": _erase(CorrectionProposal.objects.filter(item__in=items), text=("proposed_text", "decision_reason")),
        "agreed actions": _erase(AgreedAction.objects.filter(case=case), text=("title", "description")),
        "action notes": _erase(ActionNote.objects.filter(action__case=case), text=("note",)),
        "consents": _erase(Consent.objects.filter(case=case), text=("form_reference",)),
        "legal bases": _erase(DisclosureBasis.objects.filter(case=case), text=("justification", "not_informed_reason")),
        # Every hold of the case has ended (a hold in force stopped the erasure above). Its reason
        # names the proceedings about the family; its ground and dates stay.
        "legal holds": _erase(LegalHold.objects.filter(case=case, lifted_at__isnull=False), text=("reason",)),
        "poll links deleted": PollLink.objects.filter(invitation__in=invitations).delete()[0],
        "access offers deleted": AccessOffer.objects.filter(member__case=case).delete()[0],
    }
    for eraser in _CASE_ERASERS:
        rows.update(eraser(case))
    accounts = _anonymise_parent_accounts(account_ids)
    CaseErasure.objects.create(case=case, erased_at=now, closed_on=case.closed_on, rows=rows)
    audit.record(ACTOR, action="retention.erase", obj=case, case_id=case.pk, channel=channel,
                 detail={"closed_on": case.closed_on.isoformat(), "rows": rows, "accounts_anonymised": accounts})
    return rows, accounts


def _anonymise_parent_accounts(user_ids: list[int]) -> int:
    """Disable and strip a former parent's account unless it has another purpose (a professional's,
    or a parent's still linked to another case: the erased case's records let go of it first). The
    row stays: audit events refer to it."""
    retire = list(
        User.objects.filter(pk__in=user_ids, is_staff=False, is_superuser=False, memberships=None, network_roles=None,
                            family_member=None)
        .values_list("pk", flat=True)
    )
    for pk in retire:
        User.objects.filter(pk=pk).update(
            username=f"erased-{pk}", first_name="", last_name="", email="", is_active=False,
            password=make_password(None), preferred_language="",
        )
        # After commit: a cache session store is outside the transaction (a dry run rolls back).
        transaction.on_commit(lambda pk=pk: end_sessions_of(pk))
    EmailAddress.objects.filter(user_id__in=retire).delete()
    Authenticator.objects.filter(user_id__in=retire).delete()
    for eraser in _ACCOUNT_ERASERS:
        eraser(retire)
    return len(retire)


# --- 2. tokens ----------------------------------------------------------------------------------

def _purge_tokens(report: Report, *, now: dt.datetime) -> None:
    cutoff = report.token_cutoff = now - dt.timedelta(days=settings.TOKEN_RETENTION_DAYS)
    stale = Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    with transaction.atomic():
        for purger in _FEED_TOKEN_PURGERS:
            report.feed_tokens_deleted += purger(cutoff=cutoff)
        report.poll_links_deleted += PollLink.objects.filter(stale).delete()[0]
        _purge_access_offers(report, cutoff=cutoff)


def _purge_access_offers(report: Report, *, cutoff: dt.datetime) -> None:
    """Offers of access to a parent (``cases.AccessOffer``: a code's keyed hash and dates) go like
    poll links, ``TOKEN_RETENTION_DAYS`` after they were used, revoked or expired. An account made
    for an offer and never taken (no record linked, never signed in) goes with its last offer: it is
    retired as a former parent's account is (disabled, name and address stripped; the row stays
    for the audit trail)."""
    stale = AccessOffer.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff) | Q(used_at__lt=cutoff))
    made_for = set(stale.exclude(account=None).values_list("account_id", flat=True))
    deleted = stale.delete()[0]
    untaken = list(User.objects.filter(pk__in=made_for, last_login__isnull=True, family_member=None)
                   .exclude(pk__in=AccessOffer.objects.exclude(account=None).values("account_id"))
                   .values_list("pk", flat=True))
    retired = _anonymise_parent_accounts(untaken) if untaken else 0
    for kind, n in (("access offers deleted", deleted), ("accounts of untaken access offers retired", retired)):
        if n:
            report.other_rows[kind] = report.other_rows.get(kind, 0) + n


# --- 3. sessions --------------------------------------------------------------------------------

def _purge_sessions(report: Report, *, dry_run: bool) -> None:
    if settings.SESSION_ENGINE in DB_SESSION_ENGINES:
        with transaction.atomic():
            # Same as ``clearsessions`` for the database store, but counted.
            report.sessions_deleted = Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]
            gone = LoginSession.objects.exclude(session_key__in=Session.objects.values("session_key"))
            report.login_sessions_deleted = gone.delete()[0]
        return
    if dry_run:
        return  # a cache or file store is outside the transaction that a dry run rolls back
    store = import_module(settings.SESSION_ENGINE).SessionStore
    try:
        store.clear_expired()
    except NotImplementedError:
        pass
    gone = [key for key in LoginSession.objects.values_list("session_key", flat=True) if not store().exists(key)]
    report.login_sessions_deleted = LoginSession.objects.filter(session_key__in=gone).delete()[0]


def _purge_quarantined_mail(report: Report, *, now: dt.datetime, dry_run: bool, channel: str) -> None:
    """The pipe's quarantine directory (``receive_mail``): messages and retry markers past
    ``INBOUND_MAIL_KEEP_DAYS``, and one audit event with the number by kind."""
    before = now - dt.timedelta(days=settings.INBOUND_MAIL_KEEP_DAYS)
    deleted = mail_quarantine.purge(settings.INBOUND_MAIL_QUARANTINE_DIR, before=before, dry_run=dry_run)
    if deleted:
        report.other_rows["quarantined mail files deleted"] = sum(deleted.values())
        inbound_mail_purge_record(ACTOR, source="pipe", before=before.isoformat(), deleted=deleted, channel=channel)


# --- 4. audit trail -----------------------------------------------------------------------------

CASE_CHAIN = "case:"


class _ChainHeld(Exception):
    """The chain is a case's, and a legal hold is in force on the case."""


def _case_id_of(key: str) -> int | None:
    return int(key[len(CASE_CHAIN):]) if key.startswith(CASE_CHAIN) and key[len(CASE_CHAIN):].isdigit() else None


def _prune_audit(report: Report, *, channel: str) -> None:
    """Prune every chain with events older than the cutoff (``_prune_chain``). A case's chain is
    left whole while a legal hold is in force on the case, as the case's content is: the record of
    who read and changed it is what court proceedings or a complaint may turn on. It is pruned, from
    its start or its last checkpoint, by the first run after the hold is lifted."""
    old = AuditEvent.objects.filter(at__lt=report.audit_cutoff).order_by()
    keys = sorted(set(old.values_list("chain_key", flat=True).distinct()))
    held = dict(LegalHold.objects.filter(lifted_at__isnull=True).values_list("case_id", "case__reference").distinct())
    digest = hashlib.sha256()
    held_keys: list[str] = []
    for key in keys:
        case_id = _case_id_of(key)
        try:
            if case_id in held:
                raise _ChainHeld
            pruned = _prune_chain(key, cutoff=report.audit_cutoff)
        except _ChainHeld:
            held_keys.append(key)
            report.audit_chains_held.append(held.get(case_id) or key)
            continue
        if pruned is None:
            report.audit_chains_refused.append(key)
            continue
        position, hash_, deleted = pruned
        if deleted:
            report.audit_chains_pruned += 1
            report.audit_events_deleted += deleted
            digest.update(f"{key}:{position}:{hash_}\n".encode())
    if report.audit_chains_pruned or report.audit_chains_refused or held_keys:
        # The run itself goes on the record, with a digest of the checkpoints it stored.
        audit.record(ACTOR, action="retention.audit_pruned", object_type="permissions.auditevent", channel=channel,
                     detail={"before": report.audit_cutoff.isoformat(), "chains": report.audit_chains_pruned,
                             "events": report.audit_events_deleted, "checkpoints_sha256": digest.hexdigest(),
                             "refused": report.audit_chains_refused, "held": held_keys})


def _prune_chain(key: str, *, cutoff: dt.datetime) -> tuple[int, str, int] | None:
    """Delete the chain's prefix of events older than ``cutoff`` behind a new checkpoint. Returns
    (checkpoint position, hash, events deleted), or None when the chain does not verify. Raises
    ``_ChainHeld`` (nothing deleted) for a case's chain while a legal hold is in force on the case."""
    case_id = _case_id_of(key)
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().filter(chain_key=key).first()  # writers of this chain wait
        # Asked again under the chain's lock: setting a hold writes to this chain, so a hold set
        # since the run's first look either is seen here or comes after the pruning.
        if case_id is not None and LegalHold.objects.filter(case_id=case_id, lifted_at__isnull=True).exists():
            raise _ChainHeld
        events = AuditEvent.objects.filter(chain_key=key).order_by()
        first_young = events.filter(at__gte=cutoff).aggregate(p=Min("position"))["p"]
        upto = first_young - 1 if first_young is not None else events.aggregate(p=Max("position"))["p"]
        start, start_hash = audit.chain_start(key)
        if upto is None or upto <= start:
            return start, start_hash, 0
        if audit.verify_chain(key, upto=upto) is not None:
            return None
        last = events.get(position=upto)
        AuditCheckpoint.objects.create(chain_key=key, position=upto, hash=last.hash, last_at=last.at, events_deleted=upto - start)
        table = AuditEvent._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL fallkonferenz.audit_retention = 'on'")
            cursor.execute(f"DELETE FROM {table} WHERE chain_key = %s AND position <= %s", [key, upto])
            deleted = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL fallkonferenz.audit_retention = 'off'")
    return upto, last.hash, deleted
