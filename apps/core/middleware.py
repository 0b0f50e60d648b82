"""Content-Security-Policy on every page Django answers.

Scripts come only from our own static files: no inline <script>, no onclick= or hx-on
attributes, no eval (htmx's allowEval is off in base.html), no other origin. A link or
markup that slips past the forms and the Markdown sanitizer still cannot run script.
Styles are our own files too (htmx's inline indicator style is off; the rules are in
homeops.css), and the portal may not be framed.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware(MiddlewareMixin):  # the mixin: sync and async alike
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # DEBUG's technical error pages are Django's, with inline script and style; a
        # production error page is templates/500.html, which needs neither.
        if not (settings.DEBUG and response.status_code >= 400):
            response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
