"""The data-protection officer's pages (``/dpo/``) and the read-with-a-reason page for data under
restriction (``/restrictions/``). Thin: selectors read, services write, every page read audited."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from cases import policy as cases_policy
from participants import policy as participants_policy
from permissions import access_log_export, anchors, audit
from permissions.form_errors import add_service_errors
from privacy import access, selectors, services
from privacy.forms import CaseLookupForm, CloseForm, ExtendForm, RequestForm, RestrictedReadForm, RestrictForm
from records import selectors as records_selectors


def _require_officer(request: HttpRequest) -> None:
    if not participants_policy.dpo_network_ids(request.user).exists():
        raise Http404


def _require_request_pages(request: HttpRequest) -> None:
    if not access.records_requests_somewhere(request.user):
        raise Http404


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    board = selectors.dashboard_for_officer(request.user)
    records = [records_selectors.latest_record_summary(request.user, network)
               for network in records_selectors.officer_networks(request.user)]
    audit.record(request.user, action="dpo.dashboard", object_type="privacy.datasubjectrequest", channel=audit.Channel.PAGE,
                 legal_basis="dpo", detail={"requests": [r.pk for r in board.requests]})
    return render(request, "privacy/dashboard.html", {"board": board, "records": records})


@login_required
@require_POST
def verify_trail(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    broken = anchors.verify_and_record(request.user, channel=audit.Channel.PAGE)
    if broken:
        messages.error(request, ngettext(
            "The audit trail is broken: %(count)s link. Tell the operators at once.",
            "The audit trail is broken: %(count)s links. Tell the operators at once.", len(broken)) % {"count": len(broken)})
    else:
        messages.success(request, _("The audit trail is intact."))
    return redirect("privacy:dashboard")


def _request_list(request: HttpRequest, *, lookup: CaseLookupForm, form: RequestForm | None, case=None,
                  status: int = 200) -> HttpResponse:
    requests = list(selectors.requests_for_user(request.user))
    audit.record(request.user, action="dsr.list", object_type="privacy.datasubjectrequest", channel=audit.Channel.PAGE,
                 legal_basis="dpo", detail={"ids": [r.pk for r in requests]})
    return render(request, "privacy/requests.html", {"requests": requests, "lookup": lookup, "form": form, "case": case,
                                                     "today": timezone.localdate()}, status=status)


def _request_form(request: HttpRequest, case, data=None) -> RequestForm:
    officer = access.is_officer(request.user, case.network_id)
    return RequestForm(data, members=selectors.members_of(case),
                       officers=None if officer else selectors.officers_of(case.network_id),
                       initial={"received_on": timezone.localdate()})


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Requests by deadline, and the form to record one: first the case, then the person."""
    _require_request_pages(request)
    lookup, form, case = CaseLookupForm(request.GET or None), None, None
    status = 200
    if lookup.is_bound:
        if lookup.is_valid():
            try:
                case = selectors.case_for_request(request.user, lookup.cleaned_data["reference"])
            except Http404:
                lookup.add_error("reference", _("No case of yours has this reference."))
            else:
                form = _request_form(request, case)
                audit.record(request.user, action="dsr.case_lookup", obj=case, case_id=case.pk,
                             channel=audit.Channel.PAGE, legal_basis="dpo")
        if lookup.errors:
            status = 400
    return _request_list(request, lookup=lookup, form=form, case=case, status=status)


@login_required
@require_POST
def request_create(request: HttpRequest) -> HttpResponse:
    _require_request_pages(request)
    lookup = CaseLookupForm(request.POST)
    if not lookup.is_valid():
        return _request_list(request, lookup=lookup, form=None, status=400)
    try:
        case = selectors.case_for_request(request.user, lookup.cleaned_data["reference"])
    except Http404:
        lookup.add_error("reference", _("No case of yours has this reference."))
        return _request_list(request, lookup=lookup, form=None, status=400)
    form = _request_form(request, case, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_record(
                request.user, case=case, family_member=data["family_member"], kind=data["kind"],
                received_on=data["received_on"], identity_check=data["identity_check"],
                identity_note=data["identity_note"], description=data["description"],
                instructed_by=data.get("instructed_by"))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The request is recorded. It must be answered by %(day)s.")
                             % {"day": formats.date_format(created.due_on, "SHORT_DATE_FORMAT")})
            return redirect("privacy:request_detail", pk=created.pk)
    return _request_list(request, lookup=lookup, form=form, case=case, status=400)


