"""Pages of the live protocol and of agreed actions. Thin: selectors read, services write.

Every form works without JavaScript; ``static/protocols/live.js`` only adds the live channel.
"""
from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cases import policy as cases_policy
from conferences import policy as conferences_policy
from conferences import selectors as conference_selectors
from permissions import conflicts
from permissions.audit import Channel
from permissions.form_errors import add_service_errors
from protocols import forms, rules, selectors, services
from protocols import policy as protocols_policy
from protocols.models import AgreedAction, Audience, CorrectionProposal, Protocol
from protocols.selectors import OPEN_STATES

STATUS_SEQUENCE = [Protocol.Status.DRAFT, Protocol.Status.RELEASED, Protocol.Status.FINAL]


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _back(protocol_id: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("protocols:protocol_detail", args=[protocol_id]) + (f"#{anchor}" if anchor else ""))


def case_url(case) -> str | None:
    try:
        return reverse("cases:case_detail", args=[case.pk])
    except NoReverseMatch:
        return None


def _protocol_context(request: HttpRequest, protocol: Protocol, *, with_reports: bool = True) -> dict:
    user = request.user
    items = list(selectors.items_for_user(user, protocol=protocol))
    selectors.audit_items_read(user, items, channel=Channel.PAGE)
    # The written reports the page shows (the print holds the protocol only), read through the
    # reports' own policy and audited under the basis each is read under.
    reports = list(selectors.reports_for_user(user, protocol)) if with_reports else []
    conference_selectors.audit_reports_read(user, reports, case_id=protocol.conference.case_id, channel=Channel.PAGE)
    convenor = services.is_convenor(user, protocol)
    writer = services.can_write_items(user, protocol)
    case = protocol.conference.case
    # Parents and conference guests read the page for non-professionals (items for everyone); the
    # summary written for the parents is for the parents (``is_family``), not for a guest.
    is_parent = not cases_policy.is_professional_on_case(user, case)
    is_family = is_parent and cases_policy.is_parent_of_case(user, case)
    context = {
        "protocol": protocol, "conference": protocol.conference, "case": case, "case_url": case_url(case),
        "items": items, "is_convenor": convenor, "can_write": writer and protocol.status == Protocol.Status.DRAFT,
        "can_amend": writer and protocol.is_final, "is_parent": is_parent, "is_family": is_family,
        "can_propose": protocol.status == Protocol.Status.RELEASED and cases_policy.is_professional_on_case(user, case)
        and (protocol.corrections_until is None or timezone.localdate() <= protocol.corrections_until),
        "reports": reports,
        "derived_summary": (selectors.derived_parent_summary(protocol, items)
                            if not protocol.parent_summary and (is_family or not is_parent) else []),
        "acknowledged": protocol.acknowledgements.filter(user=user).exists(),
        "release_due_on": services.draft_release_due_on(protocol),
        "today": timezone.localdate(),
    }
    if is_parent:
        context["my_actions"] = selectors.parent_actions_in(user, protocol)
    # Items whose holding organisation she works for, though she does not write the protocol: she
    # may change who reads them (services.may_change_audience), so the page offers it.
    context["held_ids"] = (services.items_held_by(user, protocol, items)
                           if not writer and protocol.status == Protocol.Status.DRAFT else set())
    # Items whose holding organisation she is on the team for, which she may narrow where the draft's
    # links above do not reach: after the draft, or open to everyone (services.holder_may_narrow).
    narrowable = services.items_narrowable_by(user, protocol, items)
    if protocol.status == Protocol.Status.DRAFT:
        narrowable = set() if writer else narrowable - context["held_ids"]
    context["narrow_ids"] = narrowable
    if context["can_write"]:
        context["new_item_form"] = forms.ItemForm(protocol=protocol, auto_id="new_%s")
        context["next_review_form"] = forms.NextReviewForm(initial={
            "next_review_on": protocol.next_review_on, "based_on": services.next_review_based_on(protocol.next_review_on)})
    context["corrections"] = list(selectors.corrections_for_decider(user, protocol))
    context["decidable_ids"] = set(rules.decidable_pending(user, protocol).values_list("pk", flat=True))
    context["my_proposals"] = list(selectors.my_correction_proposals(user, protocol))
    if convenor:
        context["ack_status"] = selectors.acknowledgement_status(protocol)
        context["pending_elsewhere"] = rules.pending_for_others(user, protocol)
        context["summary_form"] = forms.ParentSummaryForm(initial={
            "parent_summary": protocol.parent_summary, "based_on": services.summary_digest(protocol.parent_summary)})
        context["release_refusal"] = rules.release_refusal(protocol) if protocol.status == Protocol.Status.DRAFT else None
        if protocol.status == Protocol.Status.RELEASED:
            context["finalise_refusal"] = rules.finalise_refusal(user, protocol, confirm_early=False)
            context["finalise_form"] = forms.FinaliseForm()
        context["conference_over"] = rules.conference_is_over(protocol.conference)
        context["attendance_open"] = rules.attendance_open(protocol)
    return context


