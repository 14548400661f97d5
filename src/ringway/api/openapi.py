"""The OpenAPI 3.1 document of what ringway serves, built from the same models that validate."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

import ringway
from ringway.api.voice import ADDRESS_FIELD
from ringway.domain.accounts import NewAccount
from ringway.domain.applications import ApplicationIn, ApplicationOut
from ringway.domain.applications_v1 import ApplicationV1In
from ringway.domain.calls import Status
from ringway.domain.choices import CHANNELS, MEDIA
from ringway.domain.deliveries import KINDS, STATES
from ringway.domain.faults import FaultSpec
from ringway.domain.messages import MAX_TTL, Recipient
from ringway.domain.simulation import Phone
from ringway.domain.voice import (
    CallRequest,
    CallUpdate,
    DtmfRequest,
    DtmfSubscription,
    SimulatedCall,
    SimulatedInput,
    StreamRequest,
    TalkRequest,
)
from ringway.services.conversations import TEXT_FIELDS

REF = "#/components/schemas/{model}"
ACCOUNT_FIELDS = ("account_id", "api_key", "api_secret", "signature_secret")


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
    "422": _problem("The number is not linked to an application with a voice answer_url"),
    "429": _problem("Too many failed sign-ins by this api_key or address: see Retry-After"),
}


def _errors(*codes: str, accept: bool = True) -> dict[str, Any]:
    """401 and 405 and ``codes``; 406 too where the handler checks the Accept header."""
    negotiated = ("406",) if accept else ()
    return {code: PROBLEMS[code] for code in ("401", "405", *negotiated, *codes)}


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


_NULLABLE_STRING = {"anyOf": [_STRING, {"type": "null"}]}
# What became of a call or message, in ringway's own views (docs/guides/voice.md, "Outcomes").
_OUTCOME = {"outcome": _NULLABLE_STRING, "failed": {"type": "boolean"}}
_FAILED_ONLY = {"name": "failed", "in": "query", "description": "1: only failures",
                "schema": {"type": "string", "enum": ["0", "1", "false", "true"]}}  # fmt: skip
_STATUS = {"type": "string", "enum": [status.value for status in Status]}
_CALL_LINKS = {"type": "object", "properties": {"self": _LINK}, "required": ["self"]}
_CALL_FIELDS: dict[str, Any] = {
    "uuid": _STRING,
    "conversation_uuid": _STRING,
    "to": {
        "oneOf": [
            {
                "type": "object",
                "properties": {"type": {"const": kind}, field: _STRING},
                "required": ["type", field],
            }
            for kind, field in ADDRESS_FIELD.items()
        ]
    },
    "from": {
        "type": "object",
        "properties": {"type": {"const": "phone"}, "number": _STRING},
        "required": ["type", "number"],
    },
    "status": _STATUS,
    "direction": {"type": "string", "enum": ["inbound", "outbound"]},
    # Money and seconds are strings on the wire, as the platform sends them.
    "rate": _STRING,
    "price": _NULLABLE_STRING,
    "duration": _NULLABLE_STRING,
    "start_time": _NULLABLE_STRING,
    "end_time": _NULLABLE_STRING,
    "network": _STRING,
    "_links": _CALL_LINKS,
}


def _given(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {name: schema}, "required": [name]}


_ARRAY = {"type": "array"}
# What the models check across fields, after each field is valid: exactly one of two.
CHOICES: dict[str, list[dict[str, Any]]] = {
    "CallRequest": [
        {"oneOf": [_given("answer_url", _ARRAY), _given("ncco", _ARRAY)]},
        {"oneOf": [_given("from", {"type": "object"}),
                   _given("random_from_number", {"const": True})]},
    ],
    "Destination": [{"oneOf": [_given("url", _ARRAY), _given("ncco", _ARRAY)]}],
    "CallUpdate": [
        {"oneOf": [
            {"properties": {"action": {"const": "transfer"}, "destination": {"type": "object"}},
             "required": ["action", "destination"]},
            {"properties": {"action": {"not": {"const": "transfer"}},
                            "destination": {"type": "null"}}},
        ]}
    ],
}  # fmt: skip


def _cursor_page(name: str | None, items: dict[str, Any]) -> dict[str, Any]:
    """A Conversation API page: ``_embedded`` holds ``name``'s list (or is the list)."""
    embedded = items if name is None else {
        "type": "object", "properties": {name: {"type": "array", "items": items}},
        "required": [name]}  # fmt: skip
    return {
        "type": "object",
        "properties": {"page_size": _INT, "_embedded": embedded,
                       "_links": {"type": "object", "properties": {
                           k: _LINK for k in ("first", "self", "next", "prev")},
                                  "required": ["first", "self"]}},
        "required": ["page_size", "_embedded", "_links"],
    }  # fmt: skip


