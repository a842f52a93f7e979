"""Case pages: list, detail, open a case, assemble the team, record the family. Thin views: the
selectors read (already filtered by the access policy), the services check and write."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import access_services, policy as cases_policy
from cases import selectors
from cases import services
from cases.forms import (
    AccessCodeForm, AccessOfferForm, CaseCloseForm, CaseOpenForm, CaseReopenForm, FamilyMemberAddForm, FamilyMemberEditForm,
    TeamMemberAddForm,
)
from cases.models import Case, FamilyMember
from participants import policy as participants_policy
from permissions import conflicts
from permissions.form_errors import add_service_errors


CASES_PER_PAGE = 50


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    if not cases_policy.has_case_pages(request.user):
        raise PermissionDenied(_("Only professionals of a network and the parents of a family have cases here."))
    status = request.GET.get("status") or None
    if status not in {None, *Case.Status.values}:
        status = None
    page = Paginator(selectors.cases_for_list(request.user, status=status), CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {
        "cases": page.object_list,
        "page": page,
        "status": status,
        "statuses": Case.Status.choices,
        "may_open": selectors.caseworker_organisations(request.user).exists(),
        "is_professional": participants_policy.organisation_ids(request.user).exists(),
    })


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, selectors.get_case_for_user(request.user, pk))


def _case_page(request: HttpRequest, case: Case, *, offered: access_services.AccessOffered | None = None) -> HttpResponse:
    detail = selectors.case_detail(request.user, case)
    # A parent gets her own page in plain words, not the professionals' one.
    template = "cases/case_parent.html" if detail.is_parent and not detail.is_professional else "cases/case_detail.html"
    return render(request, template, {"detail": detail, "case": case, "offered": offered})


@login_required
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    organisations = selectors.caseworker_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied(_("Only caseworkers open cases."))
    initial = {"reference": selectors.suggest_reference(organisations.first().network)}
    form = CaseOpenForm(request.POST or None, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(
                request.user, lead_organisation=form.cleaned_data["lead_organisation"],
                reference=form.cleaned_data["reference"], expected_child=form.cleaned_data["expected_child"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Case %(reference)s opened. Now assemble its team.") % {"reference": case.reference})
            return redirect("cases:case_detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"form": form}, status=400 if form.errors else 200)


def _case_for_convenor(request: HttpRequest, pk: int) -> Case:
    case = selectors.get_case_for_user(request.user, pk)
    if not cases_policy.can_convene(request.user, case):
        raise PermissionDenied(_("Only the case's caseworkers may change its team and family."))
    return case


def _family_member_for_convenor(request: HttpRequest, pk: int, member_pk: int) -> tuple[Case, FamilyMember]:
    """The case (for its caseworkers only) and one member of its family; 404 for another case's."""
    case = _case_for_convenor(request, pk)
    member = case.family_members.filter(pk=member_pk).select_related("case").first()
    if member is None:
        raise Http404("No such family member.")
    return case, member


