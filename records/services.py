"""Writes of the data-protection officer's file: storing a new version of the record of
processing activities when the live configuration changed, and saving a section of the impact
assessment. Only the network's data-protection officer acts; commands act as a named system actor."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import policy as participants_policy
from participants.models import Network, User
from permissions import audit
from records import dpia_templates, facts
from records.models import DpiaRevision, ProcessingRecord

SYSTEM_ACTORS = frozenset({"seed_demo", "generate_processing_records"})
DPIA_TEXT_MAX = 20000


class StaleEdit(Exception):
    """The section was saved by someone else since the editor opened it; nothing was written."""

    def __init__(self, current: DpiaRevision):
        super().__init__("stale edit")
        self.current = current


def _require_officer(actor: User | str, network: Network) -> User | None:
    if isinstance(actor, str) and actor in SYSTEM_ACTORS:
        return None
    if isinstance(actor, str) or not participants_policy.is_dpo_of(actor, network.pk):
        raise PermissionDenied(_("Only the network's data-protection officer may do this."))
    return actor


def processing_record_refresh(actor: User | str, *, network: Network) -> tuple[ProcessingRecord, bool]:
    """Generate the network's record from the live configuration and store it as a new version
    when it differs from the newest stored one (by content hash). Checks: the actor is the
    network's data-protection officer (or a system command). Audits ``records.generate`` for a
    new version only. Returns the newest version and whether it was created now."""
    user = _require_officer(actor, network)
    content = facts.build_record_content(network)
    digest = facts.content_hash(content)
    latest = ProcessingRecord.objects.filter(network=network).order_by("-version").first()
    if latest is not None and latest.content_hash == digest:
        return latest, False
    try:
        with transaction.atomic():
            record = ProcessingRecord.objects.create(
                network=network, version=(latest.version + 1 if latest else 1), content=content,
                content_hash=digest, created_at=timezone.now(), created_by=user)
            audit.record(actor, action="records.generate", obj=record, channel=audit.Channel.PAGE if user else audit.Channel.COMMAND,
                         legal_basis="dpo", detail={"network": network.pk, "version": record.version, "hash": digest})
    except IntegrityError:
        # Another request stored the same change a moment earlier: its version stands.
        return ProcessingRecord.objects.filter(network=network).order_by("-version").first(), False
    return record, True


def dpia_section_save(actor: User, *, network: Network, template: str, section: str, text: str,
                      base_number: int) -> DpiaRevision | None:
    """Save ``text`` as the next revision of one section of the network's impact assessment.

    Checks: the actor is the network's data-protection officer; the template and section exist;
    the text is not empty and at most 20,000 characters; ``base_number`` (the revision the editor
    started from, 0 for the pre-filled text) is still the newest — otherwise ``StaleEdit`` with
    the revision that now stands, and nothing is written. An unchanged text writes nothing and
    returns None. Audits ``dpia.edit`` (section and revision number, not the text)."""
    user = _require_officer(actor, network)
    if user is None:
        raise PermissionDenied(_("Only the network's data-protection officer may do this."))
    if section not in dpia_templates.section_keys(template):
        raise ValidationError({"section": _("No such section.")})
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": _("Write the section's text; an empty section cannot be saved.")})
    if len(text) > DPIA_TEXT_MAX:
        raise ValidationError({"text": _("At most %(max)d characters.") % {"max": DPIA_TEXT_MAX}})
    revisions = DpiaRevision.objects.filter(network=network, template=template, section=section)
    current = revisions.order_by("-number").first()
    if (current.number if current else 0) != base_number:
        raise StaleEdit(current)
    if current is not None and current.text == text:
        return None
    record = ProcessingRecord.objects.filter(network=network).order_by("-version").first()
    try:
        with transaction.atomic():
            revision = DpiaRevision.objects.create(
                network=network, template=template, section=section, number=base_number + 1, text=text,
                edited_by=user, edited_at=timezone.now(), record=record)
            audit.record(user, action="dpia.edit", obj=revision, channel=audit.Channel.PAGE, legal_basis="dpo",
                         detail={"network": network.pk, "template": template, "section": section, "number": revision.number})
    except IntegrityError:
        raise StaleEdit(revisions.order_by("-number").first()) from None
    return revision
