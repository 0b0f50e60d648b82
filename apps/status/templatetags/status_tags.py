from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.99871 -> '99.9%'; exactly 1 -> '100%'; None -> '—' (no checks in that window)."""
    if value is None:
        return "—"
    if value >= 1:
        return "100%"
    return f"{min(value * 100, 99.9):.1f}%"


@register.filter
def age(value) -> str:
    """How long ago, in one unit: '7 months' rather than '6 months, 4 weeks'."""
    from django.utils.timesince import timesince

    return timesince(value, depth=1) if value else ""
