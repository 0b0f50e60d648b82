"""N aiohttp.web servers on 127.0.0.1 ephemeral ports, each answering after DELAY seconds.

Run as its own process (so its CPU is not charged to the measured one): prints one JSON
line with the ports, then serves until stdin closes or MAX_LIFETIME seconds pass.
Usage: python bench/_slow_servers.py [count=50] [delay_ms=50]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from aiohttp import web

MAX_LIFETIME = 900.0


async def main(count: int, delay: float) -> None:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.Response(text="ok\n")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ports = []
    for _ in range(count):
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        ports.append(site._server.sockets[0].getsockname()[1])
    print(json.dumps(ports), flush=True)
    loop = asyncio.get_running_loop()
    eof = loop.run_in_executor(None, sys.stdin.read)
    try:
        await asyncio.wait_for(eof, MAX_LIFETIME)
    except TimeoutError:
        await runner.cleanup()
        os._exit(0)  # the stdin reader thread is still blocked
    await runner.cleanup()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    ms = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
    asyncio.run(main(n, ms / 1000))
