"""Voice API (wire §7). Calls arrive with the voice engine; until then the list is empty, and
it exercises the Bearer-JWT layer end to end."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ringway.api.bearer import bearer_application
from ringway.api.http import JSONResponse, check_accept, resource
from ringway.api.params import int_params
from ringway.domain.errors import list_invalid

PATH = "/v1/calls"


async def list_calls(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    await bearer_application(request)
    query = int_params(
        request.query_params,
        {"page_size": (10, 1, 100), "record_index": (0, 0, 2**31 - 1)},
        list_invalid,
    )
    size, index = query["page_size"], query["record_index"]
    return JSONResponse(
        {
            "count": 0,
            "page_size": size,
            "record_index": index,
            "_links": {"self": {"href": f"{PATH}?page_size={size}&record_index={index}"}},
            "_embedded": {"calls": []},
        }
    )


routes: list[Route] = [resource(PATH, GET=list_calls)]