@login_required
@require_http_methods(["GET", "POST"])
def case_team_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_convenor(request, pk)
    organisations, memberships = selectors.team_candidates(case, request.user)
    form = TeamMemberAddForm(request.POST or None, organisations=organisations, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        organisation, user = form.cleaned_data["member"]
        try:
            services.case_team_member_add(
                request.user, case=case, organisation=organisation, user=user, case_role=form.cleaned_data["case_role"],
            )
        except ValidationError as error:
            form.add_error("member", error.messages)  # every reason concerns who was chosen
        else:
            messages.success(request, _("%(member)s joined the case team.") % {"member": user or organisation})
            return redirect("cases:case_detail", pk=case.pk)
    return render(request, "cases/case_team_form.html", {
        "case": case, "form": form, "as_substitute": not cases_policy.convenes_in_own_right(request.user, case),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def case_team_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    case = _case_for_convenor(request, pk)
    member = case.team.filter(pk=member_pk, removed_at__isnull=True).select_related("case", "user", "organisation").first()
    if member is None:
        raise Http404("No such team member.")
    try:
        services.case_team_member_remove(request.user, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(member)s left the case team.") % {"member": member.user or member.organisation})
    return redirect("cases:case_detail", pk=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def case_family_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for_convenor(request, pk)
    form = FamilyMemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.family_member_add(request.user, case=case, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(member)s was added to the family.") % {"member": member})
            return redirect("cases:case_detail", pk=case.pk)
    return render(request, "cases/case_family_form.html", {"case": case, "form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def case_family_account(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Offer a parent access. Its linking code is shown on this very response, the case page, and
    kept nowhere but as a hash: not in the session, not in a redirect. Sent again (a reload of
    that page, a second click) the form names an offer that is no longer the open one: nothing
    changes, no second code or e-mail, and the page says how to get a new code."""
    case, member = _family_member_for_convenor(request, pk, member_pk)
    form = AccessOfferForm(request.POST)
    if not form.is_valid() or form.cleaned_data["open_offer"] != selectors.open_access_offer_id(member):
        messages.warning(request, _("Nothing was changed: the offer of access to %(member)s had changed since the page "
                                    "was shown (for example, it was reloaded after showing the code). A linking code is "
                                    "shown only once. If it is lost, offer access again: that makes a new code and ends "
                                    "the old one.") % {"member": member.display_name})
        return redirect("cases:case_detail", pk=case.pk)
    try:
        offered = access_services.family_member_access_offer(request.user, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("cases:case_detail", pk=case.pk)
    # The same words whether or not an account receives mail at her address (no oracle).
    messages.success(request, _("Access to Fallkonferenz was offered to %(member)s. Hand over the linking code "
                                "below in person.") % {"member": member.display_name})
    return _case_page(request, case, offered=offered)


@login_required
@require_POST
def case_family_access_withdraw(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    case, member = _family_member_for_convenor(request, pk, member_pk)
    access_services.family_member_access_withdraw(request.user, member=member)
    messages.success(request, _("The offer of access to %(member)s was withdrawn: its code and its e-mail link no "
                                "longer work.") % {"member": member.display_name})
    return redirect("cases:case_detail", pk=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def access_code_enter(request: HttpRequest) -> HttpResponse:
    """"My account" → "Link another case": a parent enters the linking code her caseworker gave her."""
    if not participants_policy.may_join_a_family(request.user):
        raise PermissionDenied(_("Linking codes are for parents, not for accounts of professionals or administrators."))
    form = AccessCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = access_services.access_offer_take(request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your account is now linked to the case %(reference)s.")
                             % {"reference": member.case.reference})
            return redirect("dashboard")
    return render(request, "cases/access_code_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    """First POST: a page that asks to confirm (what closing means, how to undo it); the
    confirmed POST closes."""
    case = _case_for_convenor(request, pk)
    form = CaseCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("cases:case_detail", pk=case.pk)
    if not form.cleaned_data["confirm"]:
        return render(request, "cases/case_close_confirm.html", {"case": case, "closed_on": form.cleaned_data["closed_on"]})
    try:
        services.case_close(request.user, case=case, closed_on=form.cleaned_data["closed_on"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The case is closed. Its lead organisation can reopen it from this page."))
    return redirect("cases:case_detail", pk=case.pk)


@login_required
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, pk, audit_read=False)
    if not cases_policy.can_reopen_case(request.user, case):
        raise PermissionDenied(_("Only a caseworker of the lead organisation may reopen this case."))
    form = CaseReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for reopening the case."))
        return redirect("cases:case_detail", pk=case.pk)
    services.case_reopen(request.user, case=case, reason=form.cleaned_data["reason"])
    messages.success(request, _("The case is open again."))
    return redirect("cases:case_detail", pk=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def case_family_edit(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    case, member = _family_member_for_convenor(request, pk, member_pk)
    restricted = services.is_restricted_for(request.user, member)
    # Nothing of a restricted person's record is put into the page (Art. 18, review h12, H12-1).
    form = FamilyMemberEditForm(request.POST or None, initial={} if restricted else _family_values(member))
    conflict_rows = None
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version")
        try:
            member = services.family_member_update(request.user, member=member, version=version, **values)
        except conflicts.EditConflict as conflict:
            # Her input stays in the form, now based on the current version, beside the record as it is.
            member = conflict.current
            form, conflict_rows = conflicts.refused_form(FamilyMemberEditForm, conflict, request.POST,
                                                         lambda form: _family_values(member))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The record of %(member)s is corrected.") % {"member": member})
            return redirect("cases:case_detail", pk=case.pk)
    return render(request, "cases/case_family_form.html",
                  {"case": case, "form": form, "member": member, "conflict_rows": conflict_rows, "restricted": restricted},
                  status=409 if conflict_rows else (400 if form.errors else 200))


def _family_values(member) -> dict:
    return {name: getattr(member, name) for name in ("relation", "display_name", "due_date", "birth_year", "email", "language",
                                                     "interpreter_language", "access_needs", "version")}
