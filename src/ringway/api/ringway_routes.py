"""ringway's own endpoints, under ``/_ringway/`` (not part of the Vonage wire API)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import ringway
from ringway.api.auth import basic_account, platform_of
from ringway.api.http import JSONResponse, resource
from ringway.api.openapi import openapi_document


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": ringway.__version__})


async def openapi(_request: Request) -> Response:
    return JSONResponse(openapi_document())


async def reset(request: Request) -> Response:
    """Wipe everything of the calling account but its credentials (HTTP Basic)."""
    account = await basic_account(request)
    await platform_of(request).resets.reset(account.id)
    return Response(status_code=204)


routes = [
    Route("/_ringway/health", health, methods=["GET"]),
    Route("/_ringway/openapi.json", openapi, methods=["GET"]),
    resource("/_ringway/reset", POST=reset),
]
