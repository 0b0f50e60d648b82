"""Comparison only, for bench/pings.py's configuration d: HomeOps' Django app behind
uvicorn's WSGI interface. homeops/wsgi.py refuses to load (HomeOps runs under ASGI), so the
benchmark builds Django's plain WSGI handler itself; it has no /v1 and no fast ping path."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # uvicorn's --app-dir is bench/

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homeops.settings")
application = get_wsgi_application()