@login_required
def protocol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk)
    context = _protocol_context(request, protocol)
    template = "protocols/protocol_parent.html" if context["is_parent"] else "protocols/protocol_detail.html"
    return render(request, template, context)


@login_required
def protocol_print(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk)
    return render(request, "protocols/protocol_print.html", _protocol_context(request, protocol, with_reports=False))


@login_required
@require_POST
def protocol_open(request: HttpRequest, conference_pk: int) -> HttpResponse:
    conference = conferences_policy.conferences_for_user(request.user).select_related("case").filter(pk=conference_pk).first()
    if conference is None:
        raise Http404("No such conference")
    existing = Protocol.objects.filter(conference=conference).first()
    if existing is not None:
        return _back(existing.pk)
    try:
        protocol = services.protocol_open(request.user, conference=conference)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("conferences:conference_detail", conference.pk)
    messages.success(request, _("The protocol is open."))
    return _back(protocol.pk)


@login_required
@require_POST
def item_create(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk, audit=False)
    form = forms.ItemForm(request.POST, protocol=protocol, auto_id="new_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = services.item_create(
                request.user, protocol=protocol, title=data["title"], text=data["text"], audience=data["audience"],
                restricted_to=data["restricted_to"], holding_organisation=data["holding_organisation"],
                category=data["category"], entrusted_by=data["entrusted_by"], confirm_hidden=data["confirm_hidden"],
            )
            return _saved_item(request, protocol, item, _("The item “%(title)s” is added."))
        except services.WouldHideFromWriter as exc:
            form.ask_to_confirm_hidden()
            form.add_error("confirm_hidden", exc.messages)
        except ValidationError as exc:
            add_service_errors(form, exc)
    context = _protocol_context(request, protocol)
    context["new_item_form"] = form
    return render(request, "protocols/protocol_detail.html", context, status=400)


