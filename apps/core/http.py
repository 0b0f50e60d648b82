"""Request types for view annotations: what HomeOps' middleware adds to every request.

mypy sees only HttpRequest, whose user may be anonymous and which has no `htmx`.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails  # django_htmx.middleware.HtmxMiddleware


class MemberRequest(HtmxRequest):
    """A view that is not login_not_required: LoginRequiredMiddleware lets only members in."""

    user: User
