"""Application API v2 (wire §1): a thin layer over ApplicationService."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import address_of, authenticate, basic_account, platform_of
from ringway.api.http import JSONResponse, check_accept, json_body
from ringway.api.operations import BODY_ERRORS, Operation, query, tagged
from ringway.api.params import int_params
from ringway.domain.accounts import AccountRow
from ringway.domain.applications import ApplicationIn, ApplicationOut, parse_application, to_wire
from ringway.domain.errors import list_invalid
from ringway.domain.pagination import page_links
from ringway.services.applications import Page
from ringway.services.platform import Platform

PATH = "/v2/applications"
MAX_PAGE_SIZE = 1000


async def list_applications(request: Request) -> Response:
    headers = request.headers
    page = await applications_page(
        platform_of(request),
        headers.get("authorization"),
        headers.get("accept"),
        request.scope["query_string"],
        address_of(request.scope),
    )
    return Response(page, media_type=JSONResponse.media_type)


async def applications_page(
    platform: Platform, authorization: str | None, accept: str | None, query: bytes, address: str
) -> bytes:
    """GET a page of the account's applications, as JSON; also served by the hot path. The
    page is rendered once while the read cache keeps it."""
    check_accept(accept)
    account = await authenticate(platform, authorization, address)
    number, size = _paging(query)
    page = await platform.db.run(platform.applications.list, account.id, number, size)
    return platform.views.get(page.items, (PATH, page.page, page.page_size), lambda: _page(page))


@functools.lru_cache(maxsize=256)
def _paging(query: bytes) -> tuple[int, int]:
    """``page`` and ``page_size`` from a query string, or a 400 naming what is wrong; parsed
    once per query string (parsing was a fifth of what a list request cost)."""
    params = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)) if query else {}
    wanted = int_params(params, {"page_size": (10, 1, MAX_PAGE_SIZE), "page": (1, 1, 2**31 - 1)},
                        list_invalid)  # fmt: skip
    return wanted["page"], wanted["page_size"]


def _page(page: Page) -> bytes:
    return orjson.dumps(
        {
            "page_size": page.page_size,
            "page": page.page,
            "total_items": page.total_items,
            "total_pages": page.total_pages,
            "_embedded": {"applications": [to_wire(app) for app in page.items]},
            "_links": page_links(
                PATH, "page", page.page_size, page.page, max(page.total_pages, 1), 1
            ),
        }
    )


async def create_application(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    spec = parse_application(await json_body(request, platform.settings.max_body_bytes))
    app, private_key = await platform.db.run(platform.applications.create, account.id, spec)
    return JSONResponse(to_wire(app, private_key), status_code=201)


async def read_application(
    platform: Platform, app_id: str, authorization: str | None, accept: str | None, address: str
) -> dict[str, Any]:
    """GET one application; also served by the hot path, without the framework."""
    check_accept(accept)
    account = await authenticate(platform, authorization, address)
    return to_wire(await platform.db.run(platform.applications.get, account.id, app_id))


async def get_application(request: Request) -> Response:
    headers = request.headers
    return JSONResponse(
        await read_application(
            platform_of(request),
            request.path_params["id"],
            headers.get("authorization"),
            headers.get("accept"),
            address_of(request.scope),
        )
    )


async def replace_application(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    account = await basic_account(request)
    platform = platform_of(request)
    spec = parse_application(await json_body(request, platform.settings.max_body_bytes))
    app = await platform.db.run(
        platform.applications.replace, account.id, request.path_params["id"], spec
    )
    return JSONResponse(to_wire(app))


async def delete_application(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    return await delete_owned(request, await basic_account(request))


async def delete_owned(request: Request, account: AccountRow) -> Response:
    """Delete the application named in the path, for ``account``: 204 with no body."""
    platform = platform_of(request)
    await platform.db.run(platform.applications.delete, account.id, request.path_params["id"])
    return Response(status_code=204)


def page_params(size_max: int, index_name: str, index_min: int) -> tuple[dict[str, Any], ...]:
    """``page_size`` and a page's index, as the Application APIs take them."""
    size = {"type": "integer", "minimum": 1, "maximum": size_max, "default": 10}
    index = {"type": "integer", "minimum": index_min, "maximum": 2**31 - 1}
    return query("page_size", size), query(index_name, index)


ONE = PATH + "/{id}"
operations = tagged("Applications", [
    Operation("GET", PATH, list_applications, "List applications", answer="ApplicationList",
              params=page_params(MAX_PAGE_SIZE, "page", 1), errors=(400,)),
    Operation("POST", PATH, create_application, "Create an application", ok=201,
              answer=ApplicationOut, body=ApplicationIn, errors=BODY_ERRORS),
    Operation("GET", ONE, get_application, "Get an application", answer=ApplicationOut,
              errors=(404,)),
    Operation("PUT", ONE, replace_application, "Replace an application",
              answer=ApplicationOut, body=ApplicationIn, errors=(*BODY_ERRORS, 404)),
    Operation("DELETE", ONE, delete_application, "Delete an application", ok=204,
              errors=(404,)),
])  # fmt: skip
