from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.roles import require


@require("ledger")
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "ledger/index.html")
