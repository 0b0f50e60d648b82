"""`manage.py runserver` refuses, as homeops/wsgi.py does: Django's development server is a
WSGI server, and HomeOps needs ASGI (/v1, the fast ping path and streamed chat answers live
in homeops/asgi.py). This command wins over staticfiles' because apps.core comes before
django.contrib.staticfiles in INSTALLED_APPS."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError


def refusal() -> str:
    """What homeops/wsgi.py says when a WSGI server loads it."""
    try:
        import homeops.wsgi  # noqa: F401
    except ImproperlyConfigured as refused:
        return str(refused)
    return "HomeOps runs under ASGI: uvicorn homeops.asgi:application"


class Command(BaseCommand):
    help = "Refuses to start: HomeOps runs under ASGI (`make run`, or `uvicorn homeops.asgi:application --reload`)."

    def run_from_argv(self, argv: list[str]) -> None:
        # Whatever the arguments (an address, --noreload, ...), the answer is the same.
        self.stderr.write(f"CommandError: {refusal()}")
        sys.exit(1)

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(refusal())
