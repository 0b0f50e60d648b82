import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homeops.settings")
django_application = get_asgi_application()

from apps.status import ping_asgi  # noqa: E402 (needs the apps loaded above)


async def application(scope, receive, send):
    """Pings take a short path (apps/status/ping_asgi.py); everything else is Django. The
    lifespan events (uvicorn's start and stop) let that path close its connections."""
    if scope["type"] == "lifespan":
        return await ping_asgi.lifespan(scope, receive, send)
    if scope["type"] == "http":
        match = ping_asgi.PATH.match(scope["path"])
        if match:
            return await ping_asgi.handle(scope, receive, send, match)
    return await django_application(scope, receive, send)
