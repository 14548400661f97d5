"""Signing in to the dashboard: the session cookie and the CSRF token every form carries.

A session is a row in the database (``dashboard_sessions``): the cookie holds its random id,
signed with a key derived from the account's stored secret hash. Signing out deletes the row,
so a copy of the cookie is refused on every node; rotating the secret ends every session at
once, as their signatures no longer match. CSRF protection is a double-submit token: a random
value in a cookie of its own, repeated in a hidden field of each form, compared on every POST.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import Response

from ringway.services.platform import Platform
from ringway.storage.repositories import AccountRow

SESSION = "ringway_session"
CSRF = "ringway_csrf"
LIFETIME = dt.timedelta(hours=12)  # how long a sign-in lasts


class SignedOut(Exception):
    """The request carries no valid session: the dashboard sends the browser to sign in."""


class BadToken(Exception):
    """A form came back without the CSRF token of the browser that loaded it."""


@dataclass(frozen=True)
class Session:
    """A signed-in browser: the session's id and the account it signed in as."""

    id: str
    account: AccountRow


def _signer(account: AccountRow) -> Signer:
    return Signer(account.secret_hash, salt="ringway-dashboard-session")


async def current_session(request: Request, platform: Platform) -> Session | None:
    """The session the browser's cookie names, unless it has ended, expired or is forged."""
    value = request.cookies.get(SESSION, "")
    session_id = value.rpartition(".")[0]  # what the signature covers
    if not session_id or "\x00" in session_id:
        return None
    row = await platform.db.run(platform.sessions.get, session_id)
    if row is None:
        return None
    account = await platform.db.run(platform.accounts.find_id, row.account_id)
    if account is None:
        return None
    try:
        _signer(account).unsign(value)
    except BadSignature:
        return None
    return Session(session_id, account)


async def sign_in(
    request: Request, response: Response, platform: Platform, account: AccountRow,
    ending: Session | None,
) -> None:  # fmt: skip
    """Start a session of ``account`` (ending the browser's session ``ending``) and set its
    cookie on ``response``."""
    ending_id = ending.id if ending else ""
    row = await platform.db.run(platform.sessions.start, account.id, LIFETIME, ending_id)
    value = _signer(account).sign(row.id).decode()
    _set(request, response, SESSION, value, int(LIFETIME.total_seconds()))


async def sign_out(
    request: Request, response: Response, platform: Platform, session: Session | None
) -> None:
    """End ``session`` on the server, and drop its cookie."""
    if session is not None:
        await platform.db.run(platform.sessions.end, session.id)
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
