import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "homeops.settings")
django_application = get_asgi_application()

from apps.gateway import relay, upstream, v1_asgi  # noqa: E402 (needs the apps loaded above)
from apps.status import ping_asgi  # noqa: E402


async def application(scope, receive, send):
    """Token endpoints take short paths ahead of Django's middleware: pings
    (apps/status/ping_asgi.py) and the OpenAI-compatible /v1 (apps/gateway/v1_asgi.py).
    The lifespan events (uvicorn's start and stop) let those paths close their connections."""
    if scope["type"] == "http":
        path = scope["path"]
        if path.startswith(v1_asgi.PREFIX):
            return await v1_asgi.handle(scope, receive, send)
        match = ping_asgi.PATH.match(path)
        if match:
            return await ping_asgi.handle(scope, receive, send, match)
    elif scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    return await django_application(scope, receive, send)


async def _lifespan(receive, send):
    """When the server stops: write the last audit rows, close the ping pool and the
    connections to the model backends."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await relay.settle()
            await ping_asgi.close_pool()
            await upstream.close_sessions()
            await send({"type": "lifespan.shutdown.complete"})
            return
