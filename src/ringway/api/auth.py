"""Request authentication: HTTP Basic, or legacy ``api_key``/``api_secret`` parameters."""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.types import Scope

from ringway.api.http import basic_credentials
from ringway.domain.accounts import AccountRow
from ringway.domain.errors import unauthorized
from ringway.observe.logs import caller
from ringway.services.platform import Platform


def platform_of(request: HTTPConnection) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def address_of(scope: Scope) -> str:
    """The client's address, which failed sign-ins count against."""
    client = scope.get("client")
    return str(client[0]) if client else ""


async def basic_account(request: Request) -> AccountRow:
    """The account named by the Authorization header, or a 401."""
    return await authenticate(
        platform_of(request), request.headers.get("authorization"), address_of(request.scope)
    )


async def authenticate(platform: Platform, authorization: str | None, address: str) -> AccountRow:
    """The account of a Basic ``Authorization`` header, or a 401 (a 429 after too many
    failures)."""
    return await _account(platform, basic_credentials(authorization), address)


async def legacy_account(request: Request, body: Any = None) -> AccountRow:
    """Credentials from the query string, then the body, then Basic (v1 and REST APIs)."""
    for source in (request.query_params, body if isinstance(body, dict) else {}):
        key, secret = source.get("api_key"), source.get("api_secret")
        if isinstance(key, str) and isinstance(secret, str):
            return await _account(platform_of(request), (key, secret), address_of(request.scope))
    return await basic_account(request)


async def _account(
    platform: Platform, credentials: tuple[str, str] | None, address: str
) -> AccountRow:
    if credentials is None:
        raise unauthorized()
    account = await platform.sign_ins.account(*credentials, address)
    if account is None:
        raise unauthorized()
    caller.set(("account", account.api_key))
    return account
