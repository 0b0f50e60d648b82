from django.http import HttpRequest

from apps.accounts.roles import capabilities_of, role_of


def roles(request: HttpRequest) -> dict:
    """`can.settings`, `can.chat`, ... and `role` for templates."""
    user = getattr(request, "user", None)
    if user is None:
        return {"can": {}, "role": None}
    return {"can": capabilities_of(user), "role": role_of(user)}