def _detail(request: HttpRequest, dsr, *, forms: dict | None = None, status: int = 200) -> HttpResponse:
    forms = forms or {}
    officer = access.is_officer(request.user, dsr.case.network_id)
    context = {
        "dsr": dsr, "officer": officer, "today": timezone.localdate(),
        "export_language": translation.get_language_info(selectors.export_language(dsr))["name_local"]
        if officer and dsr.kind == dsr.Kind.ACCESS else "",
        "restrictions": selectors.restrictions_with_reads(request.user, request=dsr),
        "hold_in_force": services.hold_in_force(dsr.case_id),
        "extend_form": forms.get("extend") or ExtendForm(auto_id="extend_%s"),
        "close_form": forms.get("close") or CloseForm(auto_id="close_%s"),
        "restrict_form": forms.get("restrict") or RestrictForm(auto_id="restrict_%s"),
    }
    return render(request, "privacy/request_detail.html", context, status=status)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dsr = selectors.get_request_for_user(request.user, pk)
    audit.record(request.user, action="dsr.view", obj=dsr, case_id=dsr.case_id, channel=audit.Channel.PAGE, legal_basis="dpo")
    return _detail(request, dsr)


def _step(request: HttpRequest, pk: int, form_class, name: str, call, done: str) -> HttpResponse:
    dsr = selectors.get_request_for_user(request.user, pk)
    form = form_class(request.POST, auto_id=f"{name}_%s")
    if form.is_valid():
        try:
            call(dsr, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("privacy:request_detail", pk=dsr.pk)
    return _detail(request, dsr, forms={name: form}, status=400)


@login_required
@require_POST
def request_extend(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, ExtendForm, "extend",
                 lambda dsr, data: services.request_extend(request.user, request=dsr, reason=data["reason"]),
                 _("The deadline is extended. Tell her, with the reason."))


@login_required
@require_POST
def request_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, CloseForm, "close",
                 lambda dsr, data: services.request_close(request.user, request=dsr, outcome=data["outcome"], note=data["note"]),
                 pgettext("data-subject request", "The request is closed."))


@login_required
@require_POST
def request_restrict(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, RestrictForm, "restrict",
                 lambda dsr, data: services.restriction_set(request.user, request=dsr, grounds=data["grounds"]),
                 _("The processing of her data is restricted now."))


@login_required
@require_POST
def restriction_lift(request: HttpRequest, pk: int) -> HttpResponse:
    restriction = selectors.get_restriction_for_officer(request.user, pk)
    try:
        services.restriction_lift(request.user, restriction=restriction)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The restriction is lifted."))
    dsr = restriction.request
    return redirect("privacy:request_detail", pk=dsr.pk) if dsr else redirect("privacy:request_list")


@login_required
def request_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The access log of the requesting person, the same file she downloads herself (CSV or JSON),
    in her language (``selectors.export_language``), not in the officer's."""
    dsr = selectors.get_request_for_user(request.user, pk)
    fmt = request.GET.get("format", "")
    if fmt not in access_log_export.FORMATS or not access.is_officer(request.user, dsr.case.network_id):
        raise Http404
    # Her file, in her language: its headings, its plain-word labels and its date format.
    with translation.override(selectors.export_language(dsr)):
        try:
            rows = services.access_export_rows(request.user, request=dsr, fmt=fmt)
        except ValidationError:
            raise Http404
        return access_log_export.access_log_response(rows, fmt)


# --- reading restricted data with a reason --------------------------------------------------------

@login_required
def restrictions(request: HttpRequest) -> HttpResponse:
    """For the case team: whose data is restricted on their cases, and for what it may be read."""
    found = list(selectors.restrictions_for_reader(request.user))
    # The overview links here for every professional, also one without a case yet (new staff, an
    # organisation with offers only): she gets the empty list, not a "page not found".
    if not found and not participants_policy.organisation_ids(request.user).exists():
        raise Http404
    return render(request, "privacy/restrictions.html", {"restrictions": found})


@login_required
@require_http_methods(["GET", "POST"])
def restricted_read(request: HttpRequest, pk: int) -> HttpResponse:
    restriction = selectors.get_restriction_for_reader(request.user, pk)
    form = RestrictedReadForm(request.POST or None)
    data, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                data = services.restricted_read(request.user, restriction=restriction, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                add_service_errors(form, error)
        if data is None:
            status = 400
    return render(request, "privacy/restricted_read.html", {"restriction": restriction, "form": form, "data": data},
                  status=status)
