from django.conf import settings
from django.http import HttpRequest

from apps.accounts.roles import capabilities_of
from apps.core.navigation import account_items_for, items_for


def household(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    nav = items_for(capabilities_of(user), request.path) if user is not None else []
    account = account_items_for(user, request.path) if user is not None and user.is_authenticated else []
    return {"household_name": settings.HOUSEHOLD_NAME, "nav_items": nav, "account_items": account}
