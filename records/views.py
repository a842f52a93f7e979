"""The data-protection officer's file. Thin: selectors read, services write; every page and
download is an audited read for the network's officer alone (404 for everyone else)."""
from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from permissions import audit, csv_export
from permissions.form_errors import add_service_errors
from records import dpia_templates, present, selectors, services
from records.forms import DpiaSectionForm
from records.models import DpiaTemplate, ProcessingRecord

FORMATS = {"html", "json", "csv"}


def _audit(request: HttpRequest, action: str, network, **detail) -> None:
    audit.record(request.user, action=action, object_type="participants.network", object_id=network.pk,
                 channel=audit.Channel.PAGE, legal_basis="dpo", detail={"network": network.pk, **detail})


@login_required
def index(request: HttpRequest) -> HttpResponse:
    networks = list(selectors.officer_networks(request.user))
    if not networks:
        raise Http404
    summaries = [selectors.latest_record_summary(request.user, network) for network in networks]
    return render(request, "records/index.html", {"summaries": summaries})


def _record_page(request: HttpRequest, network, record: ProcessingRecord, *, current: bool) -> HttpResponse:
    latest_version = selectors.record_versions(request.user, network).values_list("version", flat=True).first()
    return render(request, "records/record.html", {
        "network": network, "record": record, "sections": present.record_sections(record.content),
        "current": current, "latest_version": latest_version,
        "country": present.country_label(record.content["network"]["country"]),
        "templates": DpiaTemplate.choices, "default_template": selectors.default_template(network),
    })


@login_required
def record(request: HttpRequest, network: str) -> HttpResponse:
    """The record as the configuration stands now: opening it stores a new version when
    anything changed since the newest one."""
    network = selectors.network_for_officer(request.user, network)
    current, created = services.processing_record_refresh(request.user, network=network)
    if created and current.version > 1:
        messages.info(request, _("The configuration has changed: version %(version)d of the record was stored; earlier versions are kept.")
                      % {"version": current.version})
    _audit(request, "records.view", network, version=current.version)
    return _record_page(request, network, current, current=True)


@login_required
def versions(request: HttpRequest, network: str) -> HttpResponse:
    network = selectors.network_for_officer(request.user, network)
    rows = list(selectors.record_versions(request.user, network))
    _audit(request, "records.versions", network)
    return render(request, "records/versions.html", {"network": network, "versions": rows})


@login_required
def version(request: HttpRequest, network: str, version: int) -> HttpResponse:
    network = selectors.network_for_officer(request.user, network)
    stored = selectors.record_version(request.user, network, version)
    _audit(request, "records.view", network, version=stored.version)
    return _record_page(request, network, stored, current=False)


@login_required
def download(request: HttpRequest, network: str, version: int, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    network = selectors.network_for_officer(request.user, network)
    stored = selectors.record_version(request.user, network, version)
    _audit(request, "records.download", network, version=stored.version, format=fmt)
    filename = f"record-of-processing-{network.slug}-v{stored.version}-{timezone.localtime(stored.created_at):%Y%m%d}.{fmt}"
    if fmt == "json":
        body = {"network": network.slug, "version": stored.version, "created_at": stored.created_at.isoformat(),
                "content_hash": stored.content_hash, "content": stored.content}
        response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
    elif fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # so that spreadsheet programs read the umlauts as UTF-8
        writer = csv_export.writer(response)
        writer.writerow([_("Section"), _("Entry")])
        for section in present.record_sections(stored.content):
            for row in section.rows:
                writer.writerow([section.title, *row])
    else:
        html = render_to_string("records/record_print.html", {
            "network": network, "record": stored, "sections": present.record_sections(stored.content),
            "country": present.country_label(stored.content["network"]["country"]),
        }, request=request)
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _dpia_context(request: HttpRequest, network: str, template: str):
    network = selectors.network_for_officer(request.user, network)
    template = selectors.dpia_template_for(template)
    # The pre-filled texts come from the facts as they stand: refresh the record first.
    current, _created = services.processing_record_refresh(request.user, network=network)
    return network, template, current


@login_required
def dpia(request: HttpRequest, network: str, template: str) -> HttpResponse:
    network, template, current = _dpia_context(request, network, template)
    sections = selectors.dpia_sections(request.user, network, template, current.content)
    _audit(request, "dpia.view", network, template=template)
    return render(request, "records/dpia.html", {
        "network": network, "template": template, "template_label": DpiaTemplate(template).label,
        "document_title": dpia_templates.DOCUMENT_TITLE[template], "language": dpia_templates.LANGUAGE[template],
        "sections": sections, "record": current, "other_templates": [t for t in DpiaTemplate.choices if t[0] != template],
    })


@login_required
def dpia_print(request: HttpRequest, network: str, template: str) -> HttpResponse:
    network, template, current = _dpia_context(request, network, template)
    sections = selectors.dpia_sections(request.user, network, template, current.content)
    _audit(request, "dpia.download", network, template=template)
    html = render_to_string("records/dpia_print.html", {
        "network": network, "document_title": dpia_templates.DOCUMENT_TITLE[template],
        "language": dpia_templates.LANGUAGE[template], "sections": sections, "record": current,
        "printed_at": timezone.now(),
    }, request=request)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dpia-{network.slug}-{template}-{timezone.localdate():%Y%m%d}.html"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def dpia_edit(request: HttpRequest, network: str, template: str, section: str) -> HttpResponse:
    network, template, current = _dpia_context(request, network, template)
    standing = selectors.dpia_section(request.user, network, template, section, current.content)
    context = {"network": network, "template": template, "section": standing,
               "language": dpia_templates.LANGUAGE[template], "conflict": None, "stale": False}
    if request.method == "GET":
        context["form"] = DpiaSectionForm(initial={"text": standing.text, "base_number": standing.number})
        return render(request, "records/dpia_edit.html", context)
    form = DpiaSectionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            saved = services.dpia_section_save(request.user, network=network, template=template, section=section,
                                               text=form.cleaned_data["text"], base_number=form.cleaned_data["base_number"])
        except services.StaleEdit as stale:
            # Refuse, never overwrite: show what now stands, and keep her text in the form to merge by hand.
            context["conflict"], context["stale"] = stale.current, True
            form = DpiaSectionForm(initial={"text": form.cleaned_data["text"],
                                            "base_number": stale.current.number if stale.current else 0})
            status = 409
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if saved is None:
                messages.info(request, _("The text is unchanged; nothing was saved."))
            else:
                messages.success(request, _("Revision %(number)d of the section was saved.") % {"number": saved.number})
            return redirect("records:dpia", network=network.slug, template=template)
    context["form"] = form
    return render(request, "records/dpia_edit.html", context, status=status)


@login_required
def dpia_history(request: HttpRequest, network: str, template: str, section: str) -> HttpResponse:
    network = selectors.network_for_officer(request.user, network)
    template = selectors.dpia_template_for(template)
    revisions = list(selectors.dpia_section_history(request.user, network, template, section))
    spec = dpia_templates.section_spec(template, section)
    _audit(request, "dpia.history", network, template=template, section=section)
    return render(request, "records/dpia_history.html", {
        "network": network, "template": template, "spec": spec, "revisions": revisions,
        "language": dpia_templates.LANGUAGE[template],
    })

