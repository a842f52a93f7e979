"""Legal-hold pages: the data-protection officer's list (with reasons) and the case's hold page,
on which the lead caseworker acts on the officer's instruction. Thin: selectors read, services write."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import policy as cases_policy
from cases import selectors
from cases import hold_services as services
from cases.forms import LegalHoldForm, LegalHoldLiftForm
from cases.models import LegalHold
from participants import policy as participants_policy
from permissions import audit
from permissions.form_errors import add_service_errors


def _require_dpo(request: HttpRequest) -> None:
    if not participants_policy.dpo_network_ids(request.user).exists():
        raise Http404


def _list_page(request: HttpRequest, form: LegalHoldForm, *, status: int = 200) -> HttpResponse:
    holds = list(selectors.legal_holds_for_dpo(request.user))
    audit.record(request.user, action="legal_hold.list", object_type="conferences.legalhold", channel=audit.Channel.PAGE,
                 legal_basis="dpo", detail={"holds": len(holds)})
    return render(request, "cases/legal_holds.html",
                  {"holds": holds, "form": form, "today": timezone.localdate()}, status=status)


@login_required
def legal_holds(request: HttpRequest) -> HttpResponse:
    """The officer's list of holds, with their reasons and review dates, and the form to set one."""
    _require_dpo(request)
    return _list_page(request, LegalHoldForm(with_reference=True))


@login_required
@require_POST
def legal_hold_create(request: HttpRequest) -> HttpResponse:
    _require_dpo(request)
    form = LegalHoldForm(request.POST, with_reference=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = selectors.case_for_hold(request.user, reference=data["reference"])
        except Http404:
            form.add_error("reference", _("No case of your network has this reference."))
        else:
            try:
                services.legal_hold_set(request.user, case=case, ground=data["ground"], reason=data["reason"],
                                        review_on=data["review_on"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Case %(reference)s is under a legal hold now.") % {"reference": case.reference})
                return redirect("cases:legal_holds")
    return _list_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def case_legal_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """One case's holds in force (ground and review date, no reason) and the form to set one: for
    the officer, and for the lead caseworker who names the officer who instructed her."""
    case = selectors.case_for_hold(request.user, pk=pk)
    is_officer = participants_policy.is_dpo_of(request.user, case.network_id)
    audit.record(request.user, action="legal_hold.case_view", obj=case, case_id=case.pk, channel=audit.Channel.PAGE,
                 legal_basis="dpo" if is_officer else "team")
    officers = None if is_officer else selectors.officers_of(case.network_id)
    form = LegalHoldForm(request.POST or None, with_reference=False, officers=officers)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.legal_hold_set(request.user, case=case, ground=data["ground"], reason=data["reason"],
                                        review_on=data["review_on"], instructed_by=data.get("instructed_by"))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Case %(reference)s is under a legal hold now.") % {"reference": case.reference})
                return redirect("cases:case_legal_hold", pk=case.pk)
        status = 400
    return render(request, "cases/case_legal_hold.html", {
        "case": case, "form": form, "holds": selectors.holds_in_force_on(case),
        "lift_form": LegalHoldLiftForm(officers=officers) if officers is not None else None,
    }, status=status)


@login_required
@require_POST
def legal_hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    hold = LegalHold.objects.filter(pk=pk, case__in=cases_policy.legal_hold_cases(request.user)).select_related("case").first()
    if hold is None:
        raise Http404
    officers = selectors.officers_of(hold.case.network_id)
    form = LegalHoldLiftForm(request.POST, officers=officers)
    instructed_by = form.cleaned_data.get("instructed_by") if form.is_valid() else None
    try:
        services.legal_hold_lift(request.user, hold=hold, instructed_by=instructed_by)
    except PermissionDenied:
        messages.error(request, _("Name the data-protection officer on whose instruction you lift the hold."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The legal hold on case %(reference)s is lifted.") % {"reference": hold.case.reference})
    if request.POST.get("next") == "list" and participants_policy.is_dpo_of(request.user, hold.case.network_id):
        return redirect("cases:legal_holds")
    return redirect("cases:case_legal_hold", pk=hold.case_id)
