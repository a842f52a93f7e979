"""The data-protection officer's file: the generated record of processing activities (GDPR Art.
30) in versions, and the impact assessment (Art. 35) edited section by section in revisions.

Both are append-only: a new version or revision is a new row; nothing is ever changed in place,
so the officer can show what stood on any day.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import Network


class ProcessingRecord(models.Model):
    """One version of a network's Art. 30 record, generated from the live configuration.

    A new version is stored only when the generated content differs from the newest one
    (``content_hash`` over the canonical JSON of ``content``)."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="processing_records", verbose_name=_("network"))
    version = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Who opened the page that found the change; empty when a command generated it (seed_demo).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("generated for"))

    class Meta:
        verbose_name = _("record of processing activities")
        verbose_name_plural = _("records of processing activities")
        ordering = ["network", "-version"]
        constraints = [models.UniqueConstraint(fields=["network", "version"], name="processingrecord_unique_version")]

    def __str__(self) -> str:
        return f"{self.network} v{self.version}"


class DpiaTemplate(models.TextChoices):
    """The two structures an impact assessment follows (records/dpia_templates.py cites them)."""

    DSK = "dsk", _("German (DSK guidance)")
    DATATILSYNET = "datatilsynet", _("Danish (Datatilsynet guidance)")


class DpiaRevision(models.Model):
    """One saved text of one section of a network's impact assessment. The newest revision of a
    section is what stands; a section without revisions shows its pre-filled text."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="dpia_revisions", verbose_name=_("network"))
    template = models.CharField(_("template"), max_length=20, choices=DpiaTemplate.choices)
    section = models.CharField(_("section"), max_length=40)
    number = models.PositiveIntegerField(_("revision"))
    text = models.TextField(_("text"), max_length=20000)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("edited by"))
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now)
    record = models.ForeignKey(ProcessingRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("record version it was written against"))

    class Meta:
        verbose_name = _("impact assessment revision")
        verbose_name_plural = _("impact assessment revisions")
        ordering = ["network", "template", "section", "-number"]
        constraints = [
            # Two editors who started from the same revision cannot both save: the second insert
            # of the same number fails, and the service turns that into a refusal.
            models.UniqueConstraint(fields=["network", "template", "section", "number"], name="dpiarevision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.template}/{self.section} r{self.number}"
