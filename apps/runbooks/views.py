from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.roles import require


@require("runbooks")
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "runbooks/index.html")
