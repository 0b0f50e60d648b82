"""The main navigation: label, URL name and the capability that shows it."""

from __future__ import annotations

from django.urls import reverse

NAV: list[tuple[str, str, str]] = [
    ("Chat", "chat:index", "chat"),
    ("Status", "status:index", "status"),
    ("Runbooks", "runbooks:index", "runbooks"),
    ("Handover", "runbooks:handover", "handover"),
    ("Maintenance", "maintenance:index", "maintenance"),
    ("Ledger", "ledger:index", "ledger"),
    ("Binder", "binder:index", "binder"),
    ("Settings", "core:settings", "settings"),
]


def items_for(capabilities: dict[str, bool], current_path: str) -> list[dict]:
    items = []
    for label, url_name, capability in NAV:
        if capabilities.get(capability):
            url = reverse(url_name)
            items.append({"label": label, "url": url, "current": current_path.startswith(url)})
    return items
