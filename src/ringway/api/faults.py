"""``/_ringway/faults`` (HTTP Basic): the account's injected webhook faults, by name."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import basic_account, platform_of
from ringway.api.http import JSONResponse, check_accept, json_body
from ringway.api.operations import BODY_ERRORS, Operation, tagged
from ringway.domain.applications import parse_body
from ringway.domain.faults import FaultSpec, fault_wire

PATH = "/_ringway/faults"


async def list_faults(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    found = await platform.db.run(platform.faults.list, account.id)
    return JSONResponse({"faults": [fault_wire(fault) for fault in found]})


async def get_fault(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    fault = await platform.db.run(platform.faults.get, account.id, request.path_params["name"])
    return JSONResponse(fault_wire(fault))


async def put_fault(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    spec = parse_body(FaultSpec, await json_body(request, platform.settings.max_body_bytes))
    fault = await platform.db.run(platform.faults.put, account.id, request.path_params["name"],
                                  spec)  # fmt: skip
    return JSONResponse(fault_wire(fault))


async def delete_fault(request: Request) -> Response:
    account = await basic_account(request)
    platform = platform_of(request)
    await platform.db.run(platform.faults.delete, account.id, request.path_params["name"])
    return Response(status_code=204)


ONE = PATH + "/{name}"
operations = tagged("Faults", [
    Operation("GET", PATH, list_faults, "The account's webhook faults", answer="FaultList"),
    Operation("GET", ONE, get_fault, "A webhook fault", answer="FaultOut", errors=(404,)),
    Operation("PUT", ONE, put_fault, "Set a webhook fault", answer="FaultOut", body=FaultSpec,
              errors=BODY_ERRORS),
    Operation("DELETE", ONE, delete_fault, "Delete a webhook fault", ok=204, accept=False,
              errors=(404,)),
])  # fmt: skip
