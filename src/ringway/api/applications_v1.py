"""Application API v1 (wire §2), the legacy shape over the same service and storage."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ringway.api.applications_v2 import delete_owned, page_params
from ringway.api.auth import legacy_account, platform_of
from ringway.api.http import JSONResponse, check_accept, form_body, is_form, json_body
from ringway.api.operations import BODY_ERRORS, LEGACY, Operation, tagged
from ringway.api.params import int_params
from ringway.domain.applications_v1 import ApplicationV1In, parse_v1, to_v1_wire, v1_to_spec
from ringway.domain.errors import list_invalid
from ringway.domain.pagination import page_count, page_links

PATH = "/v1/applications"


async def _body(request: Request) -> Any:
    """v1 accepts JSON or, on create, an HTML form."""
    limit = platform_of(request).settings.max_body_bytes
    if is_form(request):
        return await form_body(request, limit)
    return await json_body(request, limit)


async def list_applications(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await legacy_account(request)
    query = int_params(
        request.query_params,
        {"page_size": (10, 1, 1000), "page_index": (0, 0, 2**31 - 1)},
        list_invalid,
    )
    size, index = query["page_size"], query["page_index"]
    platform = platform_of(request)
    page = await platform.db.run(platform.applications.list, account.id, index + 1, size)
    return JSONResponse(
        {
            "count": page.total_items,
            "page_size": size,
            "page_index": index,
            "_embedded": {"applications": [to_v1_wire(app) for app in page.items]},
            "_links": page_links(
                PATH, "page_index", size, index, max(page_count(page.total_items, size) - 1, 0), 0
            ),
        }
    )


async def create_application(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    body = await _body(request)
    account = await legacy_account(request, body)
    platform = platform_of(request)
    spec = v1_to_spec(parse_v1(body))
    app, private_key = await platform.db.run(platform.applications.create, account.id, spec)
    return JSONResponse(to_v1_wire(app, private_key), status_code=201)


async def get_application(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await legacy_account(request)
    platform = platform_of(request)
    app = await platform.db.run(platform.applications.get, account.id, request.path_params["id"])
    return JSONResponse(to_v1_wire(app))


async def update_application(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    body = await _body(request)
    account = await legacy_account(request, body)
    platform = platform_of(request)
    spec = parse_v1(body)
    app = await platform.db.run(
        platform.applications.revise,
        account.id,
        request.path_params["id"],
        lambda current: v1_to_spec(spec, current),
    )
    return JSONResponse(to_v1_wire(app))


async def delete_application(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    return await delete_owned(request, await legacy_account(request))


ONE = PATH + "/{id}"
operations = tagged("Applications (v1)", [
    Operation("GET", PATH, list_applications, "List applications (v1)",
              answer="ApplicationV1List", auth=LEGACY,
              params=page_params(1000, "page_index", 0), errors=(400,)),
    Operation("POST", PATH, create_application, "Create an application (v1)", ok=201,
              answer="ApplicationV1Out", auth=LEGACY, body=ApplicationV1In,
              errors=BODY_ERRORS),
    Operation("GET", ONE, get_application, "Get an application (v1)",
              answer="ApplicationV1Out", auth=LEGACY, errors=(404,)),
    Operation("PUT", ONE, update_application, "Update an application (v1)",
              answer="ApplicationV1Out", auth=LEGACY, body=ApplicationV1In,
              errors=(*BODY_ERRORS, 404)),
    Operation("DELETE", ONE, delete_application, "Delete an application (v1)", ok=204,
              auth=LEGACY, errors=(404,)),
])  # fmt: skip
