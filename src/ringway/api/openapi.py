"""The OpenAPI 3.1 document of what ringway serves, rendered from the operations its routes were
built from (``api/operations``) and the same models that validate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

import ringway
from ringway.api.operations import Operation, Resource, Schema, in_path
from ringway.api.schemas import MODELS, REF, SCHEMAS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _schema(schema: Schema) -> dict[str, Any]:
    if isinstance(schema, str):
        return _ref(schema)
    if isinstance(schema, dict):
        return schema
    return _ref(schema.__name__)


def _response(description: str, schema: Schema | None, media: str = "application/json") -> Any:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {media: {"schema": _schema(schema)}}
    return answer


PROBLEMS = {
    400: "Invalid request",
    401: "Invalid credentials supplied",
    403: "The token's acl does not allow this call",
    404: "Not found",
    405: "Request method not allowed",
    406: "Invalid Accept header",
    413: "Request body too large",
    415: "Unsupported Content-Type header",
    429: "Too many failed sign-ins by this api_key or address: see Retry-After",
}
# The REST APIs' errors (``error-code`` in the body): every legacy operation may answer these.
LEGACY = {
    400: "Invalid parameters",
    401: "Authentication failed",
    413: "Request body too large",
    420: "Method failed",
    429: "Too many failed sign-ins by this api_key or address: see Retry-After",
}


def _responses(operation: Operation) -> dict[str, Any]:
    answers = {operation.ok: _response(operation.summary, operation.answer, operation.media)}
    codes = [*operation.auth.failures, 405, *((406,) if operation.accept else ())]
    answers |= {code: _response(PROBLEMS[code], "Problem") for code in codes}
    if operation.legacy:
        answers |= {code: _response(text, "LegacyStatus") for code, text in LEGACY.items()}
    answers |= {code: _response(PROBLEMS[code], "Problem") for code in operation.errors}
    answers |= {code: _response(*answer) for code, answer in operation.responses.items()}
    return {str(code): answers[code] for code in sorted(answers)}


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    given = {param["name"]: param for param in operation.params}
    named = [given.pop(name) if name in given else in_path(name) for name in operation.path_params]
    return [*named, *operation.auth.params, *given.values()]


def _operation(operation: Operation) -> dict[str, Any]:
    rendered: dict[str, Any] = {"summary": operation.summary}
    if operation.tag:
        rendered["tags"] = [operation.tag]
    if parameters := _parameters(operation):
        rendered["parameters"] = parameters
    if operation.body is not None:
        schema = _schema(operation.body)
        rendered["requestBody"] = {
            "required": operation.body_required,
            "content": {media: {"schema": schema} for media in operation.body_media},
        }
    rendered["responses"] = _responses(operation)
    if operation.auth.security is not None:
        rendered["security"] = operation.auth.security
    return rendered


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], Any]]:
    """The pydantic models the operations take (as they validate) and answer (as they serialize),
    and those the hand-written schemas name."""
    found: dict[type[BaseModel], Any] = dict.fromkeys(MODELS, "validation")
    for operation in operations:
        for schema, mode in ((operation.body, "validation"), (operation.answer, "serialization")):
            if isinstance(schema, type):
                found[schema] = mode
    return list(found.items())


def operations_of(routes: Sequence[BaseRoute]) -> list[Operation]:
    """Every operation the routes serve, in their order."""
    return [op for route in routes if isinstance(route, Resource) for op in route.operations]


def openapi_document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The document of the operations ``routes`` serve."""
    return _document(tuple(operations_of(routes)))


@cache
def _document(operations: tuple[Operation, ...]) -> dict[str, Any]:
    _, generated = models_json_schema(_models(operations), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.template, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": "ringway", "version": ringway.__version__},
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in operations if op.tag)],
        "components": {
            "schemas": {**generated["$defs"], **SCHEMAS},
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
        "security": [{"basicAuth": []}],
        "paths": paths,
    }
