"""ringway's simulated world, under ``/_ringway`` (HTTP Basic): simulated calls and their live
control, call timelines, and virtual phones."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ringway.api.auth import basic_account, platform_of
from ringway.api.http import JSONResponse, check_accept, json_body, resource
from ringway.api.params import int_params, one_of
from ringway.api.parties import party_routes
from ringway.api.voice import call_page, call_uuid, call_wire
from ringway.domain.applications import parse_body
from ringway.domain.calls import CallRecord, Entry, timestamp
from ringway.domain.errors import list_invalid
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


routes: list[Route] = [
    resource(PATH, GET=list_calls, POST=place_call),
    resource(PATH + "/{uuid}", GET=get_call),
    resource(PATH + "/{uuid}/timeline", GET=timeline),
    *(resource(f"{PATH}/{{uuid}}/{kind}", POST=caller_input) for kind in CALLER_INPUTS),
    *party_routes("/_ringway/phones", "phones", lambda platform: platform.calls.phones),
]
