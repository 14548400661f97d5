"""The engine's floor: what simulated calls would cost if ringway did nothing but the HTTP.

An ASGI callable that answers ``POST /_ringway/calls`` at once and, for each, makes the five
requests an inbound call makes (started, ringing, the answer URL, answered, completed) with
aiohttp, one after another, with bodies of the same kind (fewer fields) and no storage,
validation or timeline, nor any limit on the calls being set up at once. Run as
``uvicorn bench.engine_floor:app`` with ``HOOKS`` the receiver's base URL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import aiohttp
import orjson

HOOKS = os.environ.get("HOOKS", "")
CALLER, CALLED = "447700900001", "447700900000"
JSON = [(b"content-type", b"application/json")]
POST_HEADERS = {"Content-Type": "application/json"}
running: set[asyncio.Task[None]] = set()
client: aiohttp.ClientSession | None = None


async def call() -> None:
    global client
    client = client or aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
    leg = str(uuid.uuid4())

    async def event(status: str) -> None:
        body = orjson.dumps({"from": CALLER, "to": CALLED, "uuid": leg, "status": status})
        async with client.post(f"{HOOKS}/event", data=body, headers=POST_HEADERS) as response:
            await response.read()

    await event("started")
    await event("ringing")
    query = {"from": CALLER, "to": CALLED, "uuid": leg}
    async with client.get(f"{HOOKS}/answer", params=query) as response:
        orjson.loads(await response.read())
    await event("answered")
    await event("completed")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if scope["method"] == "POST":
        task = asyncio.create_task(call())
        running.add(task)
        task.add_done_callback(running.discard)
    body = orjson.dumps({"uuid": str(uuid.uuid4()), "status": "started"})
    status = 201 if scope["method"] == "POST" else 200
    await send({"type": "http.response.start", "status": status, "headers": JSON})
    await send({"type": "http.response.body", "body": body})
