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
    case = models.ForeignKey("conferences.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("case"))
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=80, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

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


class AuditChainHead(models.Model):
    """The last position and hash of one chain; locked row-wise while appending to that chain."""

    chain_key = models.CharField(max_length=40, primary_key=True)
    position = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


# --- Object permissions (django-guardian), derived state -------------------------------------
# Direct foreign-key permission tables for the hot models: joins stay on integer keys, and rows
# grow with teams (organisation groups) rather than with users x objects. Rows here are written
# only by ``permissions.grants``; never edit them by hand (``recompute_grants --check`` notices).

from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase  # noqa: E402


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("conferences.Case", on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("conferences.Case", on_delete=models.CASCADE)


class ProtocolItemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("protocols.ProtocolItem", on_delete=models.CASCADE)


class ProtocolItemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("protocols.ProtocolItem", on_delete=models.CASCADE)


class AgreedActionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("protocols.AgreedAction", on_delete=models.CASCADE)


class AgreedActionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("protocols.AgreedAction", on_delete=models.CASCADE)


class OrganisationGroup(models.Model):
    """The auth group that stands for one organisation; its members are the organisation's
    active members (kept in sync by ``permissions.grants.sync_user_groups``)."""

    organisation = models.OneToOneField("participants.Organisation", on_delete=models.CASCADE, related_name="+")
    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, related_name="organisation_link")


class LoginSession(models.Model):
    """Which session keys belong to whom, so that disabling an account ends its sessions at once
    without decoding every session in the store."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class GrantRefreshState(models.Model):
    """When the daily refresh of date-bound grants (``manage.py expire_grants``) last ran, so the
    next run recomputes exactly the cases whose consents or legal bases crossed a window boundary
    since then, even after missed days."""

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
    ``permissions.retention`` deleted from the chain's beginning. ``verify_audit`` walks the chain
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

    case = models.OneToOneField("conferences.Case", on_delete=models.PROTECT, related_name="erasure", verbose_name=_("case"))
    erased_at = models.DateTimeField(_("erased at"))
    closed_on = models.DateField(_("closed on"))
    rows = models.JSONField(_("rows erased, by kind"), default=dict)

    class Meta:
        verbose_name = _("case erasure")
        verbose_name_plural = _("case erasures")
