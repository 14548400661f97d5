"""The ASGI application factory."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ringway.api import applications_v1, applications_v2, ringway_routes
from ringway.api.http import JSONResponse
from ringway.config import Settings
from ringway.domain.errors import ERRORS, ProblemError, path_not_found, wrong_verb
from ringway.services.platform import Platform

log = logging.getLogger("ringway")


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> Starlette:
    """Build the server: one Platform (storage, caches, services) behind every router."""
    settings = settings or Settings()
    platform = Platform.open(settings, migrate=migrate)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        platform.key_pool.start()
        try:
            yield
        finally:
            platform.close()

    app = Starlette(
        routes=[*applications_v2.routes, *applications_v1.routes, *ringway_routes.routes],
        exception_handlers={
            ProblemError: _problem,
            HTTPException: _http_error,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.platform = platform
    return app


def create_worker_app() -> Starlette:
    """The factory uvicorn workers call: ``ringway serve`` has already migrated the database."""
    return create_app(migrate=False)


def problem_response(error: ProblemError) -> Response:
    return JSONResponse(
        error.body(str(uuid.uuid4())), status_code=error.status, headers=error.headers
    )


async def _problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "")
        return problem_response(wrong_verb(request.method, allow))
    if exc.status_code == 404:
        return problem_response(path_not_found(request.url.path))
    return problem_response(
        ProblemError(exc.status_code, f"{ERRORS}#http-error", "HTTP error", str(exc.detail))
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        ProblemError(
            500,
            f"{ERRORS}#internal-error",
            "Internal Server Error",
            "ringway failed to handle the request; the server log has the details",
        )
    )
