"""The JSON Schemas of what ringway answers, and of the bodies it takes that have no pydantic
model; operations (``api/operations``) name them, and the OpenAPI document holds them."""

from __future__ import annotations

from typing import Any

from ringway.api.voice import ADDRESS_FIELD
from ringway.domain.calls import Status
from ringway.domain.choices import CHANNELS, MEDIA
from ringway.domain.deliveries import STATES
from ringway.domain.messages import MAX_TTL, Recipient
from ringway.domain.simulation import Phone
from ringway.domain.voice import SimulatedInput
from ringway.services.conversations import TEXT_FIELDS

REF = "#/components/schemas/{model}"
ACCOUNT_FIELDS = ("account_id", "api_key", "api_secret", "signature_secret")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


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


def _number_form(fields: list[str]) -> dict[str, Any]:
    """The form that buys, cancels or routes ``country``'s ``msisdn``."""
    return {
        "type": "object",
        "properties": {name: _STRING for name in ["country", "msisdn", *fields]},
        "required": ["country", "msisdn"],
    }


def _number_list(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"count": _INT, "numbers": {"type": "array", "items": item}},
        "required": ["count"],
    }


SCHEMAS: dict[str, Any] = {
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
    **{
        f"Caller{kind.capitalize()}": {
            "allOf": [
                _ref("SimulatedInput"),
                {"type": "object", "properties": {field: _STRING}, "required": [field]},
            ]
        }
        for kind, field in (("dtmf", "digits"), ("speech", "text"))
    },
    "Balance": {
        "type": "object",
        "properties": {"value": {"type": "number"}, "autoReload": {"type": "boolean"}},
        "required": ["value", "autoReload"],
    },
    "SmsSettings": {"type": "object", "properties": {
        "mo-callback-url": _STRING, "dr-callback-url": _STRING, "max-outbound-request": _INT,
        "max-inbound-request": _INT, "max-calls-per-second": _INT}},
    "SmsSettingsForm": {"type": "object", "properties": dict.fromkeys(
        ["moCallBackUrl", "drCallBackUrl", "moCallbackUrl", "drCallbackUrl"], _STRING)},
    "Secret": {"type": "object", "properties": {"_links": _CALL_LINKS, "id": _STRING,
                                                "created_at": _STRING},
               "required": ["_links", "id", "created_at"]},
    "SecretList": {"type": "object", "properties": {
        "_links": _CALL_LINKS, "_embedded": {"type": "object", "properties": {
            "secrets": {"type": "array", "items": _ref("Secret")}}, "required": ["secrets"]}},
        "required": ["_links", "_embedded"]},
    "SecretIn": {"type": "object", "properties": {"secret": _STRING}, "required": ["secret"]},
    "SmsParts": {"type": "object", "properties": {
        "message-count": _STRING,
        "messages": {"type": "array", "items": {
            "type": "object", "additionalProperties": _STRING, "required": ["status"]}}},
        "required": ["message-count", "messages"]},
    # Whatever is sent, the answer is a 200 with each part's status (errors too): so no type,
    # nothing a body could break, only the fields the SMS API reads.
    "SmsIn": {"properties": {name: {} for name in (
        "api_key", "api_secret", "sig", "timestamp", "from", "to", "text", "type", "body", "udh",
        "client-ref", "callback", "status-report-req", "ttl", "message-class", "account-ref")}},
    "NumberIn": _number_form([]),
    "NumberRouting": _number_form(["app_id", "moHttpUrl", "voiceCallbackType",
                                   "voiceCallbackValue", "voiceStatusCallback"]),
}  # fmt: skip
# Models that only the schemas above name (the operations' own are found from them).
MODELS = (SimulatedInput,)
