"""Errors as problem-details responses, for the framework's handlers and the hot path alike."""

from __future__ import annotations

import logging
import uuid

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ringway.api.http import JSONResponse
from ringway.domain.errors import (
    ERRORS,
    FORCE_STATUS,
    InvalidParameter,
    LegacyError,
    ProblemError,
    forced,
    internal_error,
    legacy_of,
    path_not_found,
    payload_invalid,
    wrong_verb,
)

log = logging.getLogger("ringway")
LEGACY_PATHS = ("/number/", "/account/", "/sms/")  # the REST APIs, with their error-code shape
VONAGE_PATHS = ("/v0.3/", "/v1/", "/v2/", "/accounts/", *LEGACY_PATHS)


def problem_response(error: ProblemError) -> Response:
    return JSONResponse(
        error.body(str(uuid.uuid4())), status_code=error.status, headers=error.headers
    )


def legacy_response(error: LegacyError) -> Response:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def forced_response(path: str, value: str) -> Response:
    """The answer to a request carrying ``X-Ringway-Force-Status``, before anything else is
    done: the status it asks for, in its API's error shape; a 400 on ringway's own endpoints,
    or for a value that is no error status."""
    status = value.strip()
    if not path.startswith(VONAGE_PATHS):
        reason = "is for the Vonage APIs, not ringway's own endpoints"
    elif not (len(status) == 3 and status.isascii() and status.isdigit() and status[0] in "45"):
        reason = "must be an HTTP error status, 400 to 599"
    else:
        error = forced(int(status))
        if path.startswith(LEGACY_PATHS):
            return legacy_response(legacy_of(error))
        return problem_response(error)
    return problem_response(payload_invalid([InvalidParameter(FORCE_STATUS, reason)]))


def server_error(method: str, path: str, exc: BaseException) -> Response:
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return problem_response(internal_error())


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
