"""The hot path: GET /v2/applications/{id}, the lists GET /v2/applications and /v1/calls, and
POST /_ringway/calls, served straight from ASGI.

Measured on this kind of machine, Starlette's middleware and routing alone cost about half of
what a raw ASGI endpoint does, which would leave nothing for authentication and the cached read.
So the one read that every SDK makes, the two busiest lists, and the request that places each
simulated call, skip the framework; they run the same functions as the framework's routes,
and everything else goes to the framework.
"""

from __future__ import annotations

from collections.abc import Awaitable

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ringway.api import simulation, voice
from ringway.api.applications_v2 import PATH, applications_page, read_application
from ringway.api.auth import address_of
from ringway.api.problems import forced_response, problem_response, server_error
from ringway.domain.errors import ProblemError
from ringway.observe.watch import Watch
from ringway.services.platform import Platform

# Busy routes served without the framework's routing (after GET one application and the
# applications list, which skip Starlette's request and response objects too).
DIRECT = {("GET", voice.PATH): voice.list_calls, ("POST", simulation.PATH): simulation.place_call}
PREFIX = PATH + "/"
ONE_APPLICATION = PATH + "/{id}"
FORCED = "forced"  # the route label of a request answered by X-Ringway-Force-Status
FORCE = b"x-ringway-force-status"
JSON_TYPE = (b"content-type", b"application/json")


class RingwayApp:
    """The ASGI application: the hot path in front of the framework app."""

    def __init__(self, framework: Starlette, platform: Platform) -> None:
        self.framework = framework
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.framework(scope, receive, send)
            return
        watch = Watch(scope, send)
        route = None
        try:
            route = await self._route(scope, receive, watch.send)
        finally:
            watch.done(route)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> str | None:
        """Answer the request; the template of the route that took it, unless the framework
        routed it."""
        path: str = scope["path"]
        get = scope["method"] == "GET"
        if get and path.startswith(PREFIX):
            app_id = path[len(PREFIX) :]
            if app_id and "/" not in app_id:
                await self._serve(self._get_application(app_id, scope), scope, receive, send)
                return ONE_APPLICATION
        force = _force(scope)
        if force is not None:
            await forced_response(path, force)(scope, receive, send)
            return FORCED
        if get and path == PATH:
            await self._serve(self._list_applications(scope), scope, receive, send)
            return PATH
        handler = DIRECT.get((scope["method"], path))
        if handler is not None:
            scope["app"] = self.framework  # what the framework sets, for ``platform_of``
            await self._serve(handler(Request(scope, receive)), scope, receive, send)
            return path
        await self.framework(scope, receive, send)
        return None

    async def _serve(
        self, handler: Awaitable[Response | bytes], scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer with what ``handler`` gives (JSON bytes are sent as they are), or with its
        failure as the framework would."""
        try:
            response = await handler
        except ProblemError as exc:
            response = problem_response(exc)
        except Exception as exc:
            response = server_error(scope["method"], scope["path"], exc)
        if isinstance(response, bytes):
            length = (b"content-length", b"%d" % len(response))
            await send({"type": "http.response.start", "status": 200,
                        "headers": [length, JSON_TYPE]})  # fmt: skip
            await send({"type": "http.response.body", "body": response})
        else:
            await response(scope, receive, send)

    async def _get_application(self, app_id: str, scope: Scope) -> Response | bytes:
        headers = _headers(scope)
        force = headers.get("x-ringway-force-status")
        if force is not None:
            return forced_response(scope["path"], force)
        return orjson.dumps(
            await read_application(
                self.platform,
                app_id,
                headers.get("authorization"),
                headers.get("accept"),
                address_of(scope),
            )
        )

    async def _list_applications(self, scope: Scope) -> bytes:
        headers = _headers(scope)
        return await applications_page(self.platform, headers.get("authorization"),
                                       headers.get("accept"), scope["query_string"],
                                       address_of(scope))  # fmt: skip


def _force(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == FORCE:
            return str(value.decode("latin-1"))
    return None


def _headers(scope: Scope) -> dict[str, str]:
    wanted = {b"authorization", b"accept", FORCE}
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope["headers"]
        if name in wanted
    }
