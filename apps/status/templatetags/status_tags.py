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
