"""Small HTTP helpers shared by the routers: JSON in and out, content negotiation, credentials."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ringway.domain.errors import (
    InvalidParameter,
    ProblemError,
    bad_accept,
    bad_content_type,
    payload_invalid,
    too_large,
)

_ACCEPTED = {"*/*", "application/*", "application/json", "application/hal+json"}
# Levels of arrays and objects a body may have: well inside the 254 that orjson writes, as a
# stored body is echoed within a response's own levels (and ample for any Vonage API's body).
MAX_DEPTH = 100


Endpoint = Callable[[Request], Awaitable[Response]]


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def check_accept(accept: str | None) -> None:
    """406 unless the client accepts JSON (no header, ``*/*`` and ``application/*`` do)."""
    if not accept:
        return
    for item in accept.split(","):
        media_range = item.split(";", 1)[0].strip().lower()
        if media_range in _ACCEPTED or media_range.endswith("+json"):
            return
    raise bad_accept(accept)


async def json_body(request: Request, limit: int) -> Any:
    """The request body parsed as JSON, with 413 above ``limit`` bytes and 415 for non-JSON."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise bad_content_type(content_type)
    try:
        body = orjson.loads(await read_body(request, limit))
    except orjson.JSONDecodeError:
        raise malformed("is not valid UTF-8 JSON") from None
    reject_unstorable(body)
    return body


def path_param(request: Request, name: str) -> str:
    """A path parameter, refused (400) if it holds a NUL."""
    value: str = request.path_params[name]
    reject_unstorable(value, name)
    return value


def reject_unstorable(value: Any, path: str = "", depth: int = 0) -> None:
    """400 for what ringway will not store: a NUL character anywhere (no database can store one
    in text), or arrays and objects nested deeper than ``MAX_DEPTH``."""
    if isinstance(value, str):
        if "\x00" in value:
            raise payload_invalid([InvalidParameter(path or "body", "must not contain NUL")])
    elif isinstance(value, dict | list):
        if depth == MAX_DEPTH:
            reason = f"is nested deeper than {MAX_DEPTH} levels"
            raise payload_invalid([InvalidParameter("body", reason)])
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            reject_unstorable(key, path)
            reject_unstorable(item, f"{path}.{key}" if path else str(key), depth + 1)


async def form_body(request: Request, limit: int) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (last value wins)."""
    form = _form(await read_body(request, limit))
    reject_unstorable(form)
    return form


def _form(raw: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise malformed("is not valid UTF-8") from None


async def params_body(request: Request, limit: int) -> dict[str, Any]:
    """A body of parameters, as a form or as JSON whatever the Content-Type says (the Python
    SDK labels its form posts ``application/json``)."""
    raw = await read_body(request, limit)
    if raw.lstrip()[:1] == b"{":
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise malformed("is not valid UTF-8 JSON") from None
        reject_unstorable(body)
        return {key: str(value) for key, value in body.items() if value is not None}
    params = _form(raw)
    reject_unstorable(params)
    return params


def is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


def malformed(reason: str) -> ProblemError:
    return payload_invalid([InvalidParameter("body", reason)], "The request body is malformed")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """The (api_key, api_secret) of a Basic ``Authorization`` header, if it holds one."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep and key else None
