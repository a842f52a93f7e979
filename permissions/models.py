"""The audit trail: append-only, hash-chained per chain key (one chain per case, one per day
for events without a case) so that auditing every read never serialises the whole service."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    class Channel(models.TextChoices):
        PAGE = "page", _("Web page")
        API = "api", _("API")
        WEBSOCKET = "websocket", _("Live channel")
        FEED = "feed", _("Calendar feed")
        EMAIL = "email", _("E-mail")
        ADMIN = "admin", _("Admin")
        COMMAND = "command", _("Command")
        TASK = "task", _("Background task")

    chain_key = models.CharField(max_length=40)  # indexed by the (chain_key, position) constraint
    position = models.PositiveBigIntegerField()
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("actor"))
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object"), max_length=40, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("case"))
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which audit key ``hash`` is keyed under (settings.AUDIT_HMAC_KEYS; "" = AUDIT_HMAC_KEY, the key
    # of everything written before keys had names). Outside the hashed content: naming another key
    # gains nothing without that key.
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["chain_key", "position"], name="auditevent_chain_position_unique"),
        ]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["actor", "at"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class AuditChainQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The registry of audit chains is append-only.")

    def delete(self):
        raise PermissionError("The registry of audit chains is append-only.")


class AuditChain(models.Model):
    """The registry of audit chains: one row per chain ever started, written with the chain's first
    event and never changed (on PostgreSQL a trigger refuses UPDATE and DELETE), so a chain whose
    events and head were deleted together is still missed by ``verify_audit``.

    ``legacy_until``/``legacy_hash``: chains started before the hashes were keyed keep their first
    ``legacy_until`` events under plain SHA-256; the migration that introduced keying sealed the
    hash of the last of them here, under the key (``mac``), so none of them can be rewritten either."""

    chain_key = models.CharField(max_length=40, primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True)
    legacy_until = models.PositiveBigIntegerField(default=0)
    legacy_hash = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16, blank=True, default="")  # the audit key ``mac`` is keyed under

    objects = AuditChainQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The registry of audit chains is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The registry of audit chains is append-only.")


class AuditChainHead(models.Model):
    """The last position and hash of one chain; locked row-wise while appending to that chain."""

    chain_key = models.CharField(max_length=40, primary_key=True)
    position = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


# --- Explicit per-object grants (django-guardian) --------------------------------------------
# What one person grants another on one object, for a period: nothing derived from the policy is
# stored here (the policy decides team, parent and consent access at read time). Guardian's
# direct foreign-key tables keep the joins on integer keys; the policy reads them in the same
# SQL statement as everything else, bounded by ``valid_from``/``valid_until``. Rows are written
# and deleted only by ``access.grant_services``, which audits every change.

from guardian.models import UserObjectPermissionBase  # noqa: E402


class ExplicitGrant(UserObjectPermissionBase):
    """``user`` holds ``permission`` on ``content_object`` from ``valid_from`` to ``valid_until``
    (both inclusive), because ``granted_by`` said so."""

    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by"))
    granted_at = models.DateTimeField(_("granted at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = True


class SubstituteGrant(ExplicitGrant):
    """Vertretung: ``user`` stands in for the colleague ``content_object`` on the cases the colleague
    is personally on, within the organisations both work for, during her absence."""

    content_object = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="substitutes", verbose_name=_("colleague"))

    class Meta(ExplicitGrant.Meta):
        verbose_name = _("substitute")
        verbose_name_plural = _("substitutes")


class ConferenceGuestGrant(ExplicitGrant):
    """A guest (an interpreter, a school social worker) invited to one conference: she sees that
    conference and the protocol items for everyone, nothing else of the case."""

    content_object = models.ForeignKey("conferences.Conference", on_delete=models.CASCADE, related_name="guest_grants", verbose_name=_("conference"))

    class Meta(ExplicitGrant.Meta):
        verbose_name = _("conference guest")
        verbose_name_plural = _("conference guests")


class MinuteTakerGrant(ExplicitGrant):
    """A professional on the team to whom the convenor delegated the minutes of one protocol."""

    content_object = models.ForeignKey("protocols.Protocol", on_delete=models.CASCADE, related_name="minute_taker_grants", verbose_name=_("protocol"))

    class Meta(ExplicitGrant.Meta):
        verbose_name = _("delegated minute-taker")
        verbose_name_plural = _("delegated minute-takers")


class LoginSession(models.Model):
    """Which session keys belong to whom, so that disabling an account ends its sessions at once
    without decoding every session in the store."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class GrantRefreshState(models.Model):
    """When the daily run over date-bound access (``manage.py expire_grants``) last ran, so the
    next run tells exactly the cases whose consents, legal bases or grants crossed a window
    boundary since then, even after missed days."""

    key = models.CharField(max_length=40, primary_key=True)
    last_run_on = models.DateField()
    last_run_at = models.DateTimeField()


# --- Data retention ------------------------------------------------------------------------------

class AuditCheckpointQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit checkpoints are append-only.")

    def delete(self):
        raise PermissionError("Audit checkpoints are append-only.")


class AuditCheckpoint(models.Model):
    """Where a pruned audit chain now starts: the position and hash of the last event that
    ``operations.retention`` deleted from the chain's beginning. ``verify_audit`` walks the chain
    from the newest checkpoint instead of from the genesis hash. Insert-only (on PostgreSQL a
    trigger refuses UPDATE and DELETE), and the audit table's trigger allows a DELETE only of
    events that a checkpoint covers, inside the retention run's transaction."""

    chain_key = models.CharField(max_length=40)
    position = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    last_at = models.DateTimeField()
    events_deleted = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditCheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        constraints = [
            models.UniqueConstraint(fields=["chain_key", "position"], name="auditcheckpoint_chain_position_unique"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit checkpoints are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit checkpoints are append-only.")


class CaseErasure(models.Model):
    """That (and when) the content of a closed case was erased after its retention period; the
    retention run skips erased cases, so a second run changes nothing."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="erasure", verbose_name=_("case"))
    erased_at = models.DateTimeField(_("erased at"))
    closed_on = models.DateField(_("closed on"))
    rows = models.JSONField(_("rows erased, by kind"), default=dict)

    class Meta:
        verbose_name = _("case erasure")
        verbose_name_plural = _("case erasures")


# --- Content version (issue 13) -------------------------------------------------------------------

class ContentVersion(models.Model):
    """A counter that every committed change of case or network content raises, maintained by
    database triggers (``permissions.content_version``), so that a cached answer keyed by it (the
    iCal feeds' ETag and body) can never outlive a change, whichever code path wrote it: a service,
    a bulk update, the admin or a migration. Split in shards chosen by database connection, so that
    concurrent writers do not queue on one row; the version is the sum of the shards."""

    shard = models.PositiveSmallIntegerField(primary_key=True)
    value = models.BigIntegerField(default=0)
