"""A real HTTP server on 127.0.0.1 standing in for an application's webhooks: it answers each
path as told, records every request, and checks each request's signature."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import orjson
from aiohttp import web

from ringway.testing.served import ServedApp


@dataclass(frozen=True)
class Request:
    """A request the receiver got. ``signature_valid`` is ``None`` when it carried no
    signature, else whether it was signed with the account's signature secret over exactly
    this body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    signature_valid: bool | None

    @property
    def json(self) -> Any:
        """The body as JSON (``None`` when there is none or it is not JSON)."""
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None


@dataclass
class _Route:
    json: Any = None
    status: int = 200
    delay: float = 0.0


@dataclass
class WebhookReceiver:
    """``route`` says how to answer a path (by default: 200, empty); ``requests`` and
    ``wait_for`` tell what arrived."""

    signature_secret: str | None = None
    url: str = ""
    _routes: dict[str, _Route] = field(default_factory=dict)
    _received: list[Request] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def route(self, path: str, json: Any = None, status: int = 200, delay: float = 0.0) -> str:
        """Answer ``path`` with ``json`` (an NCCO, say) and ``status`` after ``delay`` seconds;
        the path's full URL, to give an application."""
        self._routes[path] = _Route(json, status, delay)
        return self.url + path

    def requests(self, path: str | None = None) -> list[Request]:
        with self._arrived:
            return [r for r in self._received if path is None or r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 5.0) -> list[Request]:
        """The requests to ``path`` once there are at least ``count``; an AssertionError saying
        what did arrive after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(found := [r for r in self._received if r.path == path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    arrived = sorted({r.path for r in self._received})
                    raise AssertionError(
                        f"{len(found)} of {count} request(s) to {path} within {timeout} s; "
                        f"requests arrived for: {', '.join(arrived) or 'no path'}"
                    )
                self._arrived.wait(left)
            return found

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        got = Request(request.method, request.path, dict(request.query), dict(request.headers),
                      body, self._signed(request.headers.get("Authorization"), body))  # fmt: skip
        with self._arrived:
            self._received.append(got)
            self._arrived.notify_all()
        route = self._routes.get(request.path, _Route())
        if route.delay:
            await asyncio.sleep(route.delay)
        payload = b"" if route.json is None else orjson.dumps(route.json)
        return web.Response(status=route.status, body=payload, content_type="application/json")

    def _signed(self, authorization: str | None, body: bytes) -> bool | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        if self.signature_secret is None:
            return False
        try:
            claims = jwt.decode(token, self.signature_secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return False
        digest = claims.get("payload_hash")
        return digest is None or digest == hashlib.sha256(body).hexdigest()


class RunningReceiver:
    """A ``WebhookReceiver`` served on an event loop in a thread of its own until ``stop``."""

    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", receiver._handle)
        self._served = ServedApp(app)
        receiver.url = self._served.url

    def stop(self) -> None:
        self._served.stop()
