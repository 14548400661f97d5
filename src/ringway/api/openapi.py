"""The OpenAPI 3.1 document of what ringway serves, built from the same models that validate."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

import ringway
from ringway.domain.applications import ApplicationIn, ApplicationOut
from ringway.domain.applications_v1 import ApplicationV1In

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": _json(_ref(schema))}


def _problem(description: str) -> dict[str, Any]:
    return _response(description, "Problem")


PROBLEMS = {
    "400": _problem("Invalid request"),
    "401": _problem("Invalid credentials supplied"),
    "404": _problem("Not found"),
    "405": _problem("Request method not allowed"),
    "406": _problem("Invalid Accept header"),
    "403": _problem("The token's acl does not allow this call"),
    "413": _problem("Request body too large"),
    "415": _problem("Unsupported Content-Type header"),
}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: PROBLEMS[code] for code in ("401", "405", "406", *codes)}


def _page_params(size_max: int, index_name: str, index_min: int) -> list[dict[str, Any]]:
    return [
        {
            "name": "page_size",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": size_max, "default": 10},
        },
        {
            "name": index_name,
            "in": "query",
            "schema": {"type": "integer", "minimum": index_min, "maximum": 2**31 - 1},
        },
    ]


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
_LEGACY_AUTH = [
    {"name": name, "in": "query", "schema": {"type": "string"}}
    for name in ("api_key", "api_secret")
]
_LINK = {"type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]}
_LINKS = {
    "type": "object",
    "properties": {name: _LINK for name in ("self", "first", "last", "prev", "next")},
    "required": ["self", "first", "last"],
}
_V1_WEBHOOKS = {
    "type": "object",
    "properties": {
        "webhooks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "endpoint_type": {"type": "string"},
                    "endpoint": {"type": "string"},
                    "http_method": {"type": "string", "enum": ["GET", "POST"]},
                },
                "required": ["endpoint_type", "endpoint", "http_method"],
            },
        }
    },
}
_STRING = {"type": "string"}
_INT = {"type": "integer"}
_NUMBER_FIELDS = {
    "country": _STRING,
    "msisdn": _STRING,
    "type": {"type": "string", "enum": ["landline", "mobile-lvn", "landline-toll-free"]},
    "features": {"type": "array", "items": {"type": "string", "enum": ["VOICE", "SMS", "MMS"]}},
}
_OWNED_FIELDS = {
    name: _STRING
    for name in ("app_id", "voiceCallbackType", "voiceCallbackValue", "messagesCallbackType",
                 "messagesCallbackValue", "moHttpUrl", "voiceStatusCallback")
}  # fmt: skip


def _number_list(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"count": _INT, "numbers": {"type": "array", "items": item}},
        "required": ["count"],
    }


HAND_WRITTEN: dict[str, Any] = {
    "LegacyStatus": {
        "type": "object",
        "properties": {"error-code": _STRING, "error-code-label": _STRING, "detail": _STRING},
        "required": ["error-code", "error-code-label"],
    },
    "AvailableNumbers": _number_list(
        {
            "type": "object",
            "properties": {**_NUMBER_FIELDS, "cost": _STRING},
            "required": ["country", "msisdn", "type", "cost", "features"],
        }
    ),
    "OwnedNumbers": _number_list(
        {
            "type": "object",
            "properties": {**_NUMBER_FIELDS, **_OWNED_FIELDS},
            "required": ["country", "msisdn", "type", "features"],
        }
    ),
    "CallList": {
        "type": "object",
        "properties": {
            "count": _INT,
            "page_size": _INT,
            "record_index": _INT,
            "_links": {"type": "object"},
            "_embedded": {
                "type": "object",
                "properties": {"calls": {"type": "array", "items": {"type": "object"}}},
            },
        },
        "required": ["count", "page_size", "record_index", "_links", "_embedded"],
    },
    "Problem": {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "invalid_parameters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
                    "required": ["name", "reason"],
                },
            },
        },
        "required": ["type", "title", "detail", "instance"],
    },
    "ApplicationList": {
        "type": "object",
        "properties": {
            "page_size": {"type": "integer"},
            "page": {"type": "integer"},
            "total_items": {"type": "integer"},
            "total_pages": {"type": "integer"},
            "_embedded": {
                "type": "object",
                "properties": {"applications": {"type": "array", "items": _ref("ApplicationOut")}},
                "required": ["applications"],
            },
            "_links": _LINKS,
        },
        "required": ["page_size", "page", "total_items", "total_pages", "_embedded", "_links"],
    },
    "ApplicationV1Out": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "voice": _V1_WEBHOOKS,
            "messages": _V1_WEBHOOKS,
            "keys": {
                "type": "object",
                "properties": {
                    "public_key": {"type": "string"},
                    "private_key": {"type": "string"},
                },
                "required": ["public_key"],
            },
            "_links": {"type": "object", "properties": {"self": _LINK}, "required": ["self"]},
        },
        "required": ["id", "name", "keys", "_links"],
    },
    "ApplicationV1List": {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "page_size": {"type": "integer"},
            "page_index": {"type": "integer"},
            "_embedded": {
                "type": "object",
                "properties": {
                    "applications": {"type": "array", "items": _ref("ApplicationV1Out")}
                },
                "required": ["applications"],
            },
            "_links": _LINKS,
        },
        "required": ["count", "page_size", "page_index", "_embedded", "_links"],
    },
    "Health": {
        "type": "object",
        "properties": {"status": {"type": "string"}, "version": {"type": "string"}},
        "required": ["status", "version"],
    },
}


def _operation(
    summary: str,
    ok: str,
    schema: dict[str, Any] | None,
    errors: dict[str, Any],
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": summary}
    if schema is not None:
        response["content"] = _json(schema)
    operation: dict[str, Any] = {"summary": summary, "responses": {ok: response, **errors}}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    if params:
        operation["parameters"] = params
    if security is not None:
        operation["security"] = security
    return operation


def _legacy(description: str) -> dict[str, Any]:
    return _response(description, "LegacyStatus")


LEGACY_ERRORS = {
    "400": _legacy("Invalid parameters"),
    "401": _legacy("Authentication failed"),
    "413": _legacy("Request body too large"),
    "420": _legacy("Method failed"),
}


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


_NUMBER_FILTERS = [
    _query("pattern", _STRING),
    _query("search_pattern", {"type": "integer", "minimum": 0, "maximum": 2}),
    _query("size", {"type": "integer", "minimum": 1, "maximum": 100}),
    _query("index", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
]


def _number_change(fields: list[str]) -> dict[str, Any]:
    form = {
        "type": "object",
        "properties": {name: _STRING for name in ["country", "msisdn", *fields]},
        "required": ["country", "msisdn"],
    }
    return {
        "summary": "Change a number",
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        },
        "responses": {"200": _legacy("Success"), **LEGACY_ERRORS},
        "security": [{"basicAuth": []}],
    }


def _numbers_paths() -> dict[str, Any]:
    kinds = {"type": "string", "enum": ["landline", "mobile-lvn", "landline-toll-free"]}
    return {
        "/number/search": {
            "get": _operation(
                "Numbers for sale",
                "200",
                _ref("AvailableNumbers"),
                LEGACY_ERRORS,
                params=[
                    _query("country", {"type": "string", "pattern": "^[A-Za-z]{2}$"}, True),
                    _query("type", kinds),
                    _query("features", _STRING),
                    *_NUMBER_FILTERS,
                ],
            )
        },
        "/account/numbers": {
            "get": _operation(
                "The account's numbers",
                "200",
                _ref("OwnedNumbers"),
                LEGACY_ERRORS,
                params=[
                    _query("application_id", _STRING),
                    _query("has_application", {"type": "string", "enum": ["true", "false"]}),
                    # Empty means no filter here.
                    _query("country", {"type": "string", "pattern": "^([A-Za-z]{2})?$"}),
                    *_NUMBER_FILTERS,
                ],
            )
        },
        "/number/buy": {"post": _number_change([])},
        "/number/cancel": {"post": _number_change([])},
        "/number/update": {
            "post": _number_change(
                [
                    "app_id",
                    "moHttpUrl",
                    "voiceCallbackType",
                    "voiceCallbackValue",
                    "voiceStatusCallback",
                ]
            )
        },
        "/v1/calls": {
            "get": _operation(
                "List calls",
                "200",
                _ref("CallList"),
                _errors("400", "403"),
                params=[
                    _query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
                    _query("record_index", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
                ],
                security=[{"bearerAuth": []}],
            )
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    _, generated = models_json_schema(
        [
            (ApplicationIn, "validation"),
            (ApplicationOut, "serialization"),
            (ApplicationV1In, "validation"),
        ],
        ref_template=REF,
    )
    app_errors = _errors("404")
    body_errors = _errors("400", "413", "415")
    legacy: list[dict[str, list[str]]] = [{"basicAuth": []}, {}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "ringway", "version": ringway.__version__},
        "components": {
            "schemas": {**generated["$defs"], **HAND_WRITTEN},
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
        "security": [{"basicAuth": []}],
        "paths": {
            "/v2/applications": {
                "get": _operation(
                    "List applications",
                    "200",
                    _ref("ApplicationList"),
                    _errors("400"),
                    params=_page_params(1000, "page", 1),
                ),
                "post": _operation(
                    "Create an application",
                    "201",
                    _ref("ApplicationOut"),
                    body_errors,
                    body=_ref("ApplicationIn"),
                ),
            },
            "/v2/applications/{id}": {
                "parameters": _ID,
                "get": _operation("Get an application", "200", _ref("ApplicationOut"), app_errors),
                "put": _operation(
                    "Replace an application",
                    "200",
                    _ref("ApplicationOut"),
                    {**body_errors, **app_errors},
                    body=_ref("ApplicationIn"),
                ),
                "delete": _operation("Delete an application", "204", None, app_errors),
            },
            "/v1/applications": {
                "get": _operation(
                    "List applications (v1)",
                    "200",
                    _ref("ApplicationV1List"),
                    _errors("400"),
                    params=[*_LEGACY_AUTH, *_page_params(1000, "page_index", 0)],
                    security=legacy,
                ),
                "post": _operation(
                    "Create an application (v1)",
                    "201",
                    _ref("ApplicationV1Out"),
                    body_errors,
                    body=_ref("ApplicationV1In"),
                    security=legacy,
                ),
            },
            "/v1/applications/{id}": {
                "parameters": [*_ID, *_LEGACY_AUTH],
                "get": _operation(
                    "Get an application (v1)",
                    "200",
                    _ref("ApplicationV1Out"),
                    app_errors,
                    security=legacy,
                ),
                "put": _operation(
                    "Update an application (v1)",
                    "200",
                    _ref("ApplicationV1Out"),
                    {**body_errors, **app_errors},
                    body=_ref("ApplicationV1In"),
                    security=legacy,
                ),
                "delete": _operation(
                    "Delete an application (v1)", "204", None, app_errors, security=legacy
                ),
            },
            **_numbers_paths(),
            "/_ringway/health": {
                "get": _operation("Health", "200", _ref("Health"), {}, security=[])
            },
            "/_ringway/openapi.json": {
                "get": _operation("This document", "200", {"type": "object"}, {}, security=[])
            },
        },
    }
