"""Bearer-JWT authentication for the APIs an application calls (Voice, Messages)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ringway.api.auth import platform_of
from ringway.domain.applications import Application
from ringway.domain.errors import forbidden, token_rejected
from ringway.observe.logs import caller
from ringway.security.jwt import TokenRejected, acl_allows, inspect, verify
from ringway.services.platform import Platform


@dataclass(frozen=True)
class Caller:
    """The application a request acts for, and the claims of its token."""

    application: Application
    claims: dict[str, Any]


async def bearer_application(request: Request) -> Caller:
    """401 unless a valid RS256 token of an existing application signs the request; 403 when
    the token's ``acl`` does not cover this method and path."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise token_rejected("missing", "send 'Authorization: Bearer <application JWT>'")
    try:
        application, claims = await verified(platform_of(request), token.strip())
    except TokenRejected as exc:
        raise token_rejected(exc.rule, str(exc)) from None
    caller.set(("application", application.id))
    if "acl" in claims and not acl_allows(claims["acl"], request.method, request.url.path):
        raise forbidden(f"the token's acl does not allow {request.method} {request.url.path}")
    return Caller(application, claims)


async def verified(platform: Platform, token: str) -> tuple[Application, dict[str, Any]]:
    """The application a token acts for and its claims, once every rule holds; a token seen
    before is taken at its word until it expires, while its application still exists with the
    key it was verified with."""
    known = platform.tokens.get(token, time.time())
    if known is not None:
        application = await platform.db.run(platform.applications.find, known.application_id)
        if application is not None and application.public_key == known.public_key:
            return application, known.claims
    claims = inspect(token)
    app_id = str(claims["application_id"])
    application = await platform.db.run(platform.applications.find, app_id)
    if application is None:
        raise TokenRejected("application", f"no application has the id '{app_id}'")
    key = platform.public_keys.get(application.id, application.public_key)
    claims = verify(token, key, claims)
    platform.tokens.put(token, application.id, application.public_key, claims)
    return application, claims
