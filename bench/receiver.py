"""A webhook receiver for the engine benchmark: answers ``/answer`` with a one-talk NCCO and
everything else with an empty 200, and counts what it receives (``GET /count``).

Run as ``python -m bench.receiver PORT``.
"""

from __future__ import annotations

import sys

import uvloop
from aiohttp import web

NCCO = b'[{"action":"talk","text":"Hello"}]'
received = 0


async def hook(request: web.Request) -> web.Response:
    global received
    received += 1
    await request.read()
    body = NCCO if request.path == "/answer" else b""
    return web.Response(body=body, content_type="application/json")


async def count(_request: web.Request) -> web.Response:
    return web.json_response({"received": received})


def main() -> None:
    app = web.Application()
    app.router.add_get("/count", count)
    app.router.add_route("*", "/{tail:.*}", hook)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None,
                print=None, loop=uvloop.new_event_loop())  # fmt: skip


if __name__ == "__main__":
    main()
