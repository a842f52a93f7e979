"""Pages for answers that Django gives without one."""
from __future__ import annotations

from django.http import HttpResponseNotAllowed
from django.shortcuts import render


class MethodNotAllowedPageMiddleware:
    """A form's address opened as a page (typed, from a bookmark, reloaded after a refused save,
    whose page stays at the form's address): Django's ``require_POST`` answers 405 with an empty
    body, which the browser shows as its own error page in its own language, without a way on. A
    page request gets the project's page instead, with the same status and ``Allow`` header. The
    API's 405 (a JSON body from DRF) is left as it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "GET" or type(response) is not HttpResponseNotAllowed or response.content:
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response["Allow"]
        return page
