"""The notification list, opening one, marking all read, and the e-mail preference. Thin."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .forms import PreferenceForm
from .messages import text_of
from .models import Notification


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notes = selectors.notifications_for_user(request.user)
    rows = [{"note": n, "text": text_of(n)} for n in notes]
    return render(request, "notifications/list.html", {"rows": rows, "unread": sum(1 for n in notes if n.read_at is None)})


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        note = selectors.get_notification_for_user(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404
    services.notification_open(request.user, notification=note)
    if not url_has_allowed_host_and_scheme(note.url, allowed_hosts=None):
        return redirect("notifications:list")
    return redirect(note.url)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = services.preference_of(request.user)
    form = PreferenceForm(request.POST or None, initial={"email": current})
    if request.method == "POST" and form.is_valid():
        services.preference_set(request.user, email=form.cleaned_data["email"])
        messages.success(request, _("Your notification settings have been saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form, "has_email": bool(request.user.email)},
                  status=400 if form.errors else 200)
