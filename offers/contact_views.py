"""The public contact form of an offer and the staff's list of contact requests."""
from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext as _
from django.views.decorators.http import require_POST

from permissions import audit

from . import access, contact, selectors
from . import contact_services as cs
from .forms import ContactRequestForm


def contact_context(offer, form=None) -> dict:
    if not (offer.accepts_contact_requests and offer.visibility == offer.Visibility.PUBLIC):
        return {}
    form = form or ContactRequestForm(initial={"started": contact.new_form_token()})
    return {"contact_form": form, "pow_challenge": json.dumps(contact.new_challenge())}


def _spam_check(request: HttpRequest, form: ContactRequestForm) -> tuple[str | None, int]:
    """The reason to refuse (shown to the person) and the status, or (None, 200). Runs only on a
    form that is otherwise valid; see ``offers.contact`` for the checks."""
    data = form.cleaned_data
    if data["website"]:
        return _("Your request could not be sent. Please call or write to us directly."), 400
    check = contact.check_form_token(data["started"])
    if check == contact.FormCheck.INVALID:
        return _("Your request could not be sent. Please call or write to us directly."), 400
    if check != contact.FormCheck.OK:
        return _("Please check your entries and send the form again."), 400
    if data["pow"]:
        if not contact.verify(data["pow"]):
            return _("The automatic spam check did not finish. Please send the form again, or call us."), 400
    elif contact.rate_limited_without_pow(request):
        return _("Too many requests from your connection. Please try again in an hour, or call us."), 429
    return None, 200


@require_POST
def contact_request_create(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_offer_for_user(None, pk)  # public offers only, whoever asks
    if not offer.accepts_contact_requests:
        raise Http404("No contact form.")
    form = ContactRequestForm(request.POST)
    error, status = None, 400
    if contact.rate_limited(request):
        error, status = _("Too many requests from your connection. Please try again in an hour, or call us."), 429
    elif form.is_valid():
        error, status = _spam_check(request, form)
    if error:
        form.add_error(None, error)
    if form.is_valid() and not error:
        try:
            cs.contact_request_create(offer=offer, reach_by=form.cleaned_data["reach_by"], name=form.cleaned_data["name"],
                                      preferred_time=form.cleaned_data["preferred_time"], language=get_language() or "")
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect(reverse("offers:offer_public", args=[offer.pk]) + "?sent=1#contact")
    # Sent back to be checked: what she typed stays, with a fresh form token and an empty honeypot.
    data = request.POST.copy()
    data["started"], data["website"], data["pow"] = contact.new_form_token(), "", ""
    form.data = data
    return render(request, "offers/offer_public.html", {"offer": offer, **contact_context(offer, form)}, status=status)


@login_required
def contact_requests(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.get_managed_offer(request.user, pk)
    items = access.contact_requests_for(request.user).filter(offer=offer).order_by("handled_at", "created_at")
    audit.record(request.user, action="contact_request.list", obj=offer)
    return render(request, "offers/contact_requests.html", {"offer": offer, "items": items})


@login_required
@require_POST
def contact_request_handle(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.contact_requests_for(request.user).select_related("offer").filter(pk=pk).first()
    if item is None:
        raise Http404("No such contact request.")
    cs.contact_request_handle(request.user, request=item)
    messages.success(request, _("Marked as handled. The request will be deleted automatically."))
    return redirect("offers:contact_requests", pk=item.offer_id)
