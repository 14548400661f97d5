"""One declaration per route: each router lists its operations, and both the routes and the
OpenAPI document (``api/openapi``) are built from that list, so neither can drift from the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ringway.api.http import Endpoint

# A JSON Schema: a pydantic model, the name of a schema in ``api/schemas``, or one written inline.
Schema = type[BaseModel] | str | dict[str, Any]
Security = list[dict[str, list[str]]]
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
BODY_ERRORS = (400, 413, 415)  # what reading a JSON body can fail with
_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Auth:
    """How an operation's caller signs in: the OpenAPI ``security`` (None: the document's
    default, HTTP Basic), the problems a failed sign-in answers, and the query parameters that
    may carry the credentials instead."""

    security: Security | None
    failures: tuple[int, ...]
    params: tuple[dict[str, Any], ...] = ()


def query(
    name: str, schema: dict[str, Any], required: bool = False, description: str = ""
) -> dict[str, Any]:
    """A query parameter."""
    param = {"name": name, "in": "query", "required": required, "schema": schema}
    return param | ({"description": description} if description else {})


def in_path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A path parameter (a string unless ``schema`` says otherwise)."""
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def problem(description: str) -> tuple[str, Schema]:
    """A problem-details answer, described as this operation means it."""
    return description, "Problem"


_BASIC: Security = [{"basicAuth": []}]
BASIC = Auth(None, (401, 429))  # failed sign-ins are limited: 429 after too many
BEARER = Auth([{"bearerAuth": []}], (401, 403))  # an application's JWT; 403 outside its acl
BEARER_OR_BASIC = Auth([{"bearerAuth": []}, *_BASIC], (401, 403, 429))
# api_key and api_secret in the query (or the body), else Basic.
LEGACY = Auth(
    [*_BASIC, {}],
    (401, 429),
    tuple(query(name, {"type": "string"}) for name in ("api_key", "api_secret")),
)
OPERATOR = Auth([{"bearerAuth": []}], (401,))  # the server's operator token
OPEN = Auth([], ())
IN_BODY = Auth([*_BASIC, {}], ())  # the SMS API: credentials or Basic, failures in the body


@dataclass(frozen=True, eq=False)
class Operation:
    """One method on one path: what serves it and what the OpenAPI document says of it.

    ``errors`` are the problems it may answer beyond those every operation may (405, and the
    ``auth``'s failures), ``accept`` that it answers 406 to an ``Accept`` without JSON, and
    ``responses`` the answers it describes in its own words (status: description and schema).
    ``legacy`` operations answer errors in the REST APIs' ``error-code`` shape.
    """

    method: str
    path: str
    endpoint: Endpoint
    summary: str
    ok: int = 200
    answer: Schema | None = None
    media: str = JSON
    auth: Auth = BASIC
    body: Schema | None = None
    body_media: tuple[str, ...] = (JSON,)
    body_required: bool = True
    params: tuple[dict[str, Any], ...] = ()
    errors: tuple[int, ...] = ()
    responses: Mapping[int, tuple[str, Schema]] = field(default_factory=dict)
    accept: bool = True
    legacy: bool = False
    tag: str = ""

    @property
    def path_params(self) -> list[str]:
        return _PARAMETER.findall(self.path)

    @property
    def template(self) -> str:
        """The path as OpenAPI writes it, without Starlette's converters."""
        return _PARAMETER.sub(r"{\1}", self.path)


def tagged(tag: str, operations: Iterable[Operation]) -> list[Operation]:
    """``operations``, grouped under ``tag`` in the document."""
    return [replace(operation, tag=tag) for operation in operations]


class Resource(Route):
    """One route per path, dispatching on the method, so a 405 lists every allowed method; it
    keeps the operations it serves, for the document."""

    def __init__(self, path: str, operations: list[Operation]) -> None:
        handlers = {operation.method: operation.endpoint for operation in operations}

        async def dispatch(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await handlers[method](request)

        super().__init__(path, dispatch, methods=list(handlers))
        self.operations = operations


def resources(operations: Iterable[Operation]) -> list[Resource]:
    """The routes of ``operations``: one per path, in the order the paths first appear."""
    by_path: dict[str, list[Operation]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, []).append(operation)
    return [Resource(path, group) for path, group in by_path.items()]
