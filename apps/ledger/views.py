from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from apps.accounts.roles import require
from apps.ledger import charts, creep, reports


def _url(name: str, fallback: str) -> str:
    """A page another part of the ledger provides (items, import, settings), while it may not
    be there yet: its address, or where the same can be done meanwhile."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


@require("ledger")
def index(request: HttpRequest) -> HttpResponse:
    """The overview: run rate, trend, by category, total cost of ownership, the cloud
    alternative, what changed since the last review and the open creep alerts (reports.py)."""
    overview = reports.overview()
    baseline = overview.review.baseline if overview.review else None
    context = {
        "o": overview,
        "trend_chart": charts.trend(overview.trend, baseline=baseline),
        "category_chart": charts.by_category([(share.label, share.amount) for share in overview.categories]),
        "alerts": creep.open_alerts(),
        # The cloud alternative is a ledger setting (the `ledger:` section of the config file).
        "settings_url": _url("ledger:settings", reverse("core:config")),
        "item_new_url": _url("ledger:item_new", reverse("core:config")),
        "import_url": _url("ledger:import", reverse("core:config")),
    }
    return render(request, "ledger/index.html", context)