def _by_address(name: str, item: str) -> dict[str, Any]:
    """Simulated parties with a behaviour of their own, by address, and the default."""
    return {
        "type": "object",
        "properties": {
            name: {"type": "object", "additionalProperties": _ref(item)},
            "default": _ref(item),
        },
        "required": [name, "default"],
    }


def _page_of(name: str, item: str) -> dict[str, Any]:
    """A list paged by ``record_index`` (``api/params.record_page``)."""
    links = {rel: _LINK for rel in ("self", "next", "prev")}
    return {
        "type": "object",
        "properties": {"count": _INT, "page_size": _INT, "record_index": _INT,
                       "_links": {"type": "object", "properties": links, "required": ["self"]},
                       "_embedded": {"type": "object", "properties": {
                           name: {"type": "array", "items": _ref(item)}}, "required": [name]}},
        "required": ["count", "page_size", "record_index", "_links", "_embedded"],
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
    "CallInfo": {"type": "object", "properties": _CALL_FIELDS, "required": list(_CALL_FIELDS)},
    "CallList": _page_of("calls", "CallInfo"),
    "CreateCallResponse": {
        "type": "object",
        "properties": {
            "uuid": _STRING,
            "status": {"const": "started"},
            "direction": {"const": "outbound"},
            "conversation_uuid": _STRING,
        },
        "required": ["uuid", "status", "direction", "conversation_uuid"],
    },
    "CallMessage": {
        "type": "object",
        "properties": {"message": _STRING, "uuid": _STRING},
        "required": ["message", "uuid"],
    },
    "SimulatedCallInfo": {
        "allOf": [
            _ref("CallInfo"),
            {
                "type": "object",
                "properties": {"session": _STRING, **_OUTCOME},
                "required": ["session", *_OUTCOME],
            },
        ]
    },
    "PlacedCall": {
        "allOf": [
            _ref("SimulatedCallInfo"),
            {
                "type": "object",
                "properties": {
                    "_links": {
                        "type": "object",
                        "properties": {"self": _LINK, "timeline": _LINK},
                        "required": ["self", "timeline"],
                    }
                },
            },
        ]
    },
    "Timeline": {
        "type": "object",
        "properties": {
            "uuid": _STRING,
            "session": _STRING,
            "status": _STATUS,
            **_OUTCOME,
            "running": {"type": "boolean"},
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"seq": _INT, "at": _STRING, "leg": _STRING, "kind": _STRING},
                    "required": ["seq", "at", "leg", "kind"],
                },
            },
        },
        "required": ["uuid", "session", "status", *_OUTCOME, "running", "entries"],
    },
    # A phone as ringway answers it: every setting, defaults filled in.
    "PhoneOut": {"allOf": [_ref("Phone"), {"required": list(Phone.model_fields)}]},
    "RecipientOut": {"allOf": [_ref("Recipient"), {"required": list(Recipient.model_fields)}]},
    "RecipientList": _by_address("recipients", "RecipientOut"),
    "FaultOut": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "match": _ref("Match"),
            "action": _ref("Action"),
            "times": _INT,
            "probability": {"type": "number"},
            "seed": _INT,
            "remaining": _INT,
            "matched": _INT,
        },
        "required": ["name", "match", "action", "matched"],
    },
    "FaultList": {
        "type": "object",
        "properties": {"faults": {"type": "array", "items": _ref("FaultOut")}},
        "required": ["faults"],
    },
    "Message": {
        "type": "object",
        "properties": {
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "message_type": {
                "type": "string",
                "enum": sorted({t for ts in CHANNELS.values() for t in ts}),
            },
            "to": _STRING,
            "from": _STRING,
            "text": _STRING,
            "client_ref": _STRING,
            "webhook_url": _STRING,
            "webhook_version": {"type": "string", "enum": ["v1", "v0.1"]},
            **{kind: {"type": "object"} for kind in (*MEDIA, "template", "sticker", "custom")},
            "reaction": {
                "type": "object",
                "properties": {
                    "action": {"type": "string", "enum": ["react", "unreact"]},
                    "emoji": _STRING,
                },
                "required": ["action"],
            },
            "context": {
                "type": "object",
                "properties": {"message_uuid": _STRING},
                "required": ["message_uuid"],
            },
            "ttl": {"type": "integer", "minimum": 1, "maximum": MAX_TTL},
        },
        "required": ["channel", "message_type", "to", "from"],
    },
    "MessageWithFailover": {
        "allOf": [
            _ref("Message"),
            {
                "type": "object",
                "properties": {
                    "failover": {"type": "array", "minItems": 1, "items": _ref("Message")}
                },
            },
        ]
    },
    "MessageUpdate": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["read", "revoked"]},
            "replying_indicator": {
                "type": "object",
                "properties": {
                    "show": {"type": "boolean"},
                    "type": {"type": "string", "enum": ["text"]},
                },
            },
        },
        "required": ["status"],
    },
    "InboundMessage": {
        "type": "object",
        "properties": {
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "to": _STRING,
            "from": _STRING,
            "text": _STRING,
            "message_type": _STRING,
            "application_id": _STRING,
        },
        "required": ["channel", "to", "from"],
    },
    "MessageAccepted": {
        "type": "object",
        "properties": {"message_uuid": _STRING, "workflow_id": _STRING},
        "required": ["message_uuid"],
    },
    "MessageOut": {
        "type": "object",
        "properties": {
            "message_uuid": _STRING,
            "direction": {"type": "string", "enum": ["inbound", "outbound"]},
            "channel": _STRING,
            "message_type": _STRING,
            "from": _STRING,
            "to": _STRING,
            "client_ref": _NULLABLE_STRING,
            "application_id": _NULLABLE_STRING,
            "status": _NULLABLE_STRING,
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"status": _STRING, "timestamp": _STRING, "error": _INT},
                    "required": ["status", "timestamp"],
                },
            },
            "deliveries": {"type": "array", "items": _ref("Delivery")},
            **_OUTCOME,
        },
        "required": [
            *_OUTCOME,
            "message_uuid",
            "direction",
            "channel",
            "message_type",
            "from",
            "to",
            "status",
            "history",
            "deliveries",
        ],
    },
    "MessageList": _page_of("messages", "MessageOut"),
    "Delivery": {
        "type": "object",
        "properties": {
            "id": _STRING,
            "kind": _STRING,
            "subject": _STRING,
            "url": _STRING,
            "method": _STRING,
            "state": {"type": "string", "enum": list(STATES)},
            "attempts": _INT,
            "next_attempt": _NULLABLE_STRING,
            "outcome": _NULLABLE_STRING,
            "created_at": _STRING,
            "body": {},
            "log": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "attempt": _INT,
                        "at": _STRING,
                        "outcome": _STRING,
                        "status": {"anyOf": [_INT, {"type": "null"}]},
                        "latency_ms": {"type": "number"},
                        "response": _STRING,
                        "injected": _NULLABLE_STRING,
                    },
                    "required": [
                        "attempt",
                        "at",
                        "outcome",
                        "status",
                        "latency_ms",
                        "response",
                        "injected",
                    ],
                },
            },
        },
        "required": [
            "id",
            "kind",
            "subject",
            "url",
            "method",
            "state",
            "attempts",
            "next_attempt",
            "outcome",
            "created_at",
            "body",
            "log",
        ],
    },
    "DeliveryList": _page_of("deliveries", "Delivery"),
    "ConversationIn": {
        "type": "object",
        "properties": {
            name: {
                "anyOf": [{"type": "string", "minLength": 1, "maxLength": limit}, {"type": "null"}]
            }
            for name, limit in TEXT_FIELDS.items()
        }
        | {"properties": {"type": "object"}},
    },
    "UserIn": {
        "allOf": [
            _ref("ConversationIn"),
            {"type": "object", "properties": {"channels": {"type": "object"}}},
        ]
    },
    "User": {
        "type": "object",
        "properties": {
            "id": _STRING,
            "name": _STRING,
            "display_name": _STRING,
            "image_url": _NULLABLE_STRING,
            "properties": {"type": "object"},
            "channels": {"type": "object"},
            "_links": _CALL_LINKS,
        },
        "required": ["id", "name", "_links"],
    },
    "UserList": _cursor_page("users", _ref("User")),
    "Conversation": {
        "type": "object",
        "properties": {
            "id": _STRING,
            "name": _STRING,
            "display_name": _STRING,
            "image_url": _STRING,
            "state": _STRING,
            "sequence_number": _INT,
            "timestamp": {"type": "object"},
            "properties": {"type": "object"},
            "_links": _CALL_LINKS,
        },
        "required": ["id", "name", "state", "sequence_number", "timestamp", "_links"],
    },
    "ConversationList": _cursor_page("conversations", _ref("Conversation")),
    "MemberIn": {
        "type": "object",
        "properties": {
            "state": {"type": "string", "enum": ["invited", "joined", "INVITED", "JOINED"]},
            "user": {"type": "object", "properties": {"id": _STRING, "name": _STRING}},
            "channel": {"type": "object", "properties": {"type": _STRING}},
        },
        "required": ["state", "user", "channel"],
    },
    "MemberChange": {
        "type": "object",
        "properties": {
            "state": {"type": "string", "enum": ["joined", "left", "JOINED", "LEFT"]},
            "reason": {"type": "object"},
        },
        "required": ["state"],
    },
    "Member": {
        "type": "object",
        "properties": {
            "id": _STRING,
            "conversation_id": _STRING,
            "state": {"type": "string", "enum": ["INVITED", "JOINED", "LEFT"]},
            "_embedded": {"type": "object"},
            "timestamp": {"type": "object"},
            "initiator": {"type": "object"},
            "channel": {"type": "object"},
        },
        "required": ["id", "conversation_id", "state", "_embedded", "timestamp", "channel"],
    },
    "MemberList": _cursor_page("members", _ref("Member")),
    "EventIn": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "pattern": "^custom:"},
            "from": _STRING,
            "body": {"type": "object"},
        },
        "required": ["type", "from"],
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": _INT,
            "type": _STRING,
            "from": _NULLABLE_STRING,
            "body": {"type": "object"},
            "timestamp": _STRING,
            "_embedded": {"type": "object"},
            "_links": _CALL_LINKS,
        },
        "required": ["id", "type", "body", "timestamp", "_links"],
    },
    "EventList": _cursor_page(None, {"type": "array", "items": _ref("Event")}),
    "PhoneList": _by_address("phones", "PhoneOut"),
    "Problem": {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "code": {"type": "string"},
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
    "Account": {
        "type": "object",
        "properties": {name: {"type": "string"} for name in ACCOUNT_FIELDS},
        "required": list(ACCOUNT_FIELDS),
    },
    "Health": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "ready": {"type": "boolean"},
            "storage": {"type": "boolean"},
            "engine": {"type": "boolean"},
            "version": {"type": "string"},
        },
        "required": ["status", "ready", "storage", "engine", "version"],
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
    if security is None or {"basicAuth": []} in security:  # failed sign-ins are limited
        errors = {"429": PROBLEMS["429"], **errors}
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
    "429": _legacy("Too many failed sign-ins by this api_key or address: see Retry-After"),
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
    }


