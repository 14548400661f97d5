"""The Messages API (``POST /v1/messages``, Bearer JWT or Basic) and ringway's own messaging
endpoints: simulated inbound messages, the message log, simulated recipients, deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import basic_account, platform_of
from ringway.api.bearer import bearer_application
from ringway.api.http import (
    JSONResponse,
    check_accept,
    json_body,
    path_param,
    read_body,
    reject_unstorable,
)
from ringway.api.operations import (
    BEARER_OR_BASIC,
    BODY_ERRORS,
    Operation,
    problem,
    query,
    tagged,
)
from ringway.api.params import FAILED_ONLY, one_of, record_page, record_paging
from ringway.api.parties import party_operations
from ringway.domain.applications import Application
from ringway.domain.calls import timestamp
from ringway.domain.deliveries import KINDS, STATES, DeliveryLog
from ringway.domain.messages import MessageRecord, Recipient, invalid_json, reached
from ringway.domain.outcomes import DELIVERY_HOOKS, INBOUND, of_message

MESSAGES = "/_ringway/messages"
RECIPIENTS = "/_ringway/recipients"
DELIVERIES = "/_ringway/deliveries"


async def _sender(request: Request) -> tuple[str, Application | None, Any]:
    """The account (and application, with a Bearer JWT) of a Messages API request, and its
    JSON body."""
    platform = platform_of(request)
    application = None
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        application = (await bearer_application(request)).application
        account_id = application.account_id
    else:
        account_id = (await basic_account(request)).id
    raw = await read_body(request, platform.settings.max_body_bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_json(str(exc)) from None
    reject_unstorable(body)
    return account_id, application, body


async def send_message(request: Request) -> Response:
    platform = platform_of(request)
    account_id, application, body = await _sender(request)
    record, workflow_id = await platform.db.run(platform.messages.send, account_id, application,
                                                body)  # fmt: skip
    answer = {"message_uuid": record.uuid}
    if workflow_id is not None:
        answer["workflow_id"] = workflow_id
    return JSONResponse(answer, status_code=202)


async def update_message(request: Request) -> Response:
    """``PATCH /v1/messages/{uuid}``: 202 with no body (the SDKs read none)."""
    platform = platform_of(request)
    account_id, _application, body = await _sender(request)
    uuid = path_param(request, "uuid")
    await platform.db.run(platform.messages.update, account_id, uuid, body)
    return Response(status_code=202)


async def receive_message(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    body = await json_body(request, platform.settings.max_body_bytes)
    record = await platform.db.run(platform.messages.receive, account.id, body)
    return JSONResponse(message_wire(record, []), status_code=201)


async def list_messages(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    size, index = record_paging(request, 20)
    failed = one_of(request, "failed", ("0", "1", "false", "true")) in ("1", "true")
    platform = platform_of(request)
    total, items = await platform.db.run(platform.messages.page, account.id, index, size, failed)
    messages = [message_wire(record, logs) for record, logs in items]
    return JSONResponse(record_page(request, total, index, size, "messages", messages))


async def get_message(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    uuid = path_param(request, "uuid")
    record, logs = await platform.db.run(platform.messages.get, account.id, uuid)
    return JSONResponse(message_wire(record, logs))


def message_wire(record: MessageRecord, logs: list[DeliveryLog]) -> dict[str, Any]:
    """A message with the statuses it has reached so far and every delivery it caused."""
    history = reached(record.history, datetime.now(UTC))
    inbound = next(((DELIVERY_HOOKS[d.kind], d.state, d.outcome, d.attempts)
                    for d in (log.delivery for log in logs) if d.kind in INBOUND),
                   None)  # fmt: skip
    outcome = of_message(record.direction, history[-1] if history else None, inbound)
    return {
        "message_uuid": record.uuid, "direction": record.direction, "channel": record.channel,
        "message_type": record.message_type, "from": record.from_address,
        "to": record.to_address, "client_ref": record.client_ref,
        "application_id": record.application_id, **record.content,
        "status": history[-1]["status"] if history else None, "history": history,
        "outcome": outcome.text if outcome else None, "failed": bool(outcome and outcome.failed),
        "deliveries": [delivery_wire(log) for log in logs],
    }  # fmt: skip


def delivery_wire(log: DeliveryLog) -> dict[str, Any]:
    d = log.delivery
    return {
        "id": d.uuid, "kind": d.kind, "subject": d.subject, "url": d.url, "method": d.method,
        "state": d.state, "attempts": d.attempts, "next_attempt": timestamp(d.next_at)
        if d.state == "pending" else None, "outcome": d.outcome,
        "created_at": timestamp(d.created_at), "body": orjson.loads(d.body),
        "log": [{"attempt": a.number, "at": timestamp(a.at), "outcome": a.outcome,
                 "status": a.status, "latency_ms": round(a.latency_ms, 1),
                 "response": a.response_body, "injected": a.injected} for a in log.attempts],
    }  # fmt: skip


# -- deliveries ----------------------------------------------------------------------------


async def list_deliveries(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    size, index = record_paging(request, 20)
    state, kind = one_of(request, "state", STATES), one_of(request, "kind", KINDS)
    platform = platform_of(request)
    total, logs = await platform.db.run(platform.deliveries.page, account.id, state, kind,
                                        index, size)  # fmt: skip
    deliveries = [delivery_wire(log) for log in logs]
    return JSONResponse(record_page(request, total, index, size, "deliveries", deliveries))


async def get_delivery(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    log = await platform.db.run(platform.deliveries.get, account.id, path_param(request, "id"))
    return JSONResponse(delivery_wire(log))


async def retry_delivery(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    log = await platform.db.run(platform.deliveries.retry, account.id, path_param(request, "id"))
    return JSONResponse(delivery_wire(log), status_code=202)


_PAGING = (
    query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
    query("record_index", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
)
_STATE = query("state", {"type": "string", "enum": list(STATES)})
_KIND = query("kind", {"type": "string", "enum": list(KINDS)})
operations = tagged("Messages", [
    Operation("POST", "/v1/messages", send_message, "Send a message", ok=202,
              answer="MessageAccepted", auth=BEARER_OR_BASIC, body="MessageWithFailover",
              accept=False, errors=(400, 413),
              responses={422: problem("Invalid message, or not JSON")}),
    Operation("PATCH", "/v1/messages/{uuid}", update_message,
              "Mark an inbound WhatsApp message read, or revoke an outbound RCS message",
              ok=202, auth=BEARER_OR_BASIC, body="MessageUpdate", accept=False,
              errors=(400, 404, 413),
              responses={422: problem("Not an update this message takes, or not JSON")}),
    Operation("GET", MESSAGES, list_messages, "Messages sent and received",
              answer="MessageList", params=(*_PAGING, FAILED_ONLY), errors=(400,)),
    Operation("POST", MESSAGES, receive_message,
              "A simulated user sends one of the account's numbers a message", ok=201,
              answer="MessageOut", body="InboundMessage", errors=(*BODY_ERRORS, 404),
              responses={422: problem("Invalid message, or no messages application to take it")}),
    Operation("GET", MESSAGES + "/{uuid}", get_message, "A message", answer="MessageOut",
              errors=(404,)),
    *party_operations(RECIPIENTS, "recipients", lambda platform: platform.messages.recipients,
                      "simulated recipient", Recipient),
    Operation("GET", DELIVERIES, list_deliveries, "The outbox's deliveries",
              answer="DeliveryList", params=(*_PAGING, _STATE, _KIND), errors=(400,)),
    Operation("GET", DELIVERIES + "/{id}", get_delivery, "A delivery", answer="Delivery",
              errors=(404,)),
    Operation("POST", DELIVERIES + "/{id}/retry", retry_delivery, "Send a delivery again now",
              ok=202, answer="Delivery", errors=(404,)),
])  # fmt: skip
