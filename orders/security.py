"""HTTP response headers that limit what a page may load: the Content-Security-Policy.

Django 5.2 has no CSP support of its own (6.0 adds it), so one small middleware sets the
header on every response. Pages load scripts only from the app's own origin: htmx comes from
`{% htmx_script %}` as a static file, and the app's JavaScript lives in `static/js/`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    # The admin's templates (which our pages extend) and Django's widgets write inline
    # `style="…"` attributes, so inline styles must stay allowed. Scripts may not be inline.
    "style-src": "'self' 'unsafe-inline'",
    # The admin's CSS draws some icons as data: URIs.
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}
CONTENT_SECURITY_POLICY = "; ".join(f"{name} {value}" for name, value in CSP_DIRECTIVES.items())


class ContentSecurityPolicyMiddleware:
    """Add the Content-Security-Policy header to every response that has none yet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