def _saved_item(request: HttpRequest, protocol: Protocol, item, success: str) -> HttpResponse:
    """Back to the protocol at the item – or, when its writer can no longer read it, at the list
    with a message that says so (never a jump to an anchor that is not there)."""
    if selectors.item_visible_to(request.user, item.pk):
        messages.success(request, success % {"title": item.title})
        return _back(protocol.pk, f"item-{item.pk}")
    messages.success(request, _("The item “%(title)s” is saved. It is restricted to other organisations, so it is "
                                "no longer shown to you; the organisation holding the information and the organisations named can read it.")
                     % {"title": item.title})
    return _back(protocol.pk, "items-heading")


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    protocol = selectors.get_protocol_for_user(request.user, item.protocol_id, audit=False)
    writer = services.can_write_items(request.user, protocol)
    drafting = protocol.status == Protocol.Status.DRAFT and (writer or services.may_change_audience(request.user, item))
    # The holding organisation narrows who reads it in a released or final protocol as well (and an
    # item open to everyone, which the draft's audience form does not offer her): the service's
    # ``item_update`` sends that to ``item_narrow``.
    narrowing = not drafting and services.holder_may_narrow(request.user, item)
    # The holding organisation's professionals change who may read it (as on the API and the live
    # channel), never its wording; everyone else is refused.
    if not (writer or services.may_change_audience(request.user, item) or narrowing):
        raise PermissionDenied
    if narrowing:
        form_class = partial(forms.NarrowForm, current_audience=item.audience,
                             labelled=item.holding_organisation_id is not None,
                             reading=services.reading_organisation_ids(item) if item.audience == Audience.RESTRICTED else None)
    else:
        form_class = forms.ItemEditForm if writer else forms.AudienceForm
    initial = {"title": item.title, "text": item.text, "audience": item.audience, "version": item.version,
               "restricted_to": list(item.restricted_to.all()), "holding_organisation": item.holding_organisation,
               "category": item.category, "entrusted_by": item.entrusted_by_id}
    form = form_class(request.POST or None, protocol=protocol, initial=initial)
    conflict = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.item_update(
                    request.user, item=item, version=data["version"], title=data.get("title"), text=data.get("text"),
                    audience=data["audience"], restricted_to=data["restricted_to"],
                    holding_organisation=data.get("holding_organisation"), category=data.get("category"),
                    entrusted_by=data.get("entrusted_by"), confirm_hidden=data["confirm_hidden"],
                )
                return _saved_item(request, protocol, saved, _("The item “%(title)s” is saved."))
            except services.WouldHideFromWriter as exc:
                form.ask_to_confirm_hidden()
                form.add_error("confirm_hidden", exc.messages)
            except conflicts.EditConflict as exc:
                # Shown only as far as she may read it now: the change she collided with may have
                # narrowed the item past her (as the API and the live channel re-read it).
                conflict = selectors.items_for_user(request.user).filter(pk=exc.current.pk).first()
                if conflict is None:
                    messages.warning(request, _("Someone else changed the item “%(title)s” in the meantime, and it is "
                                                "no longer shown to you. Your changes were not saved.")
                                     % {"title": item.title})
                    return _back(protocol.pk, "items-heading")
                status = 409
                # Keep her text in the form, based on the current version, so she can merge and resave.
                retry = request.POST.copy()
                retry["version"] = str(conflict.version)
                form = form_class(retry, protocol=protocol)
                form.is_valid()
                form.add_error(None, exc.messages)
            except ValidationError as exc:
                add_service_errors(form, exc)
    return render(request, "protocols/item_edit.html",
                  {"item": item, "protocol": protocol, "form": form, "conflict": conflict,
                   "audience_only": not writer or narrowing, "narrowing": narrowing},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    protocol = selectors.get_protocol_for_user(request.user, item.protocol_id, audit=False)
    if not services.can_write_items(request.user, protocol):
        raise PermissionDenied
    form = forms.ActionForm(request.POST or None, protocol=protocol, item=item)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.action_create(request.user, item=item, title=data["title"], description=data["description"],
                                       due_on=data["due_on"], **form.responsible_kwargs())
                messages.success(request, _("The action is recorded."))
                return _back(protocol.pk, f"item-{item.pk}")
            except ValidationError as exc:
                add_service_errors(form, exc)
    return render(request, "protocols/action_form.html", {"item": item, "protocol": protocol, "form": form}, status=status)


def _post_service(request, protocol_id: int, call, *, success: str, anchor: str = "") -> HttpResponse:
    try:
        call()
        messages.success(request, success)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return _back(protocol_id, anchor)


@login_required
@require_POST
def item_review(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    form = forms.ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose done, continued or dropped."))
        return _back(item.protocol_id, f"item-{item.pk}")
    return _post_service(request, item.protocol_id, lambda: services.review_record(
        request.user, item=item, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"],
        based_on_status=form.cleaned_data["action_status"] or None),
        success=_("The review is recorded."), anchor=f"item-{item.pk}")


@login_required
@require_POST
def next_review(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk, audit=False)
    if not services.can_write_items(request.user, protocol):  # before the form: a reader gets 403, not its page
        raise PermissionDenied(_("Only the convenor or the minute-taker writes the protocol."))
    form = forms.NextReviewForm(request.POST)
    if not form.is_valid():
        if form.stale:  # said beside the form, with her date: nothing is compared with a made-up date
            context = _protocol_context(request, protocol)
            context["next_review_form"] = form
            return render(request, "protocols/protocol_detail.html", context, status=400)
        messages.error(request, _("Enter a valid date."))
        return _back(protocol.pk)
    try:
        services.protocol_set_next_review(request.user, protocol=protocol, next_review_on=form.cleaned_data["next_review_on"],
                                          based_on=form.cleaned_data["based_on"])
    except conflicts.EditConflict as conflict:
        # Her date stays in the form, now based on the date as it is, shown beside it.
        current = conflict.current
        context = _protocol_context(request, current)
        context["next_review_form"], context["next_review_conflict_rows"] = conflicts.refused_form(
            forms.NextReviewForm, conflict, request.POST, lambda form: {"next_review_on": current.next_review_on},
            field="based_on", based_on=services.next_review_based_on(current.next_review_on))
        return render(request, "protocols/protocol_detail.html", context, status=409)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("The next review date is set."))
    return _back(protocol.pk)


@login_required
@require_POST
def parent_summary(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk, audit=False)
    if not services.is_convenor(request.user, protocol):  # before the form: a reader gets 403, not its page
        raise PermissionDenied(_("Only the convenor may do this."))
    form = forms.ParentSummaryForm(request.POST)
    if not form.is_valid():  # the text itself is free: only what it started from can be missing or malformed
        context = _protocol_context(request, protocol)
        context["summary_form"] = form
        return render(request, "protocols/protocol_detail.html", context, status=400)
    try:
        services.parent_summary_set(request.user, protocol=protocol, text=form.cleaned_data["parent_summary"],
                                    based_on=form.cleaned_data["based_on"])
    except conflicts.EditConflict as conflict:
        # Her text stays in the form, now on the current version, beside the summary as it is now.
        current = conflict.current
        context = _protocol_context(request, current)
        context["summary_form"], context["summary_conflict_rows"] = conflicts.refused_form(
            forms.ParentSummaryForm, conflict, request.POST, lambda form: {"parent_summary": current.parent_summary},
            field="based_on", based_on=services.summary_digest(current.parent_summary))
        return render(request, "protocols/protocol_detail.html", context, status=409)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("The summary for the parents is saved."))
    return _back(protocol.pk)


