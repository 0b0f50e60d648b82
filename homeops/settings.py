"""HomeOps settings: one file, read top to bottom, every value from the environment.

docs/configuration.md lists every variable with its default; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from homeops import env, redact

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.string("HOMEOPS_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.boolean("DEBUG", False)
HOUSEHOLD_NAME = env.string("HOMEOPS_HOUSEHOLD_NAME", "Our home")

# --- Secret key -------------------------------------------------------------------------
# Unset: generated once into the data dir (kept by the backup). Set but empty, too short
# or a well-known placeholder: refused unless DEBUG is on.
WELL_KNOWN_SECRET_KEYS = {"changeme", "change-me", "secret", "development", "insecure", "homeops"}
_SECRET_KEY_FILE = DATA_DIR / "secret_key"


def _secret_key() -> str:
    if "SECRET_KEY" in os.environ or "SECRET_KEY_FILE" in os.environ:
        key = env.secret("SECRET_KEY")
        weak = (
            len(key) < 32
            or key.lower() in WELL_KNOWN_SECRET_KEYS
            or key.startswith("django-insecure-")
            or len(set(key)) < 8
        )
        if weak and not DEBUG:
            raise ImproperlyConfigured(
                "SECRET_KEY is missing, too short or a well-known placeholder. Unset it to have one "
                "generated into the data dir, or set 50 random characters."
            )
        return key
    if not _SECRET_KEY_FILE.exists():
        # Web, worker and beat may start together on an empty data dir: write a temporary
        # file and link it into place, so exactly one key wins and nobody reads half a file.
        tmp = _SECRET_KEY_FILE.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, _SECRET_KEY_FILE)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return _SECRET_KEY_FILE.read_text().strip()


SECRET_KEY = _secret_key()
redact.remember(SECRET_KEY, label="$SECRET_KEY")

ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS", [])
PORT = env.integer("PORT", 8000, minimum=1, maximum=65535)
# Behind Caddy/nginx terminating TLS: trust X-Forwarded-Proto so request.is_secure() is right.
BEHIND_PROXY = env.boolean("HOMEOPS_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SECURE_COOKIES = env.boolean("HOMEOPS_SECURE_COOKIES", not DEBUG)
# HTTPS only, once a proxy serves it (docs/operations.md, "Reverse proxy"): plain-http requests
# are redirected, and browsers are told (HSTS) to use https for this name for 30 days. A trial
# run (DEBUG, plain http) and an install without a proxy keep both off. /healthz and the
# ping URLs stay reachable over http from the machine itself (a local check, a backup job).
SECURE_SSL_REDIRECT = env.boolean("HOMEOPS_SSL_REDIRECT", BEHIND_PROXY and SECURE_COOKIES)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^ping/"]
SECURE_HSTS_SECONDS = env.integer("HOMEOPS_HSTS_SECONDS", 30 * 86400 if SECURE_SSL_REDIRECT else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("HOMEOPS_HSTS_INCLUDE_SUBDOMAINS", True)
# `preload` asks browser makers to hard-code a public domain (hstspreload.org); a home portal's
# name is not one, so HomeOps never sends it and `check --deploy` need not suggest it.
SECURE_HSTS_PRELOAD = False
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.integer("HOMEOPS_SESSION_DAYS", 30, minimum=1) * 24 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so that its `runserver` (which refuses: HomeOps runs under ASGI) wins.
    "apps.core",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "apps.accounts",
    "apps.status",
    "apps.notify",
    "apps.gateway",
    "apps.chat",
    "apps.runbooks",
    "apps.handover",
    "apps.maintenance",
    "apps.ledger",
    "apps.binder",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.middleware.AccessWindowMiddleware",
    "apps.accounts.middleware.LoginRequiredMiddleware",
    # Caretakers: the access log, and the handover as their home page during a stay.
    "apps.handover.access.CaretakerMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "homeops.urls"
ASGI_APPLICATION = "homeops.asgi.application"
# Not served: homeops/wsgi.py refuses to load, with the command that starts HomeOps.
WSGI_APPLICATION = "homeops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.roles",
                "apps.core.context_processors.household",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env.url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
DB_POOL_SIZE = env.integer("HOMEOPS_DB_POOL_SIZE", 8, minimum=1, maximum=100)
DB_STATEMENT_SECONDS = env.integer("HOMEOPS_DB_STATEMENT_TIMEOUT", 30, minimum=1, maximum=3600)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI each request may run on a new thread, and a persistent connection per
        # thread exhausted Postgres' connection limit (bench/README.md, pings). A pool per
        # process bounds it: web, worker and beat each hold at most HOMEOPS_DB_POOL_SIZE.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["pool"] = {"min_size": 1, "max_size": DB_POOL_SIZE, "timeout": 10}
        # Bounds on every statement: a runaway query is cancelled by the server, a transaction
        # left open (a stuck worker holding locks) is ended, and a server that does not accept
        # the connection is given up on. docs/reliability.md says what a frozen server does.
        options.setdefault("connect_timeout", 5)
        options.setdefault(
            "options",
            f"-c statement_timeout={DB_STATEMENT_SECONDS * 1000} -c idle_in_transaction_session_timeout=300000",
        )
else:
    # SQLite: WAL, a busy timeout and IMMEDIATE transactions so web, worker and beat
    # do not trip over each other's locks. TEST.NAME is a file so that a Celery worker
    # started by the test suite sees the same test database.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "homeops.sqlite3"),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker and cache ---------------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", ("redis", "rediss"))
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu waits for ever on a Redis that accepts connections and never answers (frozen,
    # swapped out): bound every call, so a publish from beat or a task gives up and says so.
    # 5 s, not less: the worker's sync BRPOP waits up to a second for the server's reply.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 2}
    CELERY_BROKER_CONNECTION_TIMEOUT = 2
    CACHES = {
        "default": {
            "BACKEND": "homeops.cache.ResilientRedisCache",  # Redis down: misses, not errors
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "homeops",
            # An unreachable Redis must not hang a page: give up after a second.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # Embedded broker: message files in the data dir, so a fresh machine needs nothing but
    # Python. homeops/broker.py is kombu's filesystem transport with atomic renames (kombu's
    # own lost messages and crashed the worker under load: docs/architecture.md).
    # The file cache is shared by web, worker and beat.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT = "homeops.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
    for _sub in ("queue", "control", "tmp", "claimed"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Status board: raw check results are kept this long; hourly rollups for STATUS_HOURLY_DAYS;
# daily rollups forever.
STATUS_RAW_HOURS = env.integer("HOMEOPS_STATUS_RAW_HOURS", 48, minimum=2, maximum=24 * 30)
STATUS_HOURLY_DAYS = env.integer("HOMEOPS_STATUS_HOURLY_DAYS", 400, minimum=7)
# How often beat starts a polling round; each service still keeps its own interval.
STATUS_TICK_SECONDS = env.integer("HOMEOPS_STATUS_TICK_SECONDS", 5, minimum=1, maximum=60)
# /metrics (Prometheus text) answers only with `Authorization: Bearer <this token>`; unset: off.
METRICS_TOKEN = env.secret("HOMEOPS_METRICS_TOKEN")
# Gateway audit rows are kept this long; daily usage totals forever.
GATEWAY_AUDIT_DAYS = env.integer("HOMEOPS_GATEWAY_AUDIT_DAYS", 400, minimum=1)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
# Worker and beat prove they are alive with this task; /healthz calls them late after
# four missed beats. homeops.celery.Scheduler stamps the time beat sent it.
HEARTBEAT_SECONDS = env.integer("HOMEOPS_HEARTBEAT_SECONDS", 30, minimum=1, maximum=3600)
HEARTBEAT_STALE_SECONDS = 4 * HEARTBEAT_SECONDS
# How often beat looks for handovers that have ended (their summary goes out once).
HANDOVER_SUMMARY_SECONDS = env.integer("HOMEOPS_HANDOVER_SUMMARY_SECONDS", 60, minimum=1, maximum=3600)
CELERY_BEAT_SCHEDULER = "homeops.celery:Scheduler"
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "core.heartbeat",
        "schedule": float(HEARTBEAT_SECONDS),
        "options": {"expires": float(HEARTBEAT_SECONDS)},
    },
    "status-tick": {
        "task": "status.tick",
        "schedule": float(STATUS_TICK_SECONDS),
        "options": {"expires": float(STATUS_TICK_SECONDS)},
    },
    "status-rollup": {"task": "status.rollup_and_prune", "schedule": 3600.0, "options": {"expires": 1800.0}},
    # Claims new flips and fans out one notify.deliver task per channel and alert.
    "notify-send-alerts": {"task": "notify.send_alerts", "schedule": 10.0, "options": {"expires": 10.0}},
    # The gateway never asks a backend for its models on the request path.
    "gateway-refresh-models": {"task": "gateway.refresh_models", "schedule": 300.0, "options": {"expires": 300.0}},
    "chat-purge-deleted": {"task": "chat.purge_deleted", "schedule": 600.0, "options": {"expires": 600.0}},
    "gateway-usage-rollup": {"task": "gateway.rollup_usage", "schedule": 3600.0, "options": {"expires": 1800.0}},
    # The owner's summary of each handover that has ended (claimed once, apps/handover/services.py).
    "handover-summaries": {
        "task": "handover.send_summaries",
        "schedule": float(HANDOVER_SUMMARY_SECONDS),
        "options": {"expires": float(HANDOVER_SUMMARY_SECONDS)},
    },
    "handover-prune-access-log": {
        "task": "handover.prune_access_log",
        "schedule": 3600.0,
        "options": {"expires": 1800.0},
    },
    # Maintenance reminders: each (task, due day, kind, member) at most once, however often it runs.
    "maintenance-reminders": {"task": "maintenance.send_reminders", "schedule": 900.0, "options": {"expires": 900.0}},
}

# --- Sign-in (django-allauth) -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SECURE_COOKIES else "http"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email ---------------------------------------------------------------------------------
EMAIL_HOST = env.string("EMAIL_HOST")
EMAIL_PORT = env.integer("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env.boolean("EMAIL_USE_SSL", EMAIL_PORT == 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true.")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "homeops@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Without EMAIL_HOST nothing is sent: mails go to the log, and invitations offer a copyable link.
EMAIL_CONFIGURED = bool(EMAIL_HOST)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_CONFIGURED
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Locale and time -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.timezone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True


def household_clock_in_utc(hour: int, minute: int, zone: str) -> tuple[int, int]:
    """A household time of day as beat's clock (CELERY_TIMEZONE, UTC) reads it today. A DST
    change moves it by an hour until the next restart, which an early-morning job can bear."""
    local = datetime.now(ZoneInfo(zone)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    utc = local.astimezone(UTC)
    return utc.hour, utc.minute


# Yesterday's cloud tokens become money on the ledger at about 04:20 household time
# (apps/ledger/tokens.py); a missed morning is caught up by the next one, so it may expire.
_hour, _minute = household_clock_in_utc(4, 20, TIME_ZONE)
CELERY_BEAT_SCHEDULE["ledger-count-tokens"] = {
    "task": "ledger.count_tokens",
    "schedule": crontab(hour=_hour, minute=_minute),
    "options": {"expires": 3 * 3600.0},
}
# Cost creep once a month too (apps/ledger/creep.py): a new month ends purchases' amortisation
# and starts prices dated ahead, with no write to trigger the check. 06:15 household time on
# the 1st, never the month's last local day (06:15 UTC is still the 31st west of UTC-6:15).
# Beat counts days in UTC: east of UTC+6:15 the household's 06:15 on the 1st is the UTC 31st,
# so it runs at 06:15 on the 2nd there: a day late, but in the new month.
_hour, _minute = household_clock_in_utc(6, 15, TIME_ZONE)
CELERY_BEAT_SCHEDULE["ledger-creep-monthly"] = {
    "task": "ledger.check_creep",
    "schedule": crontab(minute=_minute, hour=_hour, day_of_month="1"),
    "options": {"expires": 6 * 3600.0},
}

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"

# --- Logging -------------------------------------------------------------------------------
LOG_LEVEL = env.string("HOMEOPS_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
    raise ImproperlyConfigured(f"HOMEOPS_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {LOG_LEVEL!r}).")
# Every record goes through one handler whose filter removes secrets (homeops/redact.py,
# docs/operations.md "Logs"): the web server's own loggers are routed to it too, and the worker
# and beat use this configuration (homeops/celery.py). HTTP clients log each request's URL,
# webhook tokens included, at INFO and DEBUG: they are kept to warnings.
QUIET_LOGGERS = ["httpx", "httpcore", "urllib3", "aiohttp.access", "aiohttp.client", "apprise", "hpack"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "homeops.redact.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        # uvicorn gives its loggers handlers of their own; send them through the filter too.
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.access": {"handlers": ["console"], "propagate": False},
    },
}

# --- HomeOps -------------------------------------------------------------------------------
# Maintenance reminders go out only between these household hours (then each channel's own
# quiet hours apply on top); a weekly digest on Mondays when turned on.
MAINTENANCE_REMIND_FROM = env.integer("HOMEOPS_MAINTENANCE_REMIND_FROM", 8, minimum=0, maximum=23)
MAINTENANCE_REMIND_UNTIL = env.integer("HOMEOPS_MAINTENANCE_REMIND_UNTIL", 20, minimum=1, maximum=24)
MAINTENANCE_WEEKLY_DIGEST = env.boolean("HOMEOPS_MAINTENANCE_DIGEST", False)
# Invitations and sign-in links stop working after this many days.
INVITATION_DAYS = env.integer("HOMEOPS_INVITATION_DAYS", 7, minimum=1, maximum=90)
# The household's yearly maintenance budget in hours, "low-high" (apps/maintenance/budget.py).
_hours = env.string("HOMEOPS_MAINTENANCE_HOURS", "50-100")
_low, _, _high = _hours.partition("-")
if not (_low.strip().isdigit() and _high.strip().isdigit() and 0 < int(_low) <= int(_high) <= 5000):
    raise ImproperlyConfigured(
        f"HOMEOPS_MAINTENANCE_HOURS must be hours a year as low-high, like 50-100 (got {_hours!r})."
    )
MAINTENANCE_HOURS = (int(_low), int(_high))
