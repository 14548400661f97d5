"""Signing in to the dashboard: the session, its cookie, and the CSRF checks on every form.

A session is a row in the database (``dashboard_sessions``): the cookie holds its random id,
signed with a key derived from the account's stored secret hash. Signing out deletes the row,
so a copy of the cookie is refused on every node; rotating the secret ends every session at
once, as their signatures no longer match.

A form is acted on only when it comes from a page of this origin (``Origin``, and
``Sec-Fetch-Site``: another port of this host is the same site but another origin) and carries
the token of the browser's session, an HMAC keyed with the session's id: a cookie planted by
another page of the site cannot stand in for it. A signed-out form (sign in) carries an HMAC of
a random pre-session value kept in a cookie of its own. Over TLS the cookies' names start with
``__Host-``: they are Secure and host-only, and no page served without TLS can set them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, Signer
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ringway.domain.accounts import AccountRow
from ringway.observe.logs import caller
from ringway.services.platform import Platform

SESSION = "ringway_session"
CSRF = "ringway_csrf"  # the pre-session value signed-out forms are bound to
LIFETIME = dt.timedelta(hours=12)  # how long a sign-in lasts


class SignedOut(Exception):
    """The request carries no valid session: the dashboard sends the browser to sign in."""


class BadToken(Exception):
    """A form the dashboard does not act on (a 403 page says why)."""

    title = "This form has expired"
    detail = "Reload the page and try again."


class ForeignOrigin(BadToken):
    title = "This form came from another origin"
    detail = "The dashboard acts only on forms sent from its own pages."


@dataclass(frozen=True)
class Session:
    """A signed-in browser: the session's id and the account it signed in as."""

    id: str
    account: AccountRow


def _signer(account: AccountRow) -> Signer:
    return Signer(account.secret_hash, salt="ringway-dashboard-session")


async def current_session(request: HTTPConnection, platform: Platform) -> Session | None:
    """The session the browser's cookie names, unless it has ended, expired or is forged."""
    value = read_cookie(request, SESSION)
    session_id = value.rpartition(".")[0]  # what the signature covers
    if not session_id or "\x00" in session_id:
        return None
    account = await platform.db.run(platform.sessions.account_of, session_id)
    if account is None:
        return None
    try:
        _signer(account).unsign(value)
    except BadSignature:
        return None
    caller.set(("account", account.api_key))
    return Session(session_id, account)


async def sign_in(platform: Platform, account: AccountRow, ending: Session | None) -> Session:
    """A new session of ``account``; the browser's session ``ending`` ends."""
    ending_id = ending.id if ending else ""
    session_id = await platform.db.run(platform.sessions.start, account.id, LIFETIME, ending_id)
    return Session(session_id, account)


async def sign_out(platform: Platform, session: Session | None) -> None:
    if session is not None:
        await platform.db.run(platform.sessions.end, session.id)


def keep_session(request: Request, response: Response, session: Session | None) -> None:
    """Set the cookie of ``session`` on ``response``; drop the cookie when it is ``None``."""
    if session is None:
        drop_cookie(request, response, SESSION)
        return
    value = _signer(session.account).sign(session.id).decode()
    set_cookie(request, response, SESSION, value, int(LIFETIME.total_seconds()))


def csrf_token(request: Request, session: Session | None) -> str:
    """The token the browser's forms carry: bound to its session, or when it is signed out to
    its pre-session value (made on its first page; ``remember_csrf`` stores it)."""
    if session is not None:
        key = session.id
    else:
        key = read_cookie(request, CSRF) or getattr(request.state, "new_csrf", "")
        if not key:
            key = request.state.new_csrf = secrets.token_urlsafe(24)
    return hmac.new(key.encode(), b"ringway-dashboard-csrf", hashlib.sha256).hexdigest()


def remember_csrf(request: Request, response: Response) -> None:
    """Store a pre-session value made while rendering this response in the browser."""
    value = getattr(request.state, "new_csrf", None)
    if value is not None:
        set_cookie(request, response, CSRF, value, None)


def check_csrf(request: Request, session: Session | None, form: dict[str, str]) -> None:
    """Raise :class:`BadToken` unless the form carries the token of the browser's session."""
    if not hmac.compare_digest(csrf_token(request, session), form.get("csrf", "")):
        raise BadToken


def check_origin(request: HTTPConnection, required: bool = False) -> None:
    """Raise :class:`ForeignOrigin` for a request a page of another origin sent: one whose
    ``Sec-Fetch-Site`` is not ``same-origin`` (or ``none``, the user's own doing), or whose
    ``Origin`` is not this server's scheme, host and port. (A request with neither header did
    not come from a modern browser's page; its token decides. A WebSocket has no token: its
    ``Origin``, which browsers always send on one, is ``required``.)"""
    site = request.headers.get("sec-fetch-site", "none")
    origin = request.headers.get("origin")
    own = f"{_web_scheme(request)}://{request.url.netloc}".lower()
    if origin is None and required:
        raise ForeignOrigin
    if site not in ("same-origin", "none") or (origin is not None and origin.lower() != own):
        raise ForeignOrigin


def _web_scheme(request: HTTPConnection) -> str:
    """``http`` or ``https``, for a page or a WebSocket (``ws``, ``wss``) alike."""
    return {"ws": "http", "wss": "https"}.get(request.url.scheme, request.url.scheme)


def read_cookie(request: HTTPConnection, name: str) -> str:
    return request.cookies.get(_cookie_name(request, name), "")


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(_cookie_name(request, name), value, max_age, **_attributes(request))


def drop_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(_cookie_name(request, name), **_attributes(request))


def _cookie_name(request: HTTPConnection, name: str) -> str:
    return f"__Host-{name}" if _web_scheme(request) == "https" else name


def _attributes(request: Request) -> dict[str, Any]:
    """Every dashboard cookie's: HttpOnly, SameSite=Lax, the whole site; Secure over TLS."""
    return {"path": "/", "httponly": True, "samesite": "lax",
            "secure": request.url.scheme == "https"}  # fmt: skip
