"""Pages for requests to the central case manager and for referrals. Thin: selectors read
(filtered and audited), services check and write."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import access, capacity, selectors
from . import referral_selectors as rsel
from . import referral_services as rsvc
from . import referral_case_services as rcs
from .forms import (
    AttachCaseForm, MessageForm, ReferralAttachCaseForm, ReferralCreateForm, ReferralDecisionForm, ReferralOpenCaseForm,
    RequestOpenCaseForm, SendOnForm, SupportRequestForm, TeamConsentForm,
)
from .models import Referral, SupportRequest
from cases import policy as cases_policy
from cases import selectors as case_selectors
from cases.models import FamilyMember
from .views import apply_errors


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    if not selectors.staff_organisations(request.user).exists():
        raise PermissionDenied(_("Only professionals of a network send requests."))
    return render(request, "offers/request_list.html", {
        "requests": rsel.requests_for_list(request.user),
        "may_send": rsel.case_managers_for(request.user).exists(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    organisations = selectors.staff_organisations(request.user)
    case_managers = rsel.case_managers_for(request.user)
    if not organisations.exists() or not case_managers.exists():
        raise PermissionDenied(_("Your network has no central case manager to ask."))
    # From an offer's page ("ask the case manager about this offer" / "refer a client to it"): the
    # form starts filled in for that offer, where she may ask about it (``offer_to_ask_about``).
    offer = rsel.offer_to_ask_about(request.user, request.GET.get("offer"))
    initial = _request_initial(offer, kind=request.GET.get("kind"), case_managers=case_managers,
                               organisations=organisations) if offer and request.method == "GET" else {}
    form = SupportRequestForm(request.POST or None, case_managers=case_managers, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = rsvc.support_request_send(
                request.user, case_manager=data["case_manager"], sender_organisation=data["sender_organisation"],
                kind=data["kind"], situation=data["situation"], asked_for=data["asked_for"], client_label=data["client_label"],
                consent_reference=data["consent_reference"], consent_given_on=data["consent_given_on"],
                consent_sender_sees_content=data["consent_sender_sees_content"], consent_sender_on_team=data["consent_sender_on_team"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your request has been sent. Only you and the case manager can read it."))
            return redirect("offers:request_detail", pk=sent.pk)
    return render(request, "offers/request_form.html", {"form": form, "offer": offer}, status=400 if form.errors else 200)


def _request_initial(offer, *, kind: str | None, case_managers, organisations) -> dict:
    """The request form filled in for a question about ``offer`` or a referral to it: its kind, a
    case manager and an organisation of hers in the offer's network, and what she asks for naming
    the offer (she completes it)."""
    names = {"offer": offer.name, "organisation": offer.organisation.name}
    referral = kind == SupportRequest.Kind.REFERRAL
    network_id = offer.organisation.network_id
    return {
        "kind": SupportRequest.Kind.REFERRAL if referral else SupportRequest.Kind.CONSULTATION,
        "case_manager": case_managers.filter(network_id=network_id).first(),
        "sender_organisation": organisations.filter(network_id=network_id).first(),
        "asked_for": (_("Please refer my client to the offer “%(offer)s” (%(organisation)s).") if referral else
                      _("A question about the offer “%(offer)s” (%(organisation)s): ")) % names,
    }


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    support = rsel.get_request_for_user(request.user, pk)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rsvc.support_message_add(request.user, request=support, text=form.cleaned_data["text"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("offers:request_detail", pk=support.pk)
    return _render_request(request, support, form=form, status=400 if form.errors else 200)


def _render_request(request: HttpRequest, support, *, form: MessageForm | None = None, attach_form: AttachCaseForm | None = None,
                    refer_form: ReferralCreateForm | None = None, status: int = 200) -> HttpResponse:
    """The request's page; ``attach_form`` or ``refer_form`` bound where that step was refused with
    its errors."""
    is_case_manager = access.case_manager_role_of(request.user, support) is not None
    send_on_form = _send_on_form(request, support) if support.sender_id == request.user.pk else None
    open_form = None
    refer_refusal = case_refusal = ""
    case_steps = is_case_manager and support.kind == support.Kind.REFERRAL
    if case_steps:
        refer_refusal = rsvc.refer_into_case_refusal(request.user, support)
        if not refer_refusal:  # the step would only be refused: say why instead of offering it
            refer_form = refer_form or ReferralCreateForm(offers=rsel.referable_offers(request.user, support))
    else:
        refer_form = None
    if case_steps and support.case_id is None:  # a request stays with the case it belongs to
        # A referral of it that the receiving organisation made part of a case ties it to that case
        # too: attaching or opening would only be refused, so the page says why instead.
        case_refusal = rsvc.request_case_refusal(support)
    if case_steps and support.case_id is None and not case_refusal:
        attach_form = attach_form or AttachCaseForm(cases=rsvc.request_attachable_cases(request.user, support))
        open_form = RequestOpenCaseForm(initial={"reference": case_selectors.suggest_reference(support.network)},
                                        client_label=support.client_label)
    else:
        attach_form = None
    return render(request, "offers/request_detail.html", {
        "support": support, "messages_list": support.messages.select_related("author"), "form": form or MessageForm(),
        "refer_form": refer_form, "refer_refusal": refer_refusal, "referrals": rsel.referrals_of_request(request.user, support),
        "is_case_manager": is_case_manager, "attach_form": attach_form, "open_form": open_form, "case_refusal": case_refusal,
        "send_on_form": send_on_form, "case_manager_left": send_on_form is not None,
        "case_visible": support.case_id is not None and cases_policy.cases_for_user(request.user).filter(pk=support.case_id).exists(),
    }, status=status)


def _send_on_form(request: HttpRequest, support, data=None) -> SendOnForm | None:
    """For the sender of an open request whose case manager left: the other case managers of its
    network to send it to (None when that is not the case)."""
    if support.status == support.Status.CLOSED or not access.case_manager_left(support):
        return None
    return SendOnForm(data, case_managers=rsel.case_managers_for(request.user).filter(network_id=support.network_id))


@login_required
@require_POST
def request_send_on(request: HttpRequest, pk: int) -> HttpResponse:
    support = rsel.get_request_for_user(request.user, pk)
    if support.sender_id != request.user.pk:
        raise PermissionDenied(_("Only the professional who sent the request may send it to another case manager."))
    form = _send_on_form(request, support, request.POST)
    if form is None:
        messages.info(request, _("Nothing was sent: the request is closed, or its case manager still works in the network."))
        return redirect("offers:request_detail", pk=support.pk)
    if form.is_valid():
        try:
            sent = rsvc.support_request_send_on(request.user, request=support, case_manager=form.cleaned_data["case_manager"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your request has been sent to %(name)s. Only you and she can read it; the "
                                        "earlier conversation is closed.")
                             % {"name": sent.case_manager.get_full_name() or sent.case_manager})
            return redirect("offers:request_detail", pk=sent.pk)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("offers:request_detail", pk=support.pk)


@login_required
@require_POST
def request_close(request: HttpRequest, pk: int) -> HttpResponse:
    support = rsel.get_request_for_user(request.user, pk)
    rsvc.support_request_close(request.user, request=support)
    messages.success(request, _("The request is closed."))
    return redirect("offers:request_detail", pk=support.pk)


@login_required
@require_POST
def request_refer(request: HttpRequest, pk: int) -> HttpResponse:
    support = rsel.get_request_for_user(request.user, pk)
    rsvc.require_case_manager_of(request.user, support, to=rsvc.REFER)
    form = ReferralCreateForm(request.POST, offers=rsel.referable_offers(request.user, support))
    if not form.is_valid():  # no offer chosen, or one she may not refer to: said at the field
        return _render_request(request, support, refer_form=form, status=400)
    try:
        referral = rsvc.referral_create(request.user, offer=form.cleaned_data["offer"], support_request=support,
                                        note=form.cleaned_data["note"], municipality=form.cleaned_data["municipality"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Referred to “%(offer)s”.") % {"offer": referral.offer.name})
    return redirect("offers:request_detail", pk=support.pk)


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    if not selectors.staff_organisations(request.user).exists():
        raise PermissionDenied(_("Only professionals of a network see referrals."))
    referrals = list(rsel.referrals_for_list(request.user))
    managed = set(access.offers_managed_by(request.user).values_list("pk", flat=True))
    return render(request, "offers/referral_list.html", {
        "incoming": [r for r in referrals if r.offer_id in managed],
        "sent": [r for r in referrals if r.offer_id not in managed],
    })


def _case_forms(user, view, *, data=None, which: str = "") -> dict:
    """The forms that make an accepted referral part of a case, for receiving staff only: open a
    case or attach it to one she is on (no case yet), or join the case it belongs to."""
    referral = view.referral
    if not view.is_staff or referral.status not in Referral.HOLDS_PLACE:
        return {}
    bound = lambda name: data if which == name else None  # noqa: E731 - only the submitted form is bound
    if referral.case_id is None:
        cases = rcs.attachable_cases(user, referral)
        return {
            "open_case_form": ReferralOpenCaseForm(bound("open"), prefix="open", client_label=rcs.client_label(referral), initial={
                "reference": case_selectors.suggest_reference(referral.offer.organisation.network)}) if view.may_open_case else None,
            "attach_case_form": ReferralAttachCaseForm(bound("attach"), prefix="attach", cases=cases) if cases.exists() else None,
            "case_forms_shown": True,
        }
    if not view.joined_case_team:
        if view.join_refusal:  # the step would only be refused: say why instead of offering it
            return {"join_refusal": view.join_refusal, "case_forms_shown": True}
        return {"join_case_form": TeamConsentForm(bound("join"), prefix="join"), "case_forms_shown": True}
    return {}


def _decision_form(view, data=None) -> ReferralDecisionForm | None:
    if not view.is_staff:
        return None
    form = ReferralDecisionForm(data, referral=view.referral)
    return form if form.fields["decision"].choices else None


def _render_detail(request: HttpRequest, view, *, status: int = 200, **forms) -> HttpResponse:
    forms.setdefault("form", _decision_form(view))
    return render(request, "offers/referral_detail.html", {
        "view": view, "referral": view.referral,
        "may_cancel": (view.referral.status not in Referral.CLOSED_STATUSES
                       and access.is_active_referrer(request.user, view.referral)),
        **_case_forms(request.user, view), **forms,
    }, status=status)


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, rsel.get_referral_for_user(request.user, pk))


CASE_STEPS = {
    "open": lambda actor, r, form, data: rcs.referral_open_case(
        actor, referral=r, reference=data["reference"], expected_child=data["expected_child"],
        client_relation=data.get("client_relation") or FamilyMember.Relation.MOTHER, consent_reference=data["consent_reference"],
        consent_given_on=data["consent_given_on"]),
    "attach": lambda actor, r, form, data: rcs.referral_attach_case(
        actor, referral=r, case=data["case"], consent_reference=data["consent_reference"],
        consent_given_on=data["consent_given_on"]),
    "join": lambda actor, r, form, data: rcs.referral_join_case_team(
        actor, referral=r, consent_reference=data["consent_reference"], consent_given_on=data["consent_given_on"]),
}
CASE_STEP_DONE = {
    "open": gettext_lazy("Case opened from the referral. Your organisation leads it; assemble its team."),
    "attach": gettext_lazy("The referral is now part of the case, and your organisation is on its team."),
    "join": gettext_lazy("Your organisation is now on the case team."),
}


def _referral_case_step(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    view = rsel.get_referral_for_user(request.user, pk)
    if not view.is_staff:
        raise PermissionDenied(_("Only staff of the receiving organisation answer a referral."))
    forms = _case_forms(request.user, view, data=request.POST, which=which)
    form = forms.get(f"{which}_case_form")
    if form is None:
        messages.error(request, view.join_refusal if which == "join" and view.join_refusal else
                       _("This referral cannot become part of a case that way in its current state."))
        return redirect("offers:referral_detail", pk=pk)
    if form.is_valid():
        try:
            CASE_STEPS[which](request.user, view.referral, form, form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, CASE_STEP_DONE[which])
            return redirect("offers:referral_detail", pk=pk)
    return _render_detail(request, view, status=400, **forms)


@login_required
@require_POST
def referral_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_case_step(request, pk, "open")


@login_required
@require_POST
def referral_attach_case(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_case_step(request, pk, "attach")


@login_required
@require_POST
def referral_join_case_team(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_case_step(request, pk, "join")


DECISIONS = {
    "receive": lambda actor, r, text: rsvc.referral_receive(actor, referral=r),
    "accept": lambda actor, r, text: rsvc.referral_accept(actor, referral=r, answer=text),
    "waitlist": lambda actor, r, text: rsvc.referral_waitlist(actor, referral=r, answer=text),
    "decline": lambda actor, r, text: rsvc.referral_decline(actor, referral=r, reason=text),
    "start": lambda actor, r, text: rsvc.referral_start(actor, referral=r),
    "complete": lambda actor, r, text: rsvc.referral_close(actor, referral=r, outcome=Referral.Status.COMPLETED),
    "cancel": lambda actor, r, text: rsvc.referral_close(actor, referral=r, outcome=Referral.Status.CANCELLED, reason=text),
}


@login_required
@require_POST
def referral_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff answer through the decision form: on an error it is shown again with the chosen step
    and the note kept. A referrer who may cancel has only the cancel button: errors as messages."""
    view = rsel.get_referral_for_user(request.user, pk)
    form = ReferralDecisionForm(request.POST, referral=view.referral, steps=None if view.is_staff else ["cancel"])
    if form.is_valid():
        try:
            referral = DECISIONS[form.cleaned_data["decision"]](request.user, view.referral, form.cleaned_data["text"])
        except ValidationError as error:
            if hasattr(error, "error_dict") and "reason" in error.error_dict:
                error = ValidationError({"text": error.error_dict.pop("reason"), **error.error_dict})
            apply_errors(form, error)
        else:
            messages.success(request, _("Status now: %(status)s.") % {"status": referral.get_status_display()})
            return redirect("offers:referral_detail", pk=pk)
    if view.is_staff:
        return _render_detail(request, view, status=400, form=form)
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)
    return redirect("offers:referral_detail", pk=pk)


