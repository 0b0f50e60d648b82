"""The floor for bench/pings.py: the least an ASGI app can do under the same uvicorn (read the
body, answer "OK"), with no Django and no database. uvicorn's own per-request cost."""


async def app(scope, receive, send):
    if scope["type"] != "http":
        return  # lifespan: uvicorn carries on without it
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"3")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"OK\n"})
