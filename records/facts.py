"""The facts of a network's record of processing activities (GDPR Art. 30), read from the live
configuration and data, never typed by hand.

``build_record_content(network)`` returns plain JSON: codes and numbers only, no labels, so the
content (and its hash) does not depend on the reader's language; ``records.present`` turns it
into words. Lists are sorted, so equal configurations give equal JSON. Recipients are counts and
kinds per organisation — never a case, a reference or a person of a family.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.utils import timezone

from cases.models import (
    Case, CaseTeamMember, Consent, ConsentScope, DisclosureBasis, FamilyMember, LegalBasis, LegalHold,
)
from offers.models import CentralCaseManager, NetworkOfferSettings, Offer, Referral
from participants.models import Country, Membership, Network, NetworkRole, Organisation
from permissions import anchors
from protocols.models import ProtocolItem

SCHEMA = 1

# Data categories every network's service processes by its design (the models), in this order.
BASE_DATA_CATEGORIES = [
    "family_minimal", "family_contact", "case_organisation", "conference_data", "protocol_content",
    "agreed_actions", "consent_records", "professional_accounts", "access_logs",
]


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def _controllers(network: Network) -> list[dict[str, Any]]:
    organisations = list(Organisation.objects.filter(network=network, is_active=True).order_by("name", "pk"))
    ids = [o.pk for o in organisations]
    leads = set(Case.objects.filter(lead_organisation_id__in=ids).values_list("lead_organisation_id", flat=True))
    teams = set(CaseTeamMember.objects.filter(organisation_id__in=ids, removed_at__isnull=True)
                .values_list("organisation_id", flat=True))
    offers = set(Offer.objects.filter(organisation_id__in=ids, is_active=True).values_list("organisation_id", flat=True))
    seats = set(NetworkRole.objects.filter(network=network, organisation_id__in=ids).values_list("organisation_id", flat=True))
    managers = set(CentralCaseManager.objects.filter(network=network, is_active=True).values_list("organisation_id", flat=True))
    staffed = set(Membership.objects.filter(organisation_id__in=ids, is_active=True).values_list("organisation_id", flat=True))
    rows = []
    for org in organisations:
        roles = [role for role, present in (
            ("lead_organisation", org.pk in leads), ("case_team", org.pk in teams), ("offers", org.pk in offers),
            ("board_seat", org.pk in seats), ("central_case_manager", org.pk in managers),
            ("staff_accounts", org.pk in staffed),
        ) if present]
        rows.append({"name": org.name, "kind": org.kind, "municipality": org.municipality, "email": org.email, "roles": roles})
    return rows


def _officers(network: Network) -> list[str]:
    roles = NetworkRole.objects.filter(network=network, role=NetworkRole.Role.DATA_PROTECTION_OFFICER).select_related("user")
    return sorted(role.user.get_full_name() or role.user.get_username() for role in roles)


def _subjects(network: Network) -> list[str]:
    relations = set(FamilyMember.objects.filter(case__network=network).values_list("relation", flat=True).distinct())
    present = {
        "parents": bool(relations & set(FamilyMember.PARENT_RELATIONS)),
        "children": FamilyMember.Relation.CHILD in relations,
        "expected_children": FamilyMember.Relation.EXPECTED_CHILD in relations,
        "relatives": FamilyMember.Relation.OTHER_RELATIVE in relations,
        "professionals": Membership.objects.filter(organisation__network=network, is_active=True).exists(),
        "board_members": NetworkRole.objects.filter(network=network).exclude(role=NetworkRole.Role.DATA_PROTECTION_OFFICER).exists(),
        "referral_clients": Referral.objects.filter(offer__organisation__network=network).exists(),
        "contact_requesters": Offer.objects.filter(organisation__network=network, is_active=True,
                                                   visibility=Offer.Visibility.PUBLIC).exists(),
    }
    return [code for code, yes in present.items() if yes]


def _information_categories(network: Network) -> list[str]:
    scopes = set(ConsentScope.objects.filter(consent__case__network=network).values_list("category", flat=True).distinct())
    items = set(ProtocolItem.objects.filter(protocol__conference__case__network=network).exclude(category="")
                .values_list("category", flat=True).distinct())
    return sorted(scopes | items)


def _consent_basis(network: Network) -> str:
    return LegalBasis.DK_CONSENT.value if network.country == Country.DENMARK else LegalBasis.DE_CONSENT.value


def _legal_bases(network: Network) -> list[str]:
    bases = set(DisclosureBasis.objects.filter(case__network=network).values_list("basis", flat=True).distinct())
    if Consent.objects.filter(case__network=network).exists():
        bases.add(_consent_basis(network))
    return sorted(bases)


def _purposes(network: Network) -> list[str]:
    purposes = ["case_conferences", "protocols_and_actions", "consent_management", "calendar", "accountability"]
    if NetworkRole.objects.filter(network=network, role__in=[NetworkRole.Role.BOARD_MEMBER, NetworkRole.Role.COORDINATOR]).exists():
        purposes.append("board_figures")
    if Offer.objects.filter(organisation__network=network, is_active=True).exists():
        purposes.append("offers_and_referrals")
    return purposes


def _recipients(network: Network, today: dt.date) -> list[dict[str, Any]]:
    """Per receiving organisation: consents and legal bases in force today that release
    information to it — how many, which categories, under which bases, from which kinds."""
    consents = Consent.objects.filter(case__network=network, revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today)
    bases = DisclosureBasis.objects.filter(case__network=network, ended_at__isnull=True, invoked_on__lte=today, valid_until__gte=today)
    consent_kind = dict(consents.values_list("pk", "from_organisation__kind"))
    categories_of: dict[int, set[str]] = defaultdict(set)
    for consent_id, category in ConsentScope.objects.filter(consent__in=consents).values_list("consent_id", "category"):
        categories_of[consent_id].add(category)
    consent_basis = _consent_basis(network)
    rows: dict[int, dict[str, Any]] = {}

    def row(org_id: int) -> dict[str, Any]:
        return rows.setdefault(org_id, {"consents": 0, "legal_bases": 0, "categories": set(), "bases": set(), "from_kinds": set()})

    for consent_id, org_id in Consent.to_organisations.through.objects.filter(consent__in=consents).values_list("consent_id", "organisation_id"):
        entry = row(org_id)
        entry["consents"] += 1
        entry["categories"] |= categories_of[consent_id]
        entry["bases"].add(consent_basis)
        entry["from_kinds"].add(consent_kind[consent_id])
    basis_info = {pk: (basis, kind) for pk, basis, kind in bases.values_list("pk", "basis", "from_organisation__kind")}
    for basis_id, org_id in DisclosureBasis.to_organisations.through.objects.filter(disclosurebasis__in=bases).values_list("disclosurebasis_id", "organisation_id"):
        entry = row(org_id)
        entry["legal_bases"] += 1
        entry["bases"].add(basis_info[basis_id][0])
        entry["from_kinds"].add(basis_info[basis_id][1])
    organisations = {o.pk: o for o in Organisation.objects.filter(pk__in=rows)}
    out = [{
        "organisation": organisations[org_id].name, "kind": organisations[org_id].kind,
        "consents": entry["consents"], "legal_bases": entry["legal_bases"],
        "categories": sorted(entry["categories"]), "bases": sorted(entry["bases"]), "from_kinds": sorted(entry["from_kinds"]),
    } for org_id, entry in rows.items()]
    return sorted(out, key=lambda r: (r["organisation"], r["kind"]))


def _retention(network: Network) -> list[dict[str, Any]]:
    contact_days = (NetworkOfferSettings.objects.filter(network=network).values_list("contact_request_retention_days", flat=True).first()
                    or NetworkOfferSettings._meta.get_field("contact_request_retention_days").default)
    return [
        {"record": "case_content", "value": settings.CASE_RETENTION_YEARS, "unit": "years_after_closing"},
        {"record": "audit_events", "value": settings.AUDIT_RETENTION_YEARS, "unit": "years"},
        {"record": "feed_tokens_and_poll_links", "value": settings.TOKEN_RETENTION_DAYS, "unit": "days_after_end"},
        {"record": "contact_requests", "value": contact_days, "unit": "days_after_handling"},
        {"record": "unattached_referrals", "value": settings.REFERRAL_RETENTION_DAYS, "unit": "days_after_last_change"},
        {"record": "outgoing_mail", "value": settings.OUTBOX_KEEP_DAYS, "unit": "days_after_queuing"},
        {"record": "quarantined_mail", "value": settings.INBOUND_MAIL_KEEP_DAYS, "unit": "days_after_quarantine"},
        {"record": "sessions", "value": settings.SESSION_COOKIE_AGE // 60, "unit": "minutes"},
        {"record": "backups", "value": settings.BACKUP_KEEP, "unit": "copies"},
    ]


def _measures(network: Network) -> list[dict[str, Any]]:
    encrypting = settings.MFA_ADAPTER == "permissions.mfa.EncryptingMFAAdapter" and bool(settings.MFA_ENCRYPTION_KEYS)
    return [
        {"code": "mfa_professionals", "value": bool(settings.MFA_REQUIRED_FOR_PROFESSIONALS)},
        {"code": "mfa_parents_and_board", "value": bool(network.parents_require_mfa)},
        {"code": "mfa_secrets_encrypted", "value": encrypting},
        {"code": "session_limits", "value": [settings.SESSION_IDLE_SECONDS // 60, settings.SESSION_COOKIE_AGE // 60]},
        {"code": "https_only", "value": bool(settings.SECURE_SSL_REDIRECT and settings.SESSION_COOKIE_SECURE)},
        {"code": "access_policy", "value": True},
        {"code": "audit_hmac_chain", "value": True},
        {"code": "audit_anchors", "value": anchors.newest_anchor() is not None},
        {"code": "admin_separation", "value": True},
        {"code": "pseudonymous_cases", "value": True},
        {"code": "feed_detail", "value": network.feed_detail},
        {"code": "retention_erasure", "value": settings.CASE_RETENTION_YEARS > 0},
        {"code": "legal_holds", "value": LegalHold.objects.filter(case__network=network, lifted_at__isnull=True).count()},
    ]


def _processors() -> list[dict[str, str]]:
    return sorted(settings.PROCESSORS, key=lambda p: (p["kind"], p["name"]))


def build_record_content(network: Network, *, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    return {
        "schema": SCHEMA,
        "network": {"name": network.name, "slug": network.slug, "country": network.country},
        "controllers": _controllers(network),
        "officers": _officers(network),
        "subjects": _subjects(network),
        "data_categories": BASE_DATA_CATEGORIES,
        "information_categories": _information_categories(network),
        "purposes": _purposes(network),
        "legal_bases": _legal_bases(network),
        "recipients": _recipients(network, today),
        "board_receives_anonymised_figures": NetworkRole.objects.filter(
            network=network, role__in=[NetworkRole.Role.BOARD_MEMBER, NetworkRole.Role.COORDINATOR]).exists(),
        "processors": _processors(),
        "retention": _retention(network),
        "measures": _measures(network),
    }