def _sms_and_account_paths() -> dict[str, Any]:
    """The SMS API (always 200, statuses in the body) and the Account API."""
    part = {"type": "object", "additionalProperties": _STRING, "required": ["status"]}
    answer = {
        "type": "object",
        "properties": {"message-count": _STRING, "messages": {"type": "array", "items": part}},
        "required": ["message-count", "messages"],
    }
    fields = ["api_key", "api_secret", "sig", "timestamp", "from", "to", "text", "type", "body",
              "udh", "client-ref", "callback", "status-report-req", "ttl", "message-class",
              "account-ref"]  # fmt: skip
    # Whatever is sent, the answer is a 200 with each part's status (errors too).
    form = {"type": "object", "properties": {name: {} for name in fields}}
    send = {
        "summary": "Send an SMS",
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form},
                                    "application/json": {"schema": {}}}},
        "responses": {"200": {"description": "Each part's status", "content": _json(answer)},
                      "405": PROBLEMS["405"]},
        "security": [{"basicAuth": []}, {}],
    }  # fmt: skip
    xml = {**send, "responses": {"200": {"description": "Each part's status, in XML",
                                         "content": {"text/xml": {"schema": _STRING}}},
                                 "405": PROBLEMS["405"]}}  # fmt: skip
    settings_form = {"type": "object", "properties": dict.fromkeys(
        ["moCallBackUrl", "drCallBackUrl", "moCallbackUrl", "drCallbackUrl"], _STRING)}  # fmt: skip
    settings = {"type": "object", "properties": {
        "mo-callback-url": _STRING, "dr-callback-url": _STRING, "max-outbound-request": _INT,
        "max-inbound-request": _INT, "max-calls-per-second": _INT}}  # fmt: skip
    links = {"type": "object", "properties": {"self": _LINK}, "required": ["self"]}
    secret = {"type": "object", "properties": {"_links": links, "id": _STRING,
                                               "created_at": _STRING},
              "required": ["_links", "id", "created_at"]}  # fmt: skip
    secrets = {"type": "object", "properties": {
        "_links": links, "_embedded": {"type": "object", "properties": {
            "secrets": {"type": "array", "items": secret}}, "required": ["secrets"]}},
        "required": ["_links", "_embedded"]}  # fmt: skip
    key = [{"name": "api_key", "in": "path", "required": True, "schema": _STRING}]
    secret_id = [*key, {"name": "secret_id", "in": "path", "required": True, "schema": _STRING}]
    secret_errors = _errors("400", "404", "413", "415")
    return {
        "/sms/json": {"post": send, "get": {k: v for k, v in send.items() if k != "requestBody"}},
        "/sms/xml": {"post": xml, "get": {k: v for k, v in xml.items() if k != "requestBody"}},
        "/account/get-balance": {
            "get": _operation(
                "The balance, in euros",
                "200",
                {
                    "type": "object",
                    "properties": {"value": {"type": "number"}, "autoReload": {"type": "boolean"}},
                    "required": ["value", "autoReload"],
                },
                LEGACY_ERRORS,
                params=_LEGACY_AUTH,
                security=[{"basicAuth": []}, {}],
            )
        },
        "/account/settings": {
            "post": {
                **_operation(
                    "The SMS API's default webhooks",
                    "200",
                    settings,
                    LEGACY_ERRORS,
                    params=_LEGACY_AUTH,
                    security=[{"basicAuth": []}, {}],
                ),
                "requestBody": {
                    "content": {"application/x-www-form-urlencoded": {"schema": settings_form}}
                },
            }
        },
        "/accounts/{api_key}/secrets": {
            "parameters": key,
            "get": _operation("The API secrets", "200", secrets, _errors("404")),
            "post": _operation(
                "Add an API secret (two at most)",
                "201",
                secret,
                secret_errors,
                body={"type": "object", "properties": {"secret": _STRING}, "required": ["secret"]},
            ),
        },
        "/accounts/{api_key}/secrets/{secret_id}": {
            "parameters": secret_id,
            "get": _operation("An API secret", "200", secret, _errors("404")),
            "delete": _operation(
                "Revoke an API secret (not the last)",
                "204",
                None,
                {**_errors("404"), "403": _problem("The last secret")},
            ),
        },
    }


