"""``/_ringway/phones`` and ``/_ringway/recipients``: the routes of a kind of simulated party."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import basic_account, platform_of
from ringway.api.http import JSONResponse, check_accept, json_body, path_param
from ringway.api.operations import BODY_ERRORS, Operation
from ringway.domain.applications import parse_body
from ringway.services.parties import Parties
from ringway.services.platform import Platform


def party_operations(
    path: str,
    name: str,
    parties_of: Callable[[Platform], Parties[Any]],
    kind: str,
    model: type[BaseModel],
) -> list[Operation]:
    """List (``{name: {address: behaviour}, default}``), get, set and reset by address the
    ``kind`` of party whose behaviour ``model`` holds."""

    async def context(request: Request) -> tuple[Platform, Parties[Any], str]:
        account = await basic_account(request)
        platform = platform_of(request)
        return platform, parties_of(platform), account.id

    async def list_(request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        platform, parties, account_id = await context(request)
        found = await platform.db.run(parties.all, account_id)
        return JSONResponse({name: found, "default": parties.model().model_dump(mode="json")})

    async def get(request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        platform, parties, account_id = await context(request)
        found = await platform.db.run(parties.get, account_id, path_param(request, "address"))
        return JSONResponse(found.model_dump(mode="json"))

    async def set_(request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        platform, parties, account_id = await context(request)
        body = await json_body(request, platform.settings.max_body_bytes)
        behaviour = parse_body(parties.model, body)
        await platform.db.run(parties.set, account_id, path_param(request, "address"), behaviour)
        return JSONResponse(behaviour.model_dump(mode="json"))

    async def reset(request: Request) -> Response:
        platform, parties, account_id = await context(request)
        await platform.db.run(parties.delete, account_id, path_param(request, "address"))
        return Response(status_code=204)

    # Any address has a party (the default until set), but ``{address:path}`` matches no line
    # break, so an address with one inside is a 404.
    one = path + "/{address:path}"
    out = f"{model.__name__}Out"
    return [
        Operation("GET", path, list_, f"The account's {kind}s", answer=f"{model.__name__}List"),
        Operation("GET", one, get, f"A {kind}", answer=out, errors=(404,)),
        Operation("PUT", one, set_, f"Set how a {kind} behaves", answer=out, body=model,
                  errors=(*BODY_ERRORS, 404)),
        Operation("DELETE", one, reset, f"Reset a {kind}", ok=204, accept=False, errors=(404,)),
    ]  # fmt: skip
