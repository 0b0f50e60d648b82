"""HomeOps runs under ASGI only: homeops/wsgi.py and `manage.py runserver` refuse to start and
say how to start it, instead of serving a portal without /v1 and without streamed answers."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
HOW = "uvicorn homeops.asgi:application"


def run(tmp_path: Path, *command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOMEOPS_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "homeops.settings"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_wsgi_module_refuses_to_load():
    with pytest.raises(ImproperlyConfigured, match="HomeOps runs under ASGI") as refused:
        importlib.import_module("homeops.wsgi")
    assert HOW in str(refused.value)


def test_a_wsgi_server_pointed_at_it_does_not_start(tmp_path):
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    started = run(tmp_path, uvicorn, "homeops.wsgi:application", "--interface", "wsgi", "--port", "0")
    assert started.returncode != 0
    assert "HomeOps runs under ASGI" in started.stderr + started.stdout
    assert HOW in started.stderr + started.stdout


@pytest.mark.parametrize("arguments", [(), ("127.0.0.1:0", "--noreload")])
def test_runserver_refuses_and_says_what_to_run(tmp_path, arguments):
    refused = run(tmp_path, sys.executable, "manage.py", "runserver", *arguments)
    assert refused.returncode == 1
    assert refused.stderr.startswith("CommandError: HomeOps runs under ASGI")
    assert HOW in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_system_check_passes(tmp_path):
    checked = run(tmp_path, sys.executable, "manage.py", "check")
    assert checked.returncode == 0, checked.stderr