_UUID = [{"name": "uuid", "in": "path", "required": True, "schema": _STRING}]
_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_CALL_FILTERS = [
    _query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
    _query("record_index", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
    _query("status", _STRING),
    _query("conversation_uuid", _STRING),
    # ISO 8601: the server also takes forms that are not RFC 3339 date-times, such as a date.
    _query("date_start", _STRING),
    _query("date_end", _STRING),
    _query("order", {"type": "string", "enum": ["asc", "desc"]}),
]


def _voice(
    summary: str,
    ok: str,
    schema: dict[str, Any] | None,
    codes: tuple[str, ...],
    body: str | None = None,
    accept: bool = False,
) -> dict[str, Any]:
    """A Voice API operation: an application JWT (401, and 403 for its acl); a JSON body adds
    400, 413 and 415."""
    more = ("400", "413", "415") if body else ()
    return _operation(
        summary,
        ok,
        schema,
        _errors("403", *more, *codes, accept=accept),
        body=None if body is None else _ref(body),
        security=_BEARER,
    )


def _voice_paths() -> dict[str, Any]:
    audio: dict[str, Any] = {}
    for kind, model in (("talk", "TalkRequest"), ("stream", "StreamRequest")):
        audio[f"/v1/calls/{{uuid}}/{kind}"] = {
            "parameters": _UUID,
            "put": _voice(f"Play {kind} into a call", "200", _ref("CallMessage"), ("404",),
                          body=model),
            "delete": _voice(f"Stop the {kind}", "200", _ref("CallMessage"), ("404",)),
        }  # fmt: skip
    recording = _voice("Download a recording", "200", None, ("404",))
    recording["responses"]["200"]["content"] = {
        "audio/wav": {"schema": {"type": "string", "format": "binary"}}
    }
    return {
        "/v1/calls": {
            "get": _operation(
                "List calls",
                "200",
                _ref("CallList"),
                _errors("400", "403"),
                params=_CALL_FILTERS,
                security=_BEARER,
            ),
            "post": _voice(
                "Create a call",
                "201",
                _ref("CreateCallResponse"),
                (),
                body="CallRequest",
                accept=True,
            ),
        },
        "/v1/calls/{uuid}": {
            "parameters": _UUID,
            "get": _voice("Get a call", "200", _ref("CallInfo"), ("404",), accept=True),
            "put": _voice("Modify a call in progress", "204", None, ("404",), body="CallUpdate"),
        },
        **audio,
        "/v1/calls/{uuid}/dtmf": {
            "parameters": _UUID,
            "put": _voice(
                "Send DTMF into a call", "200", _ref("CallMessage"), ("404",), body="DtmfRequest"
            ),
        },
        "/v1/calls/{uuid}/input/dtmf": {
            "parameters": _UUID,
            "put": _voice(
                "Post each key pressed on a call to a URL",
                "204",
                None,
                ("404",),
                body="DtmfSubscription",
            ),
            "delete": _voice("Stop posting the keys pressed on a call", "204", None, ("404",)),
        },
        "/v1/files/{uuid}": {"parameters": _UUID, "get": recording},
    }


def _caller_input(field: str) -> dict[str, Any]:
    """``SimulatedInput`` with the one field this input needs."""
    return {
        "allOf": [
            _ref("SimulatedInput"),
            {"type": "object", "properties": {field: _STRING}, "required": [field]},
        ]
    }


def _simulation_paths() -> dict[str, Any]:
    body_errors = ("400", "413", "415")
    inputs = {
        f"/_ringway/calls/{{uuid}}/{kind}": {
            "parameters": _UUID,
            "post": _operation(
                f"The simulated person: {summary}",
                "204",
                None,
                _errors(*body_errors, "404", accept=False),
                body=_caller_input(field),
            ),
        }
        for kind, field, summary in (("dtmf", "digits", "key digits"),
                                     ("speech", "text", "say something"))
    }  # fmt: skip
    address = [{"name": "address", "in": "path", "required": True, "schema": _STRING}]
    return {
        "/_ringway/calls": {
            "get": _operation(
                "List simulated and Voice API calls",
                "200",
                _ref("CallList"),
                _errors("400"),
                params=[*_CALL_FILTERS, _FAILED_ONLY],
            ),
            "post": _operation(
                "A simulated person calls one of the account's numbers",
                "201",
                _ref("PlacedCall"),
                _errors(*body_errors, "404", "422"),
                body=_ref("SimulatedCall"),
            ),
        },
        "/_ringway/calls/{uuid}": {
            "parameters": _UUID,
            "get": _operation("Get a call", "200", _ref("SimulatedCallInfo"), _errors("404")),
        },
        "/_ringway/calls/{uuid}/timeline": {
            "parameters": _UUID,
            "get": _operation(
                "A call's timeline",
                "200",
                _ref("Timeline"),
                _errors("400", "404"),
                params=[_query("after", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})],
            ),
        },
        **inputs,
        "/_ringway/calls/{uuid}/hangup": {
            "parameters": _UUID,
            "post": _operation(
                "The simulated person hangs up", "204", None, _errors("404", accept=False)
            ),
        },
        "/_ringway/phones": {
            "get": _operation("The account's virtual phones", "200", _ref("PhoneList"), _errors())
        },
        # Any address has a phone (the default until set), but the route's ``{address:path}``
        # matches no line break, so an address with one inside is a 404.
        "/_ringway/phones/{address}": {
            "parameters": address,
            "get": _operation("A virtual phone", "200", _ref("PhoneOut"), _errors("404")),
            "put": _operation(
                "Set how a virtual phone behaves",
                "200",
                _ref("PhoneOut"),
                _errors(*body_errors, "404"),
                body=_ref("Phone"),
            ),
            "delete": _operation(
                "Reset a virtual phone", "204", None, _errors("404", accept=False)
            ),
        },
    }


