"""Pages for answers that Django gives without one."""
from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import Resolver404, get_script_prefix, resolve
from django.utils.http import url_has_allowed_host_and_scheme

API_PREFIX = "/api/"


class MethodNotAllowedPageMiddleware:
    """Django's ``require_POST`` / ``require_GET`` answer 405 with an empty body, which the browser
    shows as its own error page in its own language, without a way on. A page request gets the
    project's page instead, with the same status and ``Allow`` header:

    - a form's address opened as a page (typed, from a bookmark, reloaded after a refused save,
      whose page stays at the form's address): "takes a sent form only", with a link to the page
      the form belongs to — the nearest shorter address that is a page (``/protocols/7/`` for
      ``/protocols/7/next-review/``), else the page she came from when it is one of ours;
    - a form sent to a page that takes none (from an old or forwarded page): "takes no form",
      with a link to open that page again.

    Links are paths on this site only, built from the address asked for or a same-origin
    Referer, never a redirect. The API's 405 (a JSON body from DRF) is left as it is, and so is a
    request that does not take HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (type(response) is not HttpResponseNotAllowed or response.content
                or request.path_info.startswith(API_PREFIX) or not request.accepts("text/html")):
            return response
        allowed = {method.strip().upper() for method in response["Allow"].split(",")}
        if "GET" in allowed:  # a page, sent a form
            context = {"takes_form": False, "page_url": _local_path(request.get_full_path())}
        else:
            context = {"takes_form": True, "back_url": _page_of_form(request) or _same_origin_referer(request)}
        page = render(request, "405.html", context, status=405)
        page["Allow"] = response["Allow"]
        return page


def _local_path(url: str) -> str | None:
    """``url`` as a path on this site, or None: never ``//host`` or a scheme."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else None


def _page_of_form(request: HttpRequest) -> str | None:
    """The nearest shorter address that is a page taking GET, one path segment up at a time (not
    the overview itself: the page links it anyway)."""
    segments = [segment for segment in request.path_info.split("/") if segment]
    for end in range(len(segments) - 1, 0, -1):
        candidate = "/" + "/".join(segments[:end]) + "/"
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if _takes_get(match.func):
            return _local_path(get_script_prefix().rstrip("/") + candidate)
    return None


def _takes_get(view) -> bool:
    """Whether a view answers GET, as far as its ``require_http_methods`` family decorator or
    its class says; a view that says nothing is taken to answer it."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return "get" in view_class.http_method_names and hasattr(view_class, "get")
    while view is not None:
        methods = _closure_value(view, "request_method_list")  # require_http_methods' own name for it
        if methods is not None:
            return "GET" in methods
        view = getattr(view, "__wrapped__", None)
    return True


def _closure_value(function, name: str):
    code, cells = getattr(function, "__code__", None), getattr(function, "__closure__", None) or ()
    for free, cell in zip(code.co_freevars if code else (), cells):
        if free == name:
            try:
                return cell.cell_contents
            except ValueError:  # an empty cell
                return None
    return None


def _same_origin_referer(request: HttpRequest) -> str | None:
    """The page she came from, as a path, when it is on this site and not this address."""
    referer = request.headers.get("Referer", "")
    if not referer or not url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                          require_https=request.is_secure()):
        return None
    parts = urlsplit(referer)
    if not parts.netloc or parts.path == request.path:
        return None
    return _local_path(parts.path + (f"?{parts.query}" if parts.query else ""))
