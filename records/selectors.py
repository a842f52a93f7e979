"""Reads of the data-protection officer's file. Everything here is for the network's officer
only: another user gets 404 (the same answer as for a network that does not exist)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max
from django.http import Http404

from participants import policy as participants_policy
from participants.models import Network, User
from records import dpia_templates
from records.models import DpiaRevision, DpiaTemplate, ProcessingRecord


def officer_networks(user: User):
    """The networks whose data-protection officer the user is."""
    return Network.objects.filter(pk__in=participants_policy.dpo_network_ids(user)).order_by("name")


def network_for_officer(user: User, slug: str) -> Network:
    network = officer_networks(user).filter(slug=slug).first()
    if network is None:
        raise Http404
    return network


def record_versions(user: User, network: Network):
    """Every stored version of the network's record, newest first (without the content)."""
    if not officer_networks(user).filter(pk=network.pk).exists():
        return ProcessingRecord.objects.none()
    return ProcessingRecord.objects.filter(network=network).defer("content").select_related("created_by").order_by("-version")


def record_version(user: User, network: Network, version: int) -> ProcessingRecord:
    record = ProcessingRecord.objects.filter(network__in=officer_networks(user), network=network, version=version).first()
    if record is None:
        raise Http404
    return record


def dpia_template_for(template: str) -> str:
    if template not in DpiaTemplate.values:
        raise Http404
    return template


def default_template(network: Network) -> str:
    return DpiaTemplate.DATATILSYNET if network.country == "DK" else DpiaTemplate.DSK


@dataclass
class DpiaSection:
    key: str
    title: str
    phase: str
    text: str
    revision: DpiaRevision | None       # None: the pre-filled text, not yet saved by anyone

    @property
    def number(self) -> int:
        return self.revision.number if self.revision else 0


def dpia_sections(user: User, network: Network, template: str, content: dict[str, Any]) -> list[DpiaSection]:
    """The assessment as it stands: each section's newest revision, or its pre-filled text."""
    if not officer_networks(user).filter(pk=network.pk).exists():
        raise Http404
    newest: dict[str, DpiaRevision] = {}
    for revision in (DpiaRevision.objects.filter(network=network, template=template).select_related("edited_by")
                     .order_by("section", "-number")):
        newest.setdefault(revision.section, revision)
    sections = []
    for spec in dpia_templates.TEMPLATES[template]:
        revision = newest.get(spec.key)
        text = revision.text if revision else dpia_templates.prefill(template, spec.key, content)
        sections.append(DpiaSection(spec.key, spec.title, spec.phase, text, revision))
    return sections


def dpia_section(user: User, network: Network, template: str, key: str, content: dict[str, Any]) -> DpiaSection:
    for section in dpia_sections(user, network, template, content):
        if section.key == key:
            return section
    raise Http404


def dpia_section_history(user: User, network: Network, template: str, key: str):
    if not officer_networks(user).filter(pk=network.pk).exists() or dpia_templates.section_spec(template, key) is None:
        raise Http404
    return DpiaRevision.objects.filter(network=network, template=template, section=key).select_related("edited_by").order_by("-number")


def latest_record_summary(user: User, network: Network) -> dict[str, Any] | None:
    """For the officer's dashboard: the newest stored record (version, date) and the state of the
    impact assessment per template (sections saved of all, last saved). Reads only — it does not
    generate a new version (opening the record page does). None for anyone but the officer."""
    if not officer_networks(user).filter(pk=network.pk).exists():
        return None
    latest = ProcessingRecord.objects.filter(network=network).order_by("-version").values("version", "created_at").first()
    edited = {row["template"]: row for row in DpiaRevision.objects.filter(network=network).values("template")
              .annotate(sections=Count("section", distinct=True), last=Max("edited_at"))}
    dpia = {}
    for template in DpiaTemplate.values:
        row = edited.get(template, {})
        dpia[template] = {
            "label": DpiaTemplate(template).label, "sections_saved": row.get("sections", 0),
            "sections_total": len(dpia_templates.TEMPLATES[template]), "last_saved_at": row.get("last"),
            "default": template == default_template(network),
        }
    return {
        "network": network, "version": latest["version"] if latest else None,
        "created_at": latest["created_at"] if latest else None, "dpia": dpia,
    }

