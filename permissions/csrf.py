"""Make Django's CSRF origin check work with ``Referrer-Policy: no-referrer``.

Under ``no-referrer`` browsers serialise the Origin of a form POST as ``null`` (Fetch spec,
"serializing a request origin") and send no Referer, so Django's origin/referer check refuses
every form of the product. Browsers also send ``Sec-Fetch-Site``, a header no page can set or
forge; when it says ``same-origin`` the request provably comes from one of our own pages, and
the request's own origin is restored before ``CsrfViewMiddleware`` runs. The CSRF token is
still required; cross-site and header-less requests are left untouched and refused as before.
"""
from __future__ import annotations


class SameOriginNullOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("HTTP_ORIGIN") == "null" and request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin":
            request.META["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return self.get_response(request)
