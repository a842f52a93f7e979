"""Landing dashboard and the accessibility statement."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from participants.selectors import dashboard_for_user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "participants/dashboard.html", {"board": dashboard_for_user(request.user)})


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "participants/accessibility.html")
