"""Consent pages: a case's consents and legal bases, recording and revoking; a parent's own list.
Thin: selectors read, services write."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases import consent_selectors as selectors
from cases import consent_services as services
from cases import policy as cases_policy
from cases.consent_forms import ConsentForm, DisclosureBasisForm, ParentConsentForm
from permissions import audit
from permissions.form_errors import add_service_errors


def _record_on_case(request: HttpRequest, case, form, record, success_message: str, template: str) -> HttpResponse:
    """Show ``form`` for ``case``; on a valid POST, ``record(**cleaned_data)`` and go back to the
    case's consents. Refusals land on the fields (400), nothing is recorded."""
    if request.method == "POST" and form.is_valid():
        try:
            record(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success_message)
            return redirect("cases:case_consents", case_pk=case.pk)
    return render(request, template, {"case": case, "form": form}, status=400 if form.errors else 200)


@login_required
def case_consents(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_pk)
    consents = list(selectors.consents_for_user(request.user, case=case))
    bases = list(selectors.disclosure_bases_for_user(request.user, case=case))
    audit.record(request.user, action="consent.list", obj=case, case_id=case.pk, channel=audit.Channel.PAGE,
                 legal_basis="team" if cases_policy.is_professional_on_case(request.user, case) else "parent")
    response = render(request, "cases/consent_list.html", {
        "case": case, "consents": consents, "bases": bases, "can_record": cases_policy.can_record_consent(request.user, case),
        "endable": cases_policy.endable_disclosure_basis_ids(request.user, case, bases),
    })
    response.carries_case_data = True
    return response


@login_required
@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_pk)
    if not cases_policy.can_record_consent(request.user, case):
        raise PermissionDenied
    form = ConsentForm(request.POST or None, case=case, user=request.user)
    return _record_on_case(
        request, case, form, lambda **data: services.consent_record(request.user, case=case, channel=audit.Channel.PAGE, **data),
        _("The consent has been recorded."), "cases/consent_form.html")


@login_required
@require_http_methods(["GET", "POST"])
def consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    consent = selectors.get_consent_for_user(request.user, pk)
    if not cases_policy.can_revoke_consent(request.user, consent):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.consent_revoke(request.user, consent=consent, channel=audit.Channel.PAGE)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The consent has been revoked. It no longer allows any disclosure."))
        if consent.given_by.user_id == request.user.pk:
            return redirect("cases:my_consents")
        return redirect("cases:case_consents", case_pk=consent.case_id)
    return render(request, "cases/consent_revoke.html", {"consent": consent})


@login_required
@require_http_methods(["GET", "POST"])
def disclosure_basis_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a recorded legal basis before its time limit (the disclosing organisation's people)."""
    record = selectors.get_disclosure_basis_for_user(request.user, pk)
    if not cases_policy.can_end_disclosure_basis(request.user, record, even_if_ended=True):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.disclosure_basis_end(request.user, record=record, channel=audit.Channel.PAGE)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The legal basis has been ended. It no longer allows any disclosure."))
        return redirect("cases:case_consents", case_pk=record.case_id)
    return render(request, "cases/disclosure_basis_end.html", {"basis": record})


@login_required
@require_http_methods(["GET", "POST"])
def consent_give(request: HttpRequest, case_pk: int) -> HttpResponse:
    """A parent gives a release herself, in the service."""
    case = selectors.get_case_for_user(request.user, case_pk)
    member = selectors.own_family_member(request.user, case)
    form = ParentConsentForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(request.user, case=case, given_by=member, channel=audit.Channel.PAGE, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your consent has been recorded. You can revoke it at any time."))
            return redirect("cases:my_consents")
    return render(request, "cases/consent_give.html", {"case": case, "form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["POST"])
def consent_object(request: HttpRequest, pk: int) -> HttpResponse:
    """The parent objects to a consent recorded in her name: it stops at once."""
    consent = selectors.get_consent_for_user(request.user, pk)
    try:
        services.consent_object(request.user, consent=consent, channel=audit.Channel.PAGE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your objection has been recorded. The consent no longer allows any disclosure."))
    return redirect("cases:my_consents")


@login_required
@require_http_methods(["GET", "POST"])
def disclosure_basis_create(request: HttpRequest, case_pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_pk)
    if not cases_policy.can_record_consent(request.user, case):
        raise PermissionDenied
    form = DisclosureBasisForm(request.POST or None, case=case, user=request.user)
    return _record_on_case(
        request, case, form,
        lambda **data: services.disclosure_basis_record(request.user, case=case, channel=audit.Channel.PAGE, **data),
        _("The legal basis has been recorded."), "cases/consent_basis_form.html")


@login_required
def my_consents(request: HttpRequest) -> HttpResponse:
    consents = list(selectors.consents_for_user(request.user).filter(given_by__user=request.user))
    if not consents and not cases_policy.parent_case_ids(request.user).exists():
        raise Http404
    for case_id in sorted({c.case_id for c in consents}):
        audit.record(request.user, action="consent.list.own", object_type="participants.consent", case_id=case_id,
                     channel=audit.Channel.PAGE, legal_basis="data-subject")
    cases = list(selectors.own_cases(request.user))
    response = render(request, "cases/consent_mine.html", {"consents": consents, "cases": cases})
    response.carries_case_data = True
    return response
