"""Errors as problem-details responses, for the framework's handlers and the hot path alike."""

from __future__ import annotations

import logging
import uuid

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ringway.api.http import JSONResponse
from ringway.domain.errors import ERRORS, ProblemError, path_not_found, wrong_verb

log = logging.getLogger("ringway")


def problem_response(error: ProblemError) -> Response:
    return JSONResponse(
        error.body(str(uuid.uuid4())), status_code=error.status, headers=error.headers
    )


def server_error(method: str, path: str, exc: BaseException) -> Response:
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return problem_response(
        ProblemError(
            500,
            f"{ERRORS}#internal-error",
            "Internal Server Error",
            "ringway failed to handle the request; the server log has the details",
        )
    )


async def on_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "")
        return problem_response(wrong_verb(request.method, allow))
    if exc.status_code == 404:
        return problem_response(path_not_found(request.url.path))
    return problem_response(
        ProblemError(exc.status_code, f"{ERRORS}#http-error", "HTTP error", str(exc.detail))
    )


async def on_server_error(request: Request, exc: Exception) -> Response:
    return server_error(request.method, request.url.path, exc)
