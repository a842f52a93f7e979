"""Open Referral HSDS 3.0: the public directory as HSDS service records, and records back in.

Identifiers: an offer keeps its own UUID (``Offer.uuid``); every other HSDS object gets a UUID
derived from the offer's (uuid5), so an export is stable from one run to the next and an
importer can match records again. Only public, active offers are ever exported. An imported
record keeps its id unless an offer of another organisation holds it: then it gets one derived
from its id and the importing organisation (``own_id``), see ``services.offers_import_hsds``.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker

from .models import LANGUAGE_CODES, LANGUAGES, Offer, pack_codes

SCHEMA_PATH = Path(__file__).with_name("hsds") / "service.json"
NAMESPACE = uuid.UUID("6f1c1b52-7a4c-4c0e-9a57-0d7b5d7d2a31")


def derived_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def own_id(organisation_pk: int, record_id: uuid.UUID) -> uuid.UUID:
    """The id under which an organisation keeps an imported record whose id an offer of another
    organisation already holds: derived from the two, so the same at every import of the record."""
    return uuid.UUID(derived_id("imported", organisation_pk, record_id))


def organisation_id(organisation) -> str:
    return derived_id("organisation", organisation.pk)


def _status(offer: Offer) -> str:
    if not offer.is_active:
        return "inactive"
    return "temporarily closed" if offer.availability == Offer.Availability.NOT_ACCEPTING else "active"


def _alert(offer: Offer) -> str:
    if offer.availability == Offer.Availability.WAITLIST:
        return _("Waiting list: expected wait about %(weeks)s weeks.") % {"weeks": offer.expected_wait_weeks}
    if offer.availability == Offer.Availability.NOT_ACCEPTING:
        return _("Not accepting at the moment.")
    return ""


def service_record(offer: Offer) -> dict:
    """One offer as an HSDS 3.0 service (with its organisation, languages, areas, contact, place)."""
    sid = str(offer.uuid)
    organisation = offer.organisation
    labels = dict(LANGUAGES)
    record: dict = {
        "id": sid,
        "organization_id": organisation_id(organisation),
        "name": offer.name,
        "description": offer.description,
        "status": _status(offer),
        "eligibility_description": offer.eligibility or ", ".join(offer.target_group_labels()),
        "fees_description": offer.cost or (_("Free of charge") if offer.is_free else ""),
        "application_process": _("Anonymous first contact is possible.") if offer.anonymous_contact else "",
        "last_modified": offer.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "organization": {"id": organisation_id(organisation), "name": organisation.name, "description": organisation.get_kind_display()},
        "languages": [
            {"id": derived_id("language", sid, code), "service_id": sid, "name": str(labels.get(code, code)), "code": code}
            for code in offer.language_list
        ],
        "service_areas": [
            {"id": derived_id("area", sid, name), "service_id": sid, "name": name, "extent_type": "text"}
            for name in offer.municipality_list()
        ],
        "phones": [], "schedules": [], "service_at_locations": [],
    }
    alert = _alert(offer)
    if alert:
        record["alert"] = alert
    if offer.contact_email:
        record["email"] = offer.contact_email
    if offer.contact_phone:
        record["phones"].append({"id": derived_id("phone", sid), "service_id": sid, "number": offer.contact_phone})
    if offer.opening_hours:
        record["schedules"].append({"id": derived_id("schedule", sid), "service_id": sid, "description": offer.opening_hours})
    if offer.address:
        location_id = derived_id("location", sid)
        location = {"id": location_id, "location_type": "physical", "name": offer.address, "description": offer.directions}
        if offer.accessibility:
            location["accessibility"] = [{"id": derived_id("accessibility", sid), "location_id": location_id, "description": offer.accessibility}]
        record["service_at_locations"].append({
            "id": derived_id("service_at_location", sid), "service_id": sid, "location_id": location_id, "location": location,
        })
    return record


def export_services(offers) -> list[dict]:
    return [service_record(offer) for offer in offers]


def export_json(offers) -> str:
    return json.dumps(export_services(offers), ensure_ascii=False, indent=2)


# --- import -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator():
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")), format_checker=FormatChecker())


@dataclass
class RecordError:
    index: int
    record_id: str
    name: str
    message: str


@dataclass
class ParsedRecord:
    index: int
    uuid: uuid.UUID
    fields: dict


@dataclass
class ParseResult:
    records: list[ParsedRecord] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 controls but tab, newline and carriage return; DEL


def _error_text(error) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def parse(payload) -> ParseResult:
    """Check every record (schema, our own rules) and map it to offer fields; collect all errors."""
    result = ParseResult()
    if isinstance(payload, dict) and isinstance(payload.get("contents"), list):
        payload = payload["contents"]  # an HSDS API page of services
    if not isinstance(payload, list):
        result.errors.append(RecordError(0, "", "", _("Expected a list of HSDS service records.")))
        return result
    seen: set[str] = set()
    for index, record in enumerate(payload, start=1):
        if not isinstance(record, dict):
            result.errors.append(RecordError(index, "", "", _("A record must be a JSON object.")))
            continue
        record_id, name = str(record.get("id", "")), str(record.get("name", ""))
        problems = sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path))
        if problems:
            result.errors.append(RecordError(index, record_id, name, "; ".join(_error_text(e) for e in problems[:3])))
            continue
        try:
            parsed_id = uuid.UUID(record_id)
        except ValueError:
            result.errors.append(RecordError(index, record_id, name, _("The id is not a UUID.")))
            continue
        if record_id in seen:
            result.errors.append(RecordError(index, record_id, name, _("The same id appears twice.")))
            continue
        seen.add(record_id)
        if not (record.get("description") or "").strip():
            result.errors.append(RecordError(index, record_id, name, _("A description is required.")))
            continue
        codes = [str(lang.get("code", "")).lower()[:2] for lang in record.get("languages") or []]
        unknown = [code for code in codes if code not in LANGUAGE_CODES]
        if unknown:
            result.errors.append(RecordError(index, record_id, name, _("Unknown language codes: %(codes)s") % {"codes": ", ".join(unknown)}))
            continue
        phones = record.get("phones") or []
        schedules = record.get("schedules") or []
        locations = [sal.get("location") or {} for sal in record.get("service_at_locations") or []]
        fields = {
            "name": name.strip()[:200],
            "description": record["description"].strip(),
            "eligibility": (record.get("eligibility_description") or "").strip(),
            "cost": (record.get("fees_description") or "").strip()[:200],
            "contact_email": (record.get("email") or "").strip(),
            "contact_phone": (phones[0].get("number") if phones else "")[:40],
            "opening_hours": "\n".join(s.get("description", "") for s in schedules if s.get("description")),
            "languages": pack_codes(codes),
            "municipalities": ", ".join(a["name"] for a in record.get("service_areas") or [] if a.get("name"))[:500],
            "address": (locations[0].get("name") or "")[:200] if locations else "",
            "is_active": record.get("status") != "inactive" and record.get("status") != "defunct",
        }
        if any(isinstance(value, str) and _CONTROL.search(value) for value in fields.values()):
            # e.g. the JSON escape \u0000: valid JSON, but PostgreSQL stores no NUL in text, and no
            # other control character belongs in an offer's text either.
            result.errors.append(RecordError(index, record_id, name, _("The record contains control characters (for example a NUL character): remove them and import it again.")))
            continue
        result.records.append(ParsedRecord(index, parsed_id, fields))
    return result
