"""HomeOps does not run under WSGI: this module refuses, with the command that does.

Under WSGI there is no `/v1` (the OpenAI-compatible API and the fast `/ping/` path are ASGI
apps ahead of Django in homeops/asgi.py) and chat answers cannot stream. A WSGI server
pointed here (gunicorn, uWSGI, mod_wsgi, `manage.py runserver`) stops at once with this
message instead of serving a portal with parts missing. WSGI_APPLICATION names this module
so that Django's own WSGI uses meet the same message."""

from django.core.exceptions import ImproperlyConfigured

MESSAGE = (
    "HomeOps runs under ASGI, not WSGI: start it with `uvicorn homeops.asgi:application` "
    "(`make run` does, with the worker and beat), or `uvicorn homeops.asgi:application --reload` "
    "while developing. `manage.py runserver` and WSGI servers would serve it without /v1 and "
    "without streamed chat answers."
)

raise ImproperlyConfigured(MESSAGE)
