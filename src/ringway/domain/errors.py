"""Errors the domain and services raise, each carrying its wire problem type, title and status."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

ERRORS = "https://developer.nexmo.com/api-errors"


@dataclass
class InvalidParameter:
    name: str
    reason: str


@dataclass
class ProblemError(Exception):
    """An error that the API renders as RFC 7807 problem details."""

    status: int
    type: str
    title: str
    detail: str
    invalid_parameters: list[InvalidParameter] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None  # the Conversation API's error code

    def __str__(self) -> str:
        return self.detail

    def body(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "detail": self.detail,
            "instance": instance,
        }
        if self.code is not None:
            body["code"] = self.code
        if self.invalid_parameters:
            body["invalid_parameters"] = [
                {"name": p.name, "reason": p.reason} for p in self.invalid_parameters
            ]
        return body


def payload_invalid(
    params: list[InvalidParameter], detail: str = "The request failed due to validation errors"
) -> ProblemError:
    return ProblemError(
        400, f"{ERRORS}/application#payload-validation", "Bad Request", detail, params
    )


def list_invalid(params: list[InvalidParameter]) -> ProblemError:
    return ProblemError(
        400,
        f"{ERRORS}/application#list-validation",
        "Bad Request",
        "The request failed due to validation errors",
        params,
    )


def unauthorized() -> ProblemError:
    return ProblemError(
        401,
        f"{ERRORS}#unauthorized",
        "Invalid credentials supplied",
        "You did not provide correct credentials.",
        headers={"WWW-Authenticate": 'Basic realm="ringway"'},
    )


def token_rejected(rule: str, message: str) -> ProblemError:
    return ProblemError(
        401,
        f"{ERRORS}#unauthorized",
        "Invalid credentials supplied",
        f"JWT rejected ({rule}): {message}",
        headers={"WWW-Authenticate": 'Bearer realm="ringway"'},
    )


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, f"{ERRORS}#forbidden", "Forbidden", detail)


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, f"{ERRORS}#conflict", "Conflict", detail)


def not_found(kind: str, ident: str) -> ProblemError:
    return ProblemError(
        404,
        f"{ERRORS}#not-found",
        "Not Found",
        f"{kind} '{ident}' does not exist, or you do not have access",
    )


def not_live(uuid: str) -> ProblemError:
    return ProblemError(
        404, f"{ERRORS}/voice#not-found", "Not Found", f"call '{uuid}' is not in progress"
    )


def not_routed(number: str, why: str) -> ProblemError:
    return ProblemError(
        422, f"{ERRORS}/voice#unroutable", "Unprocessable Entity", f"number '{number}' {why}"
    )


def path_not_found(path: str) -> ProblemError:
    return ProblemError(404, f"{ERRORS}#not-found", "Not Found", f"No resource at '{path}' exists")


def wrong_verb(method: str, allow: str) -> ProblemError:
    return ProblemError(
        405,
        f"{ERRORS}#wrong-verb",
        "Request method not allowed",
        f"Request method '{method}' is not supported by this resource",
        headers={"Allow": allow},
    )


def bad_accept(accept: str) -> ProblemError:
    return ProblemError(
        406,
        f"{ERRORS}#accept-header",
        "Invalid Accept header",
        f"Invalid Accept header '{accept}'; this resource answers application/json",
    )


def bad_content_type(content_type: str) -> ProblemError:
    return ProblemError(
        415,
        f"{ERRORS}#content-type-header",
        "Unsupported Content-Type header",
        f"Unsupported Content-Type header '{content_type}'; send application/json",
    )


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        f"{ERRORS}#payload-too-large",
        "Payload Too Large",
        f"The request body is larger than the limit of {limit} bytes",
    )


def throttled(retry_after: int) -> ProblemError:
    return ProblemError(
        429,
        f"{ERRORS}#throttled",
        "Rate Limit Hit",
        f"Too many failed sign-ins: please wait {retry_after} s, then retry your request",
        headers={"Retry-After": str(retry_after)},
    )


def internal_error() -> ProblemError:
    return ProblemError(
        500,
        f"{ERRORS}#internal-error",
        "Internal Server Error",
        "ringway failed to handle the request; the server log has the details",
    )


FORCE_STATUS = "X-Ringway-Force-Status"
# The errors whose type, title and headers a forced status takes.
_FORCED = {
    400: lambda: payload_invalid([]),
    401: unauthorized,
    403: lambda: forbidden(""),
    404: lambda: path_not_found(""),
    406: lambda: bad_accept(""),
    413: lambda: too_large(0),
    415: lambda: bad_content_type(""),
    429: lambda: throttled(1),
    431: lambda: header_too_large(0),
    500: internal_error,
}


def forced(status: int) -> ProblemError:
    """The error a request asked for with ``X-Ringway-Force-Status`` (400 to 599): the type,
    title and headers the APIs answer that status with (``Retry-After: 1`` on a 429)."""
    detail = f"ringway answered {status} because {FORCE_STATUS} asked; nothing was done"
    known = _FORCED.get(status)
    if known is not None:
        return replace(known(), detail=detail)
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "HTTP error"
    return ProblemError(status, f"{ERRORS}#http-error", title, detail)


def header_too_large(limit: int) -> ProblemError:
    return ProblemError(
        431,
        f"{ERRORS}#header-too-large",
        "Request Header Fields Too Large",
        f"The request line and headers are larger than the limit of {limit} bytes",
    )


@dataclass
class LegacyError(Exception):
    """An error of the REST APIs (numbers, account): ``{"error-code", "error-code-label"}``."""

    status: int
    label: str
    detail: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail or self.label

    def body(self) -> dict[str, str]:
        body = {"error-code": str(self.status), "error-code-label": self.label}
        if self.detail:
            body["detail"] = self.detail
        return body


def method_failed(detail: str) -> LegacyError:
    return LegacyError(420, "method failed", detail)


def bad_parameter(label: str) -> LegacyError:
    return LegacyError(400, label)


def legacy_unauthorized() -> LegacyError:
    return LegacyError(401, "authentication failed")


def legacy_of(error: ProblemError) -> LegacyError:
    """A problem in the REST APIs' shape (their 401 says only "authentication failed")."""
    if error.status == 401:
        return legacy_unauthorized()
    return LegacyError(error.status, error.title, error.detail, error.headers)
