"""ringway's own endpoints, under ``/_ringway/`` (not part of the Vonage wire API)."""

from __future__ import annotations

import hmac
import logging

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

import ringway
from ringway.api.auth import basic_account, platform_of
from ringway.api.http import JSONResponse, json_body
from ringway.api.openapi import openapi_document
from ringway.api.operations import BODY_ERRORS, OPEN, OPERATOR, Operation, problem, tagged
from ringway.domain.accounts import NewAccount
from ringway.domain.applications import parse_body
from ringway.domain.errors import conflict, forbidden, unauthorized
from ringway.observe.metrics import exposition, requests
from ringway.services.accounts import AccountError

log = logging.getLogger("ringway")


async def health(request: Request) -> Response:
    """Whether storage answers and the engine runs: 200 when both do (``ready``), else 503."""
    platform = platform_of(request)
    try:
        storage = await platform.db.run(platform.storage_answers)
    except Exception:
        log.warning("storage does not answer", exc_info=True)
        storage = False
    engine = platform.engine_running
    ready = storage and engine
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "ready": ready, "storage": storage,
         "engine": engine, "version": ringway.__version__},
        status_code=200 if ready else 503,
    )  # fmt: skip


async def metrics(request: Request) -> Response:
    """The Prometheus text format (see ``observe/metrics``)."""
    platform = platform_of(request)
    requests.sync()
    body = await platform.db.run(exposition, platform.counts)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(request.app.routes))


async def create_account(request: Request) -> Response:
    """An account made by an operator holding the server's operator token (the test kit's way
    to give each test an account of its own); the secrets are shown only now."""
    platform = platform_of(request)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise unauthorized()
    token = platform.settings.operator_token
    if token is None:
        raise forbidden("this server takes no operator token: start it with "
                        "RINGWAY_OPERATOR_TOKEN set to create accounts over HTTP")  # fmt: skip
    if not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        raise unauthorized()
    wanted = parse_body(NewAccount, await json_body(request, platform.settings.max_body_bytes))
    try:
        made = await platform.db.run(platform.accounts.create, wanted.api_key,
                                     wanted.api_secret, wanted.signature_secret)  # fmt: skip
    except AccountError as exc:
        raise conflict(str(exc)) from None
    return JSONResponse(
        {"account_id": made.account_id, "api_key": made.api_key, "api_secret": made.api_secret,
         "signature_secret": made.signature_secret},
        status_code=201,
    )  # fmt: skip


async def reset(request: Request) -> Response:
    """Wipe everything of the calling account but its credentials (HTTP Basic)."""
    account = await basic_account(request)
    await platform_of(request).resets.reset(account.id)
    return Response(status_code=204)


operations = tagged("ringway", [
    Operation("GET", "/_ringway/health", health,
              "Health: whether storage answers and the engine runs", answer="Health",
              auth=OPEN, accept=False, responses={503: ("Not ready", "Health")}),
    Operation("GET", "/_ringway/metrics", metrics, "Metrics, in the Prometheus text format",
              answer={"type": "string"}, media="text/plain", auth=OPEN, accept=False),
    Operation("GET", "/_ringway/openapi.json", openapi, "This document",
              answer={"type": "object"}, auth=OPEN, accept=False),
    Operation("POST", "/_ringway/accounts", create_account,
              "Create an account (with the server's operator token)", ok=201, answer="Account",
              auth=OPERATOR, body=NewAccount, accept=False, errors=BODY_ERRORS,
              responses={403: problem("The server takes no operator token"),
                         409: problem("An account has that api_key")}),
    Operation("POST", "/_ringway/reset", reset,
              "Wipe everything of the account but its credentials", ok=204, accept=False),
])  # fmt: skip