@login_required
@require_POST
def protocol_release(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk, audit=False)
    return _post_service(request, protocol.pk, lambda: services.protocol_release(request.user, protocol=protocol),
                         success=_("The draft is released to the participants."))


@login_required
@require_POST
def protocol_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk, audit=False)
    form = forms.FinaliseForm(request.POST)
    confirm = form.is_valid() and form.cleaned_data["confirm_early"]
    return _post_service(request, protocol.pk, lambda: services.protocol_finalise(
        request.user, protocol=protocol, confirm_early=confirm), success=_("The protocol is final."), anchor="minutes-heading")


def _invitation_label(invitation) -> str:
    if invitation.family_member_id:
        return str(invitation.family_member)
    if invitation.user_id:
        return f"{invitation.user} ({invitation.organisation})"
    return str(invitation.organisation)


def _tell_what_was_saved(request: HttpRequest, saved: conflicts.RecordSaved) -> None:
    """Say what was saved, and name the people whose record was not (invitation withdrawn meanwhile)."""
    if saved.not_saved:
        people = ", ".join(_invitation_label(invitation) for invitation in saved.not_saved)
        messages.warning(request, ngettext(
            "Not saved: the invitation of %(people)s was withdrawn meanwhile, so what you recorded for it was not kept.",
            "Not saved: the invitations of %(people)s were withdrawn meanwhile, so what you recorded for them was not kept.",
            len(saved.not_saved)) % {"people": people})
    if saved.saved or not saved.not_saved:
        messages.success(request, _("The attendance is recorded."))


def _attendance_invitations(protocol) -> list:
    invitations = selectors.invitations_for_attendance(protocol)
    for invitation in invitations:
        invitation.label = _invitation_label(invitation)
    return invitations


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk, audit=False)
    if not services.is_convenor(request.user, protocol):
        raise PermissionDenied
    invitations = _attendance_invitations(protocol)
    form = forms.AttendanceForm(request.POST or None, protocol=protocol, invitations=invitations,
                                initial={"based_on": services.attendance_based_on(protocol, invitations)})
    status, conflict_rows = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = services.attendance_record(request.user, protocol=protocol, attendance=form.attendance(),
                                                   minute_taker=form.cleaned_data["minute_taker"],
                                                   based_on=form.cleaned_data["based_on"])
            except conflicts.EditConflict as conflict:
                # What she changed stays in the form, now based on the record as it is, shown beside it.
                protocol = conflict.current
                invitations = _attendance_invitations(protocol)
                now = services.attendance_based_on(protocol, invitations)
                retry = form.rebased(services.attendance_parse_based_on(form.cleaned_data["based_on"]),
                                     services.attendance_parse_based_on(now))
                form, conflict_rows = conflicts.refused_form(
                    lambda data: forms.AttendanceForm(data, protocol=protocol, invitations=invitations),
                    conflict, retry, lambda form: form.stored_values(), field="based_on", based_on=now)
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _tell_what_was_saved(request, saved)
                return _back(protocol.pk, "minutes-heading")
    return render(request, "protocols/attendance.html", {
        "protocol": protocol, "conference": protocol.conference, "case": protocol.conference.case, "form": form,
        "conflict_rows": conflict_rows,
    }, status=status)


