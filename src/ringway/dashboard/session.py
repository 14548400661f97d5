"""Signing in to the dashboard: the session cookie and the CSRF token every form carries.

The session cookie holds the account's api_key, signed with a key derived from the account's
stored secret hash: every node can check it without shared state, and rotating the secret ends
every session at once. CSRF protection is a double-submit token: a random value in a cookie of
its own, repeated in a hidden field of each form, compared on every POST.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from ringway.services.platform import Platform
from ringway.storage.repositories import AccountRow

SESSION = "ringway_session"
CSRF = "ringway_csrf"
MAX_AGE = 12 * 3600  # seconds a sign-in lasts


class SignedOut(Exception):
    """The request carries no valid session: the dashboard sends the browser to sign in."""


class BadToken(Exception):
    """A form came back without the CSRF token of the browser that loaded it."""


def _signer(account: AccountRow) -> TimestampSigner:
    return TimestampSigner(account.secret_hash, salt="ringway-dashboard-session")


async def signed_in(request: Request, platform: Platform) -> AccountRow:
    """The account the browser signed in as, or :class:`SignedOut`."""
    value = request.cookies.get(SESSION, "")
    api_key = value.rsplit(".", 2)[0] if value.count(".") >= 2 else ""
    if not api_key or "\x00" in api_key:
        raise SignedOut
    account = await platform.db.run(platform.accounts.find, api_key)
    if account is None:
        raise SignedOut
    try:
        _signer(account).unsign(value, max_age=MAX_AGE)
    except BadSignature:
        raise SignedOut from None
    return account


def sign_in(request: Request, response: Response, account: AccountRow) -> None:
    """Set the session cookie for ``account`` on ``response``."""
    value = _signer(account).sign(account.api_key).decode()
    _set(request, response, SESSION, value, MAX_AGE)


def sign_out(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION, path="/", httponly=True, samesite="lax")


def csrf_token(request: Request) -> str:
    """The browser's CSRF token, made on its first page (``remember_csrf`` stores it)."""
    token = request.cookies.get(CSRF) or getattr(request.state, "new_csrf", None)
    if token is None:
        token = request.state.new_csrf = secrets.token_urlsafe(24)
    return str(token)


def remember_csrf(request: Request, response: Response) -> None:
    """Store a token made while rendering this response in the browser."""
    token = getattr(request.state, "new_csrf", None)
    if token is not None:
        _set(request, response, CSRF, token, None)


def check_csrf(request: Request, form: dict[str, str]) -> None:
    expected = request.cookies.get(CSRF, "")
    if not expected or not hmac.compare_digest(expected, form.get("csrf", "")):
        raise BadToken


def _set(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
