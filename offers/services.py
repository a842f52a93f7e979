"""Writes on the directory of offers: create and edit an offer, keep its availability up to
date, import HSDS records. Each function takes the acting user first, checks that she works for
the organisation that offers it, validates, writes atomically and records an audit event."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import policy as participants_policy
from participants.models import Organisation
from permissions import audit, conflicts
from permissions import policy as base_policy

from . import access, hsds
from .models import Offer

EDITABLE_FIELDS = (
    "kind", "name", "description", "target_groups", "eligibility", "languages", "address", "municipalities",
    "postcodes", "directions", "accessibility", "opening_hours", "contact_phone", "contact_email", "cost", "is_free",
    "anonymous_contact", "accepts_contact_requests", "capacity", "capacity_unit", "visibility", "planned_sessions",
    "is_residential_treatment", "is_active",
)


def _require_member(actor, organisation: Organisation) -> None:
    if not (base_policy._is_real_user(actor)
            and participants_policy.organisation_ids(actor).filter(organisation_id=organisation.pk).exists()):
        raise PermissionDenied(_("Only staff of the organisation may change its offers."))


def _normalise_postcodes(value: str) -> str:
    codes = [code.strip() for code in (value or "").replace(";", ",").split(",") if code.strip()]
    return f",{','.join(codes)}," if codes else ""


@transaction.atomic
def offer_save(actor, *, organisation: Organisation, offer: Offer | None = None, version: int | None = None,
               channel: str = audit.Channel.PAGE, **values) -> Offer:
    """Create an offer for ``organisation`` or change ``offer``.

    Checks: ``actor`` works for the organisation (and, when changing, for the offer's own);
    when changing, ``version`` (the offer's version the edit started from; the page always sends
    it) is still the current one, otherwise ``EditConflict`` with the offer as it stands and
    nothing changes; the model's invariants (unique name per organisation, a track has its
    number of sessions)."""
    _require_member(actor, organisation)
    created = offer is None
    if offer is None:
        offer = Offer(organisation=organisation)
    elif offer.organisation_id != organisation.pk:
        raise PermissionDenied(_("Only staff of the organisation may change its offers."))
    else:
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        conflicts.check_version(offer, version)
        offer.version += 1
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    if "postcodes" in values:
        values["postcodes"] = _normalise_postcodes(values["postcodes"])
    for name, value in values.items():
        setattr(offer, name, value)
    if offer.kind == Offer.Kind.SERVICE:
        offer.planned_sessions = None
    offer.full_clean()
    offer.save()
    audit.record(actor, action="offer.create" if created else "offer.update", obj=offer, channel=channel,
                 detail={"organisation": organisation.pk, "fields": sorted(values)})
    return offer


def availability_based_on(availability: str, expected_wait_weeks: int | None) -> str:
    """What the availability form carries of the availability it was opened on
    (``offer_availability_set``), e.g. ``waitlist:6``, ``accepting:``."""
    return f"{availability}:{'' if expected_wait_weeks is None else expected_wait_weeks}"


def availability_based_on_well_formed(based_on: str) -> bool:
    """Whether ``based_on`` is one ``availability_based_on`` can have made (the list's hidden field)."""
    availability, colon, weeks = based_on.partition(":")
    return bool(colon) and availability in Offer.Availability.values and (weeks == "" or weeks.isdigit())


@transaction.atomic
def offer_availability_set(
    actor, *, offer: Offer, availability: str, expected_wait_weeks: int | None = None, based_on: str | None = None,
    channel: str = audit.Channel.PAGE,
) -> Offer:
    """Say whether the offer takes new clients now. Checks: ``actor`` works for the offer's
    organisation; a waiting list states the expected wait in weeks. ``based_on``:
    ``availability_based_on`` of the availability her form was opened on; a different one set
    meanwhile by a colleague is not overwritten (``EditConflict`` with the offer as it stands,
    nothing changed). The offer's ``version`` is not compared: edits of its details (which leave
    the availability alone) do not refuse it. None (a script) skips the check."""
    _require_member(actor, offer.organisation)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if availability not in Offer.Availability.values:
        raise ValidationError({"availability": _("Choose one of the listed states.")})
    if availability != Offer.Availability.WAITLIST:
        expected_wait_weeks = None
    conflicts.check_based_on(offer, based_on, stored=availability_based_on(offer.availability, offer.expected_wait_weeks),
                             mine=availability_based_on(availability, expected_wait_weeks))
    if availability == Offer.Availability.WAITLIST and expected_wait_weeks is None:
        raise ValidationError({"expected_wait_weeks": _("Say how many weeks the expected wait is.")})
    offer.availability = availability
    offer.expected_wait_weeks = expected_wait_weeks
    offer.availability_updated_at = timezone.now()
    offer.save(update_fields=["availability", "expected_wait_weeks", "availability_updated_at", "updated_at"])
    audit.record(actor, action="offer.availability", obj=offer, channel=channel,
                 detail={"availability": availability, "expected_wait_weeks": offer.expected_wait_weeks})
    return offer


@dataclass
class ImportReport:
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[hsds.RecordError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _offer_ids(organisation: Organisation, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each record id → the id of the organisation's offer the record stands for (one it has, or
    one the import makes). An id an offer of another organisation holds is never refused: the
    refusal told an importer whether an id exists anywhere. The record then stands for an offer of
    the importing organisation under ``hsds.own_id`` (and so on, should that one be held too: each
    step is a new uuid5, and only finitely many offers exist), the same at every import."""
    resolved: dict[uuid.UUID, uuid.UUID] = {}
    pending = {record_id: record_id for record_id in record_ids}
    while pending:
        owners = dict(Offer.objects.filter(uuid__in=pending.values()).values_list("uuid", "organisation_id"))
        held_elsewhere = {}
        for record_id, candidate in pending.items():
            if owners.get(candidate, organisation.pk) == organisation.pk:
                resolved[record_id] = candidate
            else:
                held_elsewhere[record_id] = hsds.own_id(organisation.pk, candidate)
        pending = held_elsewhere
    return resolved


def offers_import_hsds(actor, *, organisation: Organisation, payload, dry_run: bool = True,
                       channel: str = audit.Channel.PAGE) -> ImportReport:
    """Import HSDS 3.0 service records as offers of ``organisation`` (matched by their id).

    Checks: ``actor`` works for the organisation; every record is valid against the HSDS 3.0
    service schema and our own rules. All or nothing: with any invalid record nothing is written,
    and a dry run writes nothing either, but reports exactly what a real run would do. New offers
    start network-only, so nothing becomes public by being imported.

    A record whose id an offer of another organisation holds is imported as an offer of
    ``organisation`` under an id derived from the record's (``_offer_ids``): the report is the same
    as for an id nobody holds (a new offer, then "changed" on every later import of the same
    catalogue), so it tells nothing of other organisations' offers, and a partner who imports her
    catalogue twice, or a copy of another organisation's export, gets her own offers and never
    touches theirs."""
    _require_member(actor, organisation)
    parsed = hsds.parse(payload)
    report = ImportReport(dry_run=dry_run, errors=list(parsed.errors))
    offer_ids = _offer_ids(organisation, [r.uuid for r in parsed.records])
    existing = {o.uuid: o for o in Offer.objects.filter(organisation=organisation, uuid__in=offer_ids.values())}
    taken_names = dict(Offer.objects.filter(organisation=organisation).values_list("name", "uuid"))
    plans: list[tuple[hsds.ParsedRecord, uuid.UUID, Offer | None]] = []
    planned: set[uuid.UUID] = set()
    for record in parsed.records:
        offer_id = offer_ids[record.uuid]
        if offer_id in planned:  # two records that stand for one offer (an id and the one derived from it)
            report.errors.append(hsds.RecordError(record.index, str(record.uuid), record.fields["name"],
                                                  _("The same id appears twice.")))
            continue
        planned.add(offer_id)
        offer = existing.get(offer_id)
        other = taken_names.get(record.fields["name"])
        if other is not None and other != offer_id:
            report.errors.append(hsds.RecordError(record.index, str(record.uuid), record.fields["name"],
                                                  _("Another offer of this organisation already has this name.")))
            continue
        plans.append((record, offer_id, offer))
        (report.updated if offer else report.created).append(record.fields["name"])
    if dry_run or report.errors:
        return report
    with transaction.atomic():
        for record, offer_id, offer in plans:
            if offer is None:
                offer = Offer(organisation=organisation, uuid=offer_id, visibility=Offer.Visibility.NETWORK)
            for name, value in record.fields.items():
                setattr(offer, name, value)
            offer.full_clean()
            if offer.pk:
                # The import replaces the details: an edit opened before it must not write them back.
                offer.version = F("version") + 1
                # Only the fields the record brings: the rest of the row (the availability a colleague
                # sets meanwhile, say) stays as it stands, not as it was read above.
                offer.save(update_fields=[*record.fields, "version", "updated_at"])
            else:
                offer.save()
        audit.record(actor, action="offer.import", object_type="offers.offer", channel=channel,
                     detail={"organisation": organisation.pk, "created": len(report.created), "updated": len(report.updated)})
    return report
