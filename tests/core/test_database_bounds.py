"""Every Postgres statement has a bound: a runaway query is cancelled by the server after
HOMEOPS_DB_STATEMENT_TIMEOUT seconds, and a transaction left open is ended."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not (settings.DATABASES["default"]["ENGINE"].endswith("postgresql")), reason="the bounds are Postgres settings"
)

SLOW_QUERY = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SHOW idle_in_transaction_session_timeout")
    print(cursor.fetchone()[0], flush=True)
    cursor.execute("SELECT pg_sleep(20)")
"""


def test_a_runaway_query_is_cancelled_after_the_statement_timeout(tmp_path):
    env = {**os.environ, "HOMEOPS_DB_STATEMENT_TIMEOUT": "1", "HOMEOPS_DATA_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "homeops.settings"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SLOW_QUERY], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    took = time.monotonic() - started
    assert done.returncode != 0 and "canceling statement due to statement timeout" in done.stderr
    assert done.stdout.strip() == "5min"
    assert took < 15  # interpreter and Django start-up included; the query alone would take 20 s
