"""The access window: when a member may sign in, in plain words."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.models import Member


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "l j F Y, H:i")


def window_message(user) -> str:
    """Empty while the member may use the portal; otherwise why not, with the date."""
    member = Member.objects.filter(user=user).first()
    if member is None:
        return ""
    state = member.window_state()
    if state == "before":
        return f"Your access opens on {_when(member.access_from)}. Please come back then."
    if state == "after":
        return f"Your access ended on {_when(member.access_until)}. Ask the owner if you need it again."
    return ""