@login_required
def waiting_list(request: HttpRequest, pk: int) -> HttpResponse:
    offer, waiting = rsel.waiting_list_for_user(request.user, pk)
    return render(request, "offers/waiting_list.html", {"offer": offer, "waiting": waiting,
                                                        "taken": capacity.places_taken(offer)})


@login_required
@require_POST
def request_attach_case(request: HttpRequest, pk: int) -> HttpResponse:
    """A case that is not offered (closed, of another network, not hers) is refused at the form's
    field and the page shown again (400); what the request's state refuses (it was attached
    meanwhile) is said as a message on the page as it now stands. Either way nothing is changed."""
    support = rsel.get_request_for_user(request.user, pk)
    rsvc.require_case_manager_of(request.user, support, to=rsvc.ATTACH)
    form = AttachCaseForm(request.POST, cases=rsvc.request_attachable_cases(request.user, support))
    if not form.is_valid():
        return _render_request(request, support, attach_form=form, status=400)
    try:
        added = rsvc.support_request_attach_case(request.user, request=support, case=form.cleaned_data["case"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Attached to case %(reference)s.") % {"reference": form.cleaned_data["case"].reference}
                         + (" " + _("The referring professional is now on the case team.") if added else ""))
    return redirect("offers:request_detail", pk=support.pk)


@login_required
@require_POST
def request_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    support = rsel.get_request_for_user(request.user, pk)
    rsvc.require_case_manager_of(request.user, support, to=rsvc.OPEN_CASE)
    form = RequestOpenCaseForm(request.POST, client_label=support.client_label)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("offers:request_detail", pk=support.pk)
    try:
        case = rsvc.support_request_open_case(request.user, request=support, reference=form.cleaned_data["reference"],
                                              expected_child=form.cleaned_data["expected_child"],
                                              client_relation=form.cleaned_data["client_relation"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("offers:request_detail", pk=support.pk)
    messages.success(request, _("Case %(reference)s opened from the request. You lead it; assemble its team.")
                     % {"reference": case.reference} + " "
                     + _("The request's client %(client)s is recorded in its family.") % {"client": support.client_label})
    return redirect("cases:case_detail", pk=case.pk)
