"""The data-protection officer's audit log and a parent's "who read my family's data" export."""
from __future__ import annotations

import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from permissions import audit, policy, selectors
from permissions.forms import AuditFilterForm


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not policy.dpo_network_ids(request.user).exists():
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {
            "case_reference": form.cleaned_data["case"], "person": form.cleaned_data["person"],
            "date_from": form.cleaned_data["date_from"], "date_until": form.cleaned_data["date_until"],
        }
    events = selectors.audit_log_for_user(request.user, **filters) if not form.errors else policy.audit_events_for_user(request.user).none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit.record(request.user, action="audit_log.view", object_type="permissions.auditevent", channel=audit.Channel.PAGE,
                 legal_basis="dpo", detail={k: str(v) for k, v in filters.items() if v})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "permissions/audit_log.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    if not policy.parent_case_ids(request.user).exists():
        raise Http404
    events = selectors.family_access_log_for_user(request.user)
    fmt = request.GET.get("format", "")
    if fmt not in {"", "csv", "json"}:
        raise Http404
    audit.record(request.user, action="my_data.export" if fmt else "my_data.view", object_type="permissions.auditevent",
                 channel=audit.Channel.PAGE, legal_basis="gdpr-art-15", detail={"format": fmt or "html"})
    stamp = timezone.localdate().isoformat()
    if fmt == "json":
        response = HttpResponse(json.dumps({"generated_at": timezone.now().isoformat(), "events": selectors.export_rows(events)},
                                           ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="who-read-my-data-{stamp}.json"'
        return response
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="who-read-my-data-{stamp}.csv"'
        writer = csv.DictWriter(response, fieldnames=selectors.EXPORT_FIELDS)
        writer.writeheader()
        writer.writerows(selectors.export_rows(events))
        return response
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "permissions/my_data.html", {"page": page})
