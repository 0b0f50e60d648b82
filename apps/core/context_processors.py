from django.conf import settings
from django.http import HttpRequest

from apps.accounts.roles import capabilities_of
from apps.core.navigation import items_for


def household(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    nav = items_for(capabilities_of(user), request.path) if user is not None else []
    return {"household_name": settings.HOUSEHOLD_NAME, "nav_items": nav}