@login_required
@require_POST
def action_remove(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.get_action_for_user(request.user, pk)
    protocol = selectors.get_protocol_for_user(request.user, action.item.protocol_id, audit=False)
    if not services.can_write_items(request.user, protocol):
        raise PermissionDenied
    try:
        services.action_remove(request.user, action=action)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("protocols:action_detail", pk=action.pk)
    messages.success(request, _("The action “%(title)s” is removed.") % {"title": action.title})
    return _back(protocol.pk, f"item-{action.item_id}")


@login_required
@require_POST
def protocol_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    protocol = selectors.get_protocol_for_user(request.user, pk, audit=False)
    return _post_service(request, protocol.pk, lambda: services.protocol_acknowledge(request.user, protocol=protocol),
                         success=_("Thank you – you confirmed that you have read the protocol."))


@login_required
@require_POST
def correction_propose(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    form = forms.CorrectionForm(request.POST)
    if not form.is_valid():
        if form.stale:  # said beside her text, which stays in the form: nothing is proposed on a made-up text
            return _correction_refused(request, item, form, status=400)
        messages.error(request, _("Enter the corrected text."))
        return _back(item.protocol_id, f"item-{item.pk}")
    try:
        proposal = services.correction_propose(request.user, item=item, proposed_text=form.cleaned_data["proposed_text"],
                                               version=form.cleaned_data["version"])
    except conflicts.EditConflict as conflict:
        # Her text stays in the form, now based on the item as it is, whose text the page shows above it.
        form = forms.CorrectionForm(conflicts.retry_data(request.POST, conflict.current.version))
        form.is_valid()
        form.add_error(None, conflict)
        return _correction_refused(request, item, form, status=409)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Your correction is proposed to the organisation holding the information, which "
                                    "decides on it.") if rules.holder_is_told(proposal) else
                         _("Your correction is proposed to the convenor."))
    return _back(item.protocol_id, f"item-{item.pk}")


def _correction_refused(request: HttpRequest, item, form, *, status: int) -> HttpResponse:
    """The protocol page with her refused proposal open in the item's form, its error beside it."""
    protocol = selectors.get_protocol_for_user(request.user, item.protocol_id, audit=False)
    context = _protocol_context(request, protocol)
    context["correction_form"], context["correction_item_id"] = form, item.pk
    return render(request, "protocols/protocol_detail.html", context, status=status)


@login_required
@require_POST
def correction_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = CorrectionProposal.objects.filter(
        pk=pk, item__in=selectors.items_for_user(request.user).values("pk")).select_related("item__protocol__conference__case").first()
    if proposal is None:
        raise Http404("No such proposal")
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose accept or reject and give a reason."))
        return _back(proposal.item.protocol_id, "corrections")
    return _post_service(request, proposal.item.protocol_id, lambda: services.correction_decide(
        request.user, proposal=proposal, accept=form.cleaned_data["decision"] == "accept", reason=form.cleaned_data["reason"]),
        success=_("The decision is recorded."), anchor="corrections")


