"""Pages and feeds of the calendar subscriptions: the calendar page (issue and revoke links), the
feeds behind those links, and the board meeting download. Thin: selectors read, services write.

The feed URLs (``feeds/<token>.ics``, ``feeds/<token>/tasks.ics``) are held by calendar clients
and must never change; they carry a secret, which ``permissions.logging.RedactFeedTokens`` keeps
out of the logs."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from cases import policy as cases_policy
from conferences import ical as conference_ical
from participants import policy as participants_policy
from participants.models import Network
from permissions import audit

from . import feeds, ical, selectors, services
from .forms import FeedTokenForm
from .models import FeedToken

Channel = audit.Channel


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _errors_into(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_GET
def board_meeting_ics(request, pk: int):
    meeting = selectors.get_board_meeting_for_user(request.user, pk)
    audit.record(request.user, action="board_meeting.download", obj=meeting, channel=Channel.PAGE)
    return _ics_response(ical.board_meeting_download(meeting), f"board-meeting-{meeting.pk}.ics")


def _calendar_context(request, *, form=None, new_token=None, new_url=None):
    user = request.user
    cases = list(cases_policy.cases_for_user(user).filter(pk__in=cases_policy.professional_case_ids(user)).order_by("reference"))

    networks = list(Network.objects.filter(pk__in=participants_policy.board_network_ids(user)).order_by("name"))
    tokens = []
    for token in selectors.feed_tokens_of(user):
        tokens.append(token)
    return {
        "form": form or FeedTokenForm(cases=cases, networks=networks, initial={"kind": FeedToken.Kind.PERSONAL}),
        "tokens": tokens, "new_token": new_token, "new_url": new_url,
        "new_webcal": new_url.replace("https://", "webcal://").replace("http://", "webcal://") if new_url else None,
        "new_tasks_url": new_url.removesuffix(".ics") + "/tasks.ics" if new_url and new_token and new_token.kind == FeedToken.Kind.PERSONAL else None,
        "cases": cases, "networks": networks,
    }


@login_required
@require_GET
def calendar(request):
    return render(request, "calendars/calendar.html", _calendar_context(request))


@login_required
@require_POST
def feed_token_create(request):
    context = _calendar_context(request)
    form = FeedTokenForm(request.POST, cases=context["cases"], networks=context["networks"])
    if not form.is_valid():
        return render(request, "calendars/calendar.html", _calendar_context(request, form=form), status=400)
    data = form.cleaned_data
    try:
        token, raw = services.feed_token_create(
            request.user, kind=data["kind"], case=form.case_objects.get(data.get("case") or ""),
            network=form.network_objects.get(data.get("network") or ""), expires_at=data["expires_at"], channel=Channel.PAGE,
        )
    except ValidationError as exc:
        _errors_into(form, exc)
        return render(request, "calendars/calendar.html", _calendar_context(request, form=form), status=400)
    url = conference_ical.absolute_url(reverse("calendars:feed", args=[raw]))
    response = render(request, "calendars/calendar.html", _calendar_context(request, new_token=token, new_url=url))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def feed_token_revoke(request, token_pk: int):
    token = FeedToken.objects.filter(pk=token_pk, user=request.user).first()
    if token is None:
        raise Http404
    services.feed_token_revoke(request.user, token=token, channel=Channel.PAGE)
    messages.success(request, _("The calendar link was revoked; calendars using it stop updating."))
    return redirect("calendars:calendar")


@require_safe  # HEAD answers as GET without a body (RFC 9110 §9.3.2); clients probe feeds with it
def feed(request, token: str):
    return feeds.serve(request, token)


@require_safe
def feed_tasks(request, token: str):
    return feeds.serve(request, token, tasks=True)

