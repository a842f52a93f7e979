"""The account page with a parent's cases: the page itself is the participants app's, the cases
come from ``cases`` (a layer above it), so they are read here, in the top layer."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from cases.selectors import family_cases_for_user
from participants import views as participant_views


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return participant_views.account(request, family_cases=list(family_cases_for_user(request.user)))