@login_required
@require_POST
def amendment_create(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    form = forms.AmendmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the amendment and its reason."))
        return _back(item.protocol_id, f"item-{item.pk}")
    return _post_service(request, item.protocol_id, lambda: services.amendment_create(
        request.user, item=item, text=form.cleaned_data["text"], reason=form.cleaned_data["reason"]),
        success=_("The amendment is added."), anchor=f"item-{item.pk}")


# --- agreed actions -------------------------------------------------------------------------

@login_required
def my_actions(request: HttpRequest) -> HttpResponse:
    if not cases_policy.has_case_pages(request.user):
        raise PermissionDenied(_("Only professionals of a network and the parents of a family have agreed actions here."))
    cases = list(cases_policy.cases_for_user(request.user).order_by("reference").only("pk", "reference"))
    filters = forms.MyActionsFilter(request.GET or None, cases=cases,
                                    leads_cases=selectors.convened_case_ids(request.user).exists())
    data = filters.cleaned_data if filters.is_valid() else {}
    actions = list(selectors.my_actions(request.user, status=data.get("status") or None, due=data.get("due") or None,
                                        case_id=data.get("case"), scope=data.get("scope") or "mine"))
    links = {c.pk: case_url(c) for c in cases}
    for action in actions:
        action.case_link = links.get(action.case_id)
    selectors.audit_actions_read(request.user, actions, channel=Channel.PAGE)
    return render(request, "protocols/my_actions.html", {
        "filters": filters, "actions": actions, "today": timezone.localdate(),
        "overdue_steps": selectors.overdue_minutes_steps_for_user(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.get_action_for_user(request.user, pk)
    can_update = protocols_policy.can_update_action(request.user, action)
    form = forms.ActionStatusForm(request.POST or None, initial={"status": action.status, "version": action.version})
    status = 200
    if request.method == "POST":
        if not can_update:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                services.action_update_status(request.user, action=action, status=form.cleaned_data["status"],
                                              note=form.cleaned_data["note"], version=form.cleaned_data["version"])
                messages.success(request, _("The action is updated."))
                return redirect("protocols:action_detail", pk=action.pk)
            except conflicts.EditConflict:
                status = 409
                form.add_error(None, _("Someone else updated this action in the meantime. Check its current state and try again."))
                action = selectors.get_action_for_user(request.user, pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
    return _action_page(request, action, form=form, can_update=can_update, status=status)


def _may_reassign(user, action: AgreedAction) -> bool:
    return action.status in OPEN_STATES and cases_policy.can_convene(user, action.case)


def _reassign_form(action: AgreedAction, data=None) -> forms.ActionReassignForm:
    return forms.ActionReassignForm(data, protocol=action.item.protocol, item=action.item,
                                    initial={"version": action.version})


def _action_page(request: HttpRequest, action: AgreedAction, *, form=None, reassign_form=None, can_update=None,
                 status: int = 200) -> HttpResponse:
    if can_update is None:
        can_update = protocols_policy.can_update_action(request.user, action)
    if form is None:
        form = forms.ActionStatusForm(initial={"status": action.status, "version": action.version})
    if reassign_form is None and _may_reassign(request.user, action):
        reassign_form = _reassign_form(action)
    item_readable = selectors.item_visible_to(request.user, action.item_id)
    protocol = action.item.protocol
    removable = (protocol.status == Protocol.Status.DRAFT and services.can_write_items(request.user, protocol)
                 and not action.review_items.exists())
    return render(request, "protocols/action_detail.html", {
        "removable": removable, "dropped": AgreedAction.Status.DROPPED,
        "action": action, "form": form, "can_update": can_update, "item_readable": item_readable,
        "reassign_form": reassign_form,
        "case_url": case_url(action.case), "today": timezone.localdate(),
        "responsible": selectors.responsible_label(action),
    }, status=status)


@login_required
@require_POST
def action_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give an open action to someone else (``services.action_reassign``); on a refusal the action's
    page again, with the form's errors."""
    action = selectors.get_action_for_user(request.user, pk)
    if not cases_policy.can_convene(request.user, action.case):
        raise PermissionDenied
    form = _reassign_form(action, request.POST)
    status = 400
    if form.is_valid():
        try:
            services.action_reassign(request.user, action=action, version=form.cleaned_data["version"],
                                     reason=form.cleaned_data["reason"], **form.responsible_kwargs())
            messages.success(request, _("The action now falls to %(responsible)s.") % {
                "responsible": selectors.responsible_label(AgreedAction.objects.get(pk=action.pk))})
            return redirect("protocols:action_detail", pk=action.pk)
        except conflicts.EditConflict as exc:
            status = 409
            action = selectors.get_action_for_user(request.user, pk)
            # her choice kept, now based on the action as it stands: sending it again is her decision
            data = request.POST.copy()
            data[f"{forms.ActionReassignForm.prefix}-version"] = action.version
            form = _reassign_form(action, data)
            form.is_valid()
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _action_page(request, action, reassign_form=form, status=status)


@login_required
def my_agreements(request: HttpRequest) -> HttpResponse:
    """A parent's own page: what she agreed to do, what others do for her family, and the
    protocols of her conferences (draft or final), in plain words."""
    if not cases_policy.parent_case_ids(request.user).exists():
        raise Http404
    agreements = selectors.family_agreements(request.user)
    return render(request, "protocols/my_agreements.html", {"agreements": agreements, "today": timezone.localdate()})
