"""The accessibility statement, the account page and the organisation lead's member list (the
landing dashboard is in ``config/dashboard.py``)."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from participants import services
from participants.forms import LanguageForm
from participants.policy import may_join_a_family
from participants.roles import roles_of
from participants.selectors import organisation_members_for_lead
from permissions.middleware import has_second_factor, needs_second_factor


def not_offered(request: HttpRequest, **kwargs) -> HttpResponse:
    """allauth's own e-mail page (/accounts/email/) is not offered: the administrators manage the
    addresses of an account, and the account page shows it. Opening that page recorded the
    account's address as unverified, and allauth then refused every second factor."""
    raise Http404


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the same login, second factor and rate limits as everyone else.
    Someone signed in without admin rights is told so: sending her to the login page would send
    her straight back to the admin, and round again."""
    if request.user.is_authenticated and not request.user.is_staff:
        raise PermissionDenied(_("The administration is for the administrators of Fallkonferenz."))
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("account_login") + (f"?{query}" if query else ""))


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the static icon."""
    return redirect(static("favicon.svg"), permanent=True)


@login_required
def organisation_members(request: HttpRequest) -> HttpResponse:
    """Who works for the organisations she leads: where a lead checks an administrator's change."""
    members = list(organisation_members_for_lead(request.user))
    if not members:
        raise Http404
    return render(request, "participants/organisation_members.html", {"members": members})


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "participants/accessibility.html")


def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's language switch (a form, no script). Everyone gets Django's ``set_language``:
    the cookie, and back to the page she was on. A signed-in person's choice is also saved as her
    setting, through the account page's service (audited there), so that her e-mails, feeds and
    reminders change with her pages; the message says so in the new language."""
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if request.user.is_authenticated and language and language != request.user.preferred_language:
        try:
            services.user_language_set(request.user, language=language)
        except ValidationError:
            pass  # not an offered language: Django's view below leaves everything as it was
        else:
            with translation.override(language):
                messages.success(request, _("Your language has been saved."))
    return set_language(request)


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest, *, family_cases=()) -> HttpResponse:
    """Her account: password, second factor (and why), language, calendar subscriptions,
    notifications, and a parent's cases (``family_cases``, read by ``config.account`` above)."""
    current = request.user.preferred_language or translation.get_language()
    form = LanguageForm(request.POST or None, initial={"language": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_language_set(request.user, language=form.cleaned_data["language"])
        except ValidationError as exc:
            form.add_error("language", exc.messages)
        else:
            translation.activate(form.cleaned_data["language"])
            messages.success(request, _("Your language has been saved."))
            response = redirect("account")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"],
                                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE, httponly=True)
            return response
    return render(request, "participants/account.html", {
        "form": form, "roles": roles_of(request.user), "may_link_case": may_join_a_family(request.user),
        "family_cases": family_cases,
        "mfa_required": needs_second_factor(request.user), "mfa_active": has_second_factor(request.user)},
                  status=400 if form.errors else 200)
