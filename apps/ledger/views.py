from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.roles import require
from apps.ledger import charts, creep, reports, tokens


@require("ledger")
def index(request: HttpRequest) -> HttpResponse:
    """The overview: run rate, trend, by category, total cost of ownership, the cloud
    alternative, what changed since the last review and the open creep alerts (reports.py),
    and this month's paid cloud spend per member."""
    overview = reports.overview()
    baseline = overview.review.baseline if overview.review else None
    context = {
        "o": overview,
        "trend_chart": charts.trend(overview.trend, baseline=baseline),
        "category_chart": charts.by_category([(share.label, share.amount) for share in overview.categories]),
        "alerts": creep.open_alerts(),
        # Under the cloud category (tokens.py; reports.py cannot import it: tokens -> creep -> reports).
        "cloud_members": tokens.cloud_spend_by_member(today=overview.today),
    }
    return render(request, "ledger/index.html", context)
