"""ringway's simulated world, under ``/_ringway`` (HTTP Basic): simulated calls and their live
control, call timelines, and virtual phones."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import basic_account, platform_of
from ringway.api.http import JSONResponse, check_accept, json_body
from ringway.api.operations import BODY_ERRORS, Operation, problem, query, tagged
from ringway.api.params import FAILED_ONLY, int_params, one_of
from ringway.api.parties import party_operations
from ringway.api.voice import CALL_FILTERS, call_page, call_uuid, call_wire
from ringway.domain.applications import parse_body
from ringway.domain.calls import CallRecord, Entry, timestamp
from ringway.domain.errors import list_invalid
from ringway.domain.simulation import Phone
from ringway.domain.voice import SimulatedCall, caller_gives

PATH = "/_ringway/calls"
CALLER_INPUTS = ("dtmf", "speech", "hangup")


async def place_call(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    body = parse_body(SimulatedCall, await json_body(request, platform.settings.max_body_bytes))
    leg = await platform.calls.simulate(account.id, body)
    return JSONResponse(
        {**call_view(leg.record()),
         "_links": {"self": {"href": f"{PATH}/{leg.uuid}"},
                    "timeline": {"href": f"{PATH}/{leg.uuid}/timeline"}}},
        status_code=201,
    )  # fmt: skip


async def list_calls(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    failed = one_of(request, "failed", ("0", "1", "false", "true")) in ("1", "true")
    return JSONResponse(await call_page(request, account.id, call_view, failed))


async def get_call(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    record = await platform_of(request).calls.get(account.id, call_uuid(request))
    return JSONResponse(call_view(record))


def call_view(record: CallRecord) -> dict[str, Any]:
    """A call as ringway's own views show it: as the Voice API does, with the simulated call
    (``session``) it belongs to and, once it has ended, its ``outcome`` in words."""
    return {**call_wire(record), "session": record.session, "outcome": record.outcome,
            "failed": record.failed}  # fmt: skip


async def timeline(request: Request) -> Response:
    """Every request, status, action and input of the call and the legs it made, in order;
    ``after=N`` returns the entries after the N-th, for following a running call."""
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    after = int_params(request.query_params, {"after": (0, 0, 2**31 - 1)}, list_invalid)["after"]
    record, entries, running = await platform_of(request).calls.timeline(
        account.id, call_uuid(request), after
    )
    return JSONResponse(
        {"uuid": record.uuid, "session": record.session, "status": record.status,
         "outcome": record.outcome, "failed": record.failed, "running": running,
         "entries": [entry_wire(e) for e in entries]}
    )  # fmt: skip


def entry_wire(entry: Entry) -> dict[str, Any]:
    return {"seq": entry.seq, "at": timestamp(entry.at), "leg": entry.leg, "kind": entry.kind,
            **entry.data}  # fmt: skip


async def caller_input(request: Request) -> Response:
    """``dtmf`` (``{"digits"}``), ``speech`` (``{"text"}``) or ``hangup`` from the simulated
    person on a running leg."""
    account = await basic_account(request)
    platform = platform_of(request)
    kind = request.url.path.rsplit("/", 1)[-1]
    body = None if kind == "hangup" else await json_body(request, platform.settings.max_body_bytes)
    value = caller_gives(kind, body)
    await platform.calls.caller(account.id, call_uuid(request), kind, value)
    return Response(status_code=204)


ONE = PATH + "/{uuid}"
_AFTER = query("after", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})
_UNANSWERED = problem("The number is not linked to an application with a voice answer_url")
operations = tagged("Simulated calls", [
    Operation("GET", PATH, list_calls, "List simulated and Voice API calls",
              answer="CallList", params=(*CALL_FILTERS, FAILED_ONLY), errors=(400,)),
    Operation("POST", PATH, place_call, "A simulated person calls one of the account's numbers",
              ok=201, answer="PlacedCall", body=SimulatedCall, errors=(*BODY_ERRORS, 404),
              responses={422: _UNANSWERED}),
    Operation("GET", ONE, get_call, "Get a call", answer="SimulatedCallInfo", errors=(404,)),
    Operation("GET", ONE + "/timeline", timeline, "A call's timeline", answer="Timeline",
              params=(_AFTER,), errors=(400, 404)),
    Operation("POST", ONE + "/dtmf", caller_input, "The simulated person: key digits", ok=204,
              body="CallerDtmf", accept=False, errors=(*BODY_ERRORS, 404)),
    Operation("POST", ONE + "/speech", caller_input, "The simulated person: say something",
              ok=204, body="CallerSpeech", accept=False, errors=(*BODY_ERRORS, 404)),
    Operation("POST", ONE + "/hangup", caller_input, "The simulated person hangs up", ok=204,
              accept=False, errors=(404,)),
    *party_operations("/_ringway/phones", "phones", lambda platform: platform.calls.phones,
                      "virtual phone", Phone),
])  # fmt: skip
