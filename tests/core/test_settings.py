"""Settings parsing: every malformed value stops start-up with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from homeops import env

ROOT = Path(__file__).resolve().parents[2]


def load_settings(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    """Import the real settings module in a fresh interpreter with these variables."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    clean.update({"HOMEOPS_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "homeops.settings", **variables})
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY[:4])"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("PORT", "eighty", "PORT must be a whole number"),
        ("PORT", "70000", "PORT must be at most 65535"),
        ("HOMEOPS_SESSION_DAYS", "0", "HOMEOPS_SESSION_DAYS must be at least 1"),
        ("HOMEOPS_DB_POOL_SIZE", "0", "HOMEOPS_DB_POOL_SIZE must be at least 1"),
        ("REDIS_URL", "unix:///run/redis.sock", "REDIS_URL must start with one of redis://, rediss://"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE is not a known time zone"),
        ("DATABASE_URL", "mysql://db/homeops", "DATABASE_URL must start with one of"),
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL must start with one of"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT must be a whole number"),
        ("HOMEOPS_LOG_LEVEL", "LOUD", "HOMEOPS_LOG_LEVEL must be"),
        ("HOMEOPS_SECURE_COOKIES", "sometimes", "HOMEOPS_SECURE_COOKIES must be true or false"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(tmp_path, variable, value, words):
    result = load_settings(tmp_path, **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert words in result.stderr


@pytest.mark.parametrize("key", ["", "changeme", "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789", "short"])
def test_production_refuses_a_missing_or_well_known_secret_key(tmp_path, key):
    result = load_settings(tmp_path, SECRET_KEY=key, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is missing, too short or a well-known placeholder" in result.stderr


def test_debug_accepts_a_weak_key_for_local_work(tmp_path):
    result = load_settings(tmp_path, SECRET_KEY="changeme", DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "chan"


def test_an_unset_key_is_generated_once_into_the_data_dir(tmp_path):
    first = load_settings(tmp_path, DEBUG="false")
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text()) >= 50
    second = load_settings(tmp_path, DEBUG="false")
    assert second.stdout == first.stdout


def test_secret_key_file_variant_is_read(tmp_path):
    secret = tmp_path / "key.txt"
    secret.write_text("k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH\n")
    result = load_settings(tmp_path, SECRET_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "kkkk"


def test_an_unreadable_secret_file_is_named(tmp_path):
    result = load_settings(tmp_path, SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert "SECRET_KEY_FILE names a file that cannot be read" in result.stderr


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)])
def test_booleans_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("HOMEOPS_X", raw)
    assert env.boolean("HOMEOPS_X", not expected) is expected


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "nas.lan, homeops.example.lan,,")
    assert env.strings("ALLOWED_HOSTS", []) == ["nas.lan", "homeops.example.lan"]


def test_an_unset_variable_takes_its_default(monkeypatch):
    monkeypatch.delenv("HOMEOPS_X", raising=False)
    assert env.integer("HOMEOPS_X", 7) == 7
    assert env.string("HOMEOPS_X", "d") == "d"


def test_a_bad_url_is_not_echoed_in_full(tmp_path):
    result = load_settings(tmp_path, DATABASE_URL="mysql://homeops:hunter2@db/homeops")
    assert "got mysql://..." in result.stderr
    assert "hunter2" not in result.stderr


def test_tls_and_ssl_together_are_refused(tmp_path):
    result = load_settings(tmp_path, EMAIL_USE_TLS="true", EMAIL_USE_SSL="true")
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true" in result.stderr


def test_integer_bounds_raise(monkeypatch):
    monkeypatch.setenv("HOMEOPS_X", "0")
    with pytest.raises(ImproperlyConfigured, match="HOMEOPS_X must be at least 1"):
        env.integer("HOMEOPS_X", 5, minimum=1, maximum=9)


def test_postgres_goes_through_a_bounded_pool(tmp_path):
    """Under ASGI a persistent connection per request thread exhausted Postgres (bench/README.md)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean.update(
        HOMEOPS_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="homeops.settings",
        DATABASE_URL="postgres://u@db.example.lan/homeops",
        HOMEOPS_DB_POOL_SIZE="5",
    )
    code = "from django.conf import settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['OPTIONS'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    max_age, options = result.stdout.strip().split(" ", 1)
    assert max_age == "0", result.stderr
    assert eval(options) == {  # noqa: S307 (our own settings, printed as a dict)
        "pool": {"min_size": 1, "max_size": 5, "timeout": 10},
        "connect_timeout": 5,
        "options": "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=300000",
    }


def documented_env_file() -> dict[str, str]:
    """The variables of the env file docs/operations.md tells the owner to write."""
    text = (ROOT / "docs" / "operations.md").read_text()
    block = text.split("# /etc/homeops/homeops.env:", 1)[1].split("```", 1)[0]
    pairs = (line.split("=", 1) for line in block.splitlines() if "=" in line and not line.startswith("#"))
    return {name: value.strip('"') for name, value in pairs}


def run_manage(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process (Playwright's sync API),
    # and check --deploy refuses it.
    ours = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean.update(variables, HOMEOPS_DATA_DIR=str(tmp_path))
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_the_documented_production_settings_pass_check_deploy(tmp_path):
    variables = documented_env_file()
    assert variables["DEBUG"] == "false" and variables["HOMEOPS_BEHIND_PROXY"] == "true"
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **variables)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def security(tmp_path: Path, **variables: str) -> str:
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    clean.update(variables, HOMEOPS_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="homeops.settings")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_https_only_behind_a_proxy_and_never_on_a_plain_http_trial(tmp_path):
    assert security(tmp_path, DEBUG="false", HOMEOPS_BEHIND_PROXY="true") == "True 2592000 True True"
    # `make run` (DEBUG, plain http) and the documented plain-http LAN install: no redirect, no HSTS.
    assert security(tmp_path, DEBUG="true") == "False 0 True False"
    assert security(tmp_path, DEBUG="true", HOMEOPS_BEHIND_PROXY="true") == "False 0 True False"
    assert security(tmp_path, DEBUG="false", HOMEOPS_SECURE_COOKIES="false") == "False 0 True False"
    assert security(tmp_path, DEBUG="false", HOMEOPS_BEHIND_PROXY="true", HOMEOPS_SECURE_COOKIES="false") == (
        "False 0 True False"
    )
    # The owner's own choices win.
    overrides = {"HOMEOPS_SSL_REDIRECT": "true", "HOMEOPS_HSTS_SECONDS": "3600"}
    overrides["HOMEOPS_HSTS_INCLUDE_SUBDOMAINS"] = "no"
    assert security(tmp_path, DEBUG="false", **overrides) == "True 3600 False True"


@pytest.mark.django_db
def test_behind_the_proxy_plain_http_is_redirected_except_health_and_pings(client, settings):
    settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS = True, 2592000
    response = client.get("/status/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/status/"
    assert client.get("/healthz").status_code != 301
    assert client.get("/ping/0f9e7c3a-0000-4000-8000-000000000000").status_code == 404
    secure = client.get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=2592000; includeSubDomains"
