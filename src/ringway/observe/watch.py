"""Watching one API request: its id (echoed as ``X-Request-Id``), its status and latency, for
the log and the metrics."""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Awaitable

from starlette.types import Message, Scope, Send

from ringway.observe import metrics
from ringway.observe.logs import caller, log

HEADER = b"x-request-id"
SANE_ID = re.compile(rb"[A-Za-z0-9._:/+=-]{1,128}")
UNMATCHED = "unmatched"  # the route label of a request no route took (a 404)
# New ids: this process's random prefix and a count (no system call a request).
PREFIX = os.urandom(4).hex().encode()
_count = itertools.count()


class Watch:
    """Wraps ``send`` to learn the status and add the request id; ``done`` logs and counts."""

    __slots__ = ("_send", "request_id", "scope", "started", "status")

    def __init__(self, scope: Scope, send: Send) -> None:
        self.started = time.perf_counter()
        self.scope, self._send = scope, send
        self.status = 0  # no answer started (the client went away, or the server stops)
        self.request_id = _request_id(scope)
        caller.set(None)

    def send(self, message: Message) -> Awaitable[None]:
        """The server's ``send`` (what it returns is awaited: no coroutine of its own)."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
            message["headers"] = [*message.get("headers", ()), (HEADER, self.request_id)]
        return self._send(message)

    def done(self, route: str | None) -> None:
        """The request is over: ``route`` is the template of the route that took it."""
        seconds = time.perf_counter() - self.started
        scope = self.scope
        if route is None:
            found = scope.get("route")
            route = getattr(found, "path", None) or UNMATCHED
        metrics.request(scope["method"], route, self.status, seconds)
        if log.requests:
            path = scope.get("raw_path") or scope["path"].encode()
            log.request(scope["method"], path.decode("latin-1"), self.status, seconds,
                        self.request_id.decode())  # fmt: skip


def _request_id(scope: Scope) -> bytes:
    """The client's ``X-Request-Id`` when it is a sane one, else a new one."""
    for name, value in scope["headers"]:
        if name == HEADER:
            if SANE_ID.fullmatch(value):
                return bytes(value)
            break
    return new_id()


def new_id() -> bytes:
    return PREFIX + b"%08x" % (next(_count) & 0xFFFFFFFF)
