"""The data-protection officer's audit log and grant overview, a parent's "who read my family's data"
export, and the page on which people appoint substitutes, invite guests and delegate minutes."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access import forms, grant_services, selectors
from access.forms import AuditFilterForm
from cases import policy as cases_policy
from participants import policy as participants_policy
from permissions import access_log_export, audit
from permissions.form_errors import add_service_errors


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not participants_policy.dpo_network_ids(request.user).exists():
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {
            "case_reference": form.cleaned_data["case"], "person": form.cleaned_data["person"],
            "date_from": form.cleaned_data["date_from"], "date_until": form.cleaned_data["date_until"],
            "basis": form.cleaned_data["basis"],
        }
    # Recorded before the log is read: the paginator counts the rows and slices them in two
    # statements, and an event written between them would push the page's oldest row out of sight.
    audit.record(request.user, action="audit_log.view", object_type="permissions.auditevent", channel=audit.Channel.PAGE,
                 legal_basis="dpo", detail={k: str(v) for k, v in filters.items() if v})
    events = selectors.audit_log_for_user(request.user, **filters) if not form.errors else participants_policy.audit_events_for_user(request.user).none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "access/audit_log.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    if not cases_policy.parent_case_ids(request.user).exists():
        raise Http404
    events = selectors.family_access_log_for_user(request.user)
    fmt = request.GET.get("format", "")
    if fmt not in {"", "csv", "json"}:
        raise Http404
    audit.record(request.user, action="my_data.export" if fmt else "my_data.view", object_type="permissions.auditevent",
                 channel=audit.Channel.PAGE, legal_basis="gdpr-art-15", detail={"format": fmt or "html"})
    if fmt:
        return access_log_export.access_log_response(selectors.family_access_rows(request.user, events), fmt)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    page.rows = selectors.family_access_rows(request.user, page.object_list)
    return render(request, "access/my_data.html", {"page": page})


# --- explicit grants: substitutes, conference guests, delegated minute-takers ----------------

def _grant_forms(user, *, bound: dict | None = None) -> dict:
    bound = bound or {}
    return {
        "substitute_form": bound.get("substitute") or forms.SubstituteForm(user=user, auto_id="substitute_%s"),
        "guest_form": bound.get("guest") or forms.GuestForm(user=user, auto_id="guest_%s"),
        "minute_taker_form": bound.get("minute_taker") or forms.MinuteTakerForm(user=user, auto_id="minutes_%s"),
    }


def _grants_page(request: HttpRequest, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    context = {"grants": selectors.grants_concerning(request.user), "today": timezone.localdate(),
               **_grant_forms(request.user, bound=bound)}
    context["convenes"] = context["guest_form"].fields["conference"].queryset.exists()
    return render(request, "access/grants.html", context, status=status)


@login_required
def grants(request: HttpRequest) -> HttpResponse:
    """What the user granted, holds, or what stands in for her; and the forms to grant."""
    return _grants_page(request)


@login_required
@require_POST
def grant_create(request: HttpRequest, kind: str) -> HttpResponse:
    user = request.user
    form_class = {"substitute": forms.SubstituteForm, "guest": forms.GuestForm, "minute_taker": forms.MinuteTakerForm}.get(kind)
    if form_class is None:
        raise Http404
    prefix = {"substitute": "substitute", "guest": "guest", "minute_taker": "minutes"}[kind]
    form = form_class(request.POST, user=user, auto_id=f"{prefix}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "substitute":
                grant_services.substitute_appoint(user, colleague=user, substitute=data["substitute"], valid_from=data["valid_from"],
                                                  valid_until=data["valid_until"], note=data["note"])
                messages.success(request, _("Your substitute is appointed."))
            elif kind == "guest":
                grant_services.guest_invite(user, conference=data["conference"], guest=data["guest"],
                                            valid_until=data["valid_until"], note=data["note"])
                messages.success(request, _("The guest is invited to the conference."))
            else:
                grant_services.minute_taker_delegate(user, protocol=data["protocol"], delegate=data["delegate"],
                                                     valid_until=data["valid_until"])
                messages.success(request, _("The minutes are delegated."))
            return redirect("access:grants")
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _grants_page(request, bound={kind: form}, status=400)


@login_required
@require_POST
def grant_withdraw(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = selectors.grant_model(kind)
    grant = model.objects.filter(pk=pk).first() if model else None
    if grant is None or not grant_services.can_withdraw(request.user, grant):
        raise Http404
    grant_services.grant_withdraw(request.user, grant=grant)
    messages.success(request, _("The grant is withdrawn."))
    return redirect("access:dpo_grants" if request.POST.get("next") == "dpo" else "access:grants")


@login_required
def dpo_grants(request: HttpRequest) -> HttpResponse:
    """The data-protection officer's view of every explicit grant in her networks."""
    if not participants_policy.dpo_network_ids(request.user).exists():
        raise Http404
    audit.record(request.user, action="grants.view", object_type="permissions.grants", channel=audit.Channel.PAGE, legal_basis="dpo")
    return render(request, "access/dpo_grants.html", {"grants": selectors.grants_for_dpo(request.user),
                                                            "today": timezone.localdate()})
