"""What the gateway app adds to the portal's shared pages: its menu entries, dashboard panels
and Settings pages (apps/core/navigation.py, apps/core/dashboard.py)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from apps.core import navigation
from apps.gateway import selectors

navigation.register_settings_page(
    navigation.SettingsPage(
        "Model gateway",
        "gateway:settings",
        order=40,
        description="Backends that run the models, routes (what the family asks for, with fallbacks), policies "
        "(budgets, quiet hours) and content logging.",
        links=(("usage", "gateway:usage"),),
    )
)


def _sees_usage(user: User | AnonymousUser) -> bool:
    return selectors.sees_everyone(user) or selectors.grants_a_model(user)


navigation.register_account_item(
    navigation.AccountItem("API keys", "gateway:keys", order=20, capability="api_keys", shown=selectors.grants_a_model)
)
navigation.register_account_item(
    navigation.AccountItem("Usage", "gateway:usage", order=30, capability="usage", shown=_sees_usage)
)