def _messaging_paths() -> dict[str, Any]:
    body_errors = ("400", "413", "415")
    paging = [
        _query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
        _query("record_index", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
    ]
    address = [{"name": "address", "in": "path", "required": True, "schema": _STRING}]
    delivery = [{"name": "id", "in": "path", "required": True, "schema": _STRING}]
    states = {"type": "string", "enum": list(STATES)}
    return {
        "/v1/messages": {
            "post": _operation(
                "Send a message", "202", _ref("MessageAccepted"),
                {**_errors("400", "403", "413", accept=False),
                 "422": _problem("Invalid message, or not JSON")},
                body=_ref("MessageWithFailover"),
                security=[{"bearerAuth": []}, {"basicAuth": []}],
            ),
        },
        "/v1/messages/{uuid}": {
            "parameters": _UUID,
            "patch": _operation(
                "Mark an inbound WhatsApp message read, or revoke an outbound RCS message",
                "202", None,
                {**_errors("400", "403", "404", "413", accept=False),
                 "422": _problem("Not an update this message takes, or not JSON")},
                body=_ref("MessageUpdate"), security=[{"bearerAuth": []}, {"basicAuth": []}],
            ),
        },
        "/_ringway/messages": {
            "get": _operation("Messages sent and received", "200", _ref("MessageList"),
                              _errors("400"), params=[*paging, _FAILED_ONLY]),
            "post": _operation(
                "A simulated user sends one of the account's numbers a message", "201",
                _ref("MessageOut"),
                {**_errors(*body_errors, "404"),
                 "422": _problem("Invalid message, or no messages application to take it")},
                body=_ref("InboundMessage"),
            ),
        },
        "/_ringway/messages/{uuid}": {
            "parameters": _UUID,
            "get": _operation("A message", "200", _ref("MessageOut"), _errors("404")),
        },
        "/_ringway/recipients": {
            "get": _operation("The account's simulated recipients", "200",
                              _ref("RecipientList"), _errors()),
        },
        "/_ringway/recipients/{address}": {
            "parameters": address,
            "get": _operation("A simulated recipient", "200", _ref("RecipientOut"),
                              _errors("404")),
            "put": _operation("Set how a simulated recipient behaves", "200",
                              _ref("RecipientOut"), _errors(*body_errors, "404"),
                              body=_ref("Recipient")),
            "delete": _operation("Reset a simulated recipient", "204", None,
                                 _errors("404", accept=False)),
        },
        "/_ringway/deliveries": {
            "get": _operation("The outbox's deliveries", "200", _ref("DeliveryList"),
                              _errors("400"), params=[*paging, _query("state", states),
                                                      _query("kind", {"type": "string",
                                                                      "enum": list(KINDS)})]),
        },
        "/_ringway/deliveries/{id}": {
            "parameters": delivery,
            "get": _operation("A delivery", "200", _ref("Delivery"), _errors("404")),
        },
        "/_ringway/deliveries/{id}/retry": {
            "parameters": delivery,
            "post": _operation("Send a delivery again now", "202", _ref("Delivery"),
                               _errors("404")),
        },
    }  # fmt: skip


def _fault_paths() -> dict[str, Any]:
    name = [{"name": "name", "in": "path", "required": True, "schema": _STRING}]
    return {
        "/_ringway/faults": {
            "get": _operation("The account's webhook faults", "200", _ref("FaultList"),
                              _errors()),
        },
        "/_ringway/faults/{name}": {
            "parameters": name,
            "get": _operation("A webhook fault", "200", _ref("FaultOut"), _errors("404")),
            "put": _operation("Set a webhook fault", "200", _ref("FaultOut"),
                              _errors("400", "413", "415"), body=_ref("FaultSpec")),
            "delete": _operation("Delete a webhook fault", "204", None,
                                 _errors("404", accept=False)),
        },
    }  # fmt: skip


def _conversation_paths() -> dict[str, Any]:
    bearer: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    body_errors = ("400", "413", "415")
    conflict = {"409": _problem("The name is taken")}
    paging = [
        _query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
        _query("order", {"type": "string", "enum": ["asc", "desc"]}),
        _query("cursor", _STRING),
    ]
    ident = [{"name": "id", "in": "path", "required": True, "schema": _STRING}]
    member = [*ident, {"name": "member_id", "in": "path", "required": True, "schema": _STRING}]
    event = [
        *ident,
        {
            "name": "event_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        },
    ]

    def op(summary: str, ok: str, schema: str | None, *codes: str, **more: Any) -> Any:
        extra = more.pop("extra", {})
        return _operation(
            summary,
            ok,
            _ref(schema) if schema else None,
            {**_errors(*codes, accept=False), **extra},
            security=bearer,
            **more,
        )

    return {
        "/v1/users": {
            "get": op("List users", "200", "UserList", "400",
                      params=[*paging, _query("name", _STRING)]),
            "post": op("Create a user", "201", "User", *body_errors, extra=conflict,
                       body=_ref("UserIn")),
        },
        "/v1/users/{id}": {
            "parameters": ident,
            "get": op("A user (by id or name)", "200", "User", "404"),
            "patch": op("Change a user", "200", "User", *body_errors, "404", extra=conflict,
                        body=_ref("UserIn")),
            "delete": op("Delete a user", "204", None, "404"),
        },
        "/v1/conversations": {
            "get": op("List conversations", "200", "ConversationList", "400", params=paging),
            "post": op("Create a conversation", "201", "Conversation", *body_errors,
                       extra=conflict, body=_ref("ConversationIn")),
        },
        "/v1/conversations/{id}": {
            "parameters": ident,
            "get": op("A conversation", "200", "Conversation", "404"),
            "put": op("Change a conversation", "200", "Conversation", *body_errors, "404",
                      extra=conflict, body=_ref("ConversationIn")),
            "delete": op("Delete a conversation", "204", None, "404"),
        },
        "/v1/conversations/{id}/members": {
            "parameters": ident,
            "get": op("The conversation's members", "200", "MemberList", "404"),
            "post": op("Invite or join a user", "201", "Member", *body_errors, "404",
                       body=_ref("MemberIn")),
        },
        "/v1/conversations/{id}/members/{member_id}": {
            "parameters": member,
            "get": op("A member", "200", "Member", "404"),
            "patch": op("Join or leave", "200", "Member", *body_errors, "404",
                        body=_ref("MemberChange")),
        },
        "/v1/conversations/{id}/events": {
            "parameters": ident,
            "get": op("The conversation's events", "200", "EventList", "400", "404",
                      params=paging),
            "post": op("A custom event from a joined member", "201", "Event", *body_errors,
                       "404", body=_ref("EventIn")),
        },
        "/v1/conversations/{id}/events/{event_id}": {
            "parameters": event,
            "get": op("An event", "200", "Event", "400", "404"),
            "delete": op("Delete an event", "204", None, "400", "404"),
        },
    }  # fmt: skip


@cache
def openapi_document() -> dict[str, Any]:
    _, generated = models_json_schema(
        [
            (ApplicationIn, "validation"),
            (ApplicationOut, "serialization"),
            (ApplicationV1In, "validation"),
            (CallRequest, "validation"),
            (CallUpdate, "validation"),
            (TalkRequest, "validation"),
            (StreamRequest, "validation"),
            (DtmfRequest, "validation"),
            (DtmfSubscription, "validation"),
            (SimulatedCall, "validation"),
            (SimulatedInput, "validation"),
            (Phone, "validation"),
            (Recipient, "validation"),
            (NewAccount, "validation"),
            (FaultSpec, "validation"),
        ],
        ref_template=REF,
    )
    for name, rules in CHOICES.items():
        generated["$defs"][name]["allOf"] = rules
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
            **_sms_and_account_paths(),
            **_voice_paths(),
            **_simulation_paths(),
            **_messaging_paths(),
            **_fault_paths(),
            **_conversation_paths(),
            "/_ringway/health": {
                "get": _operation(
                    "Health: whether storage answers and the engine runs",
                    "200",
                    _ref("Health"),
                    {"503": {"description": "Not ready", "content": _json(_ref("Health"))}},
                    security=[],
                )
            },
            "/_ringway/metrics": {
                "get": {
                    "summary": "Metrics, in the Prometheus text format",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Metrics",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/_ringway/openapi.json": {
                "get": _operation("This document", "200", {"type": "object"}, {}, security=[])
            },
            "/_ringway/accounts": {
                "post": _operation(
                    "Create an account (with the server's operator token)",
                    "201",
                    _ref("Account"),
                    {
                        **body_errors,
                        "403": _problem("The server takes no operator token"),
                        "409": _problem("An account has that api_key"),
                    },
                    body=_ref("NewAccount"),
                    security=[{"bearerAuth": []}],
                )
            },
            "/_ringway/reset": {
                "post": _operation(
                    "Wipe everything of the account but its credentials",
                    "204",
                    None,
                    _errors(accept=False),
                )
            },
        },
    }
