"""An echo bot for the Messages API (aiohttp): every text sent to the bot's number comes back to
its sender, on the channel it came by (SMS, MMS, WhatsApp, Messenger, Viber, RCS).

Every webhook is checked before it is read: the platform signs each one with the account's
signature secret (``Authorization: Bearer <JWT>``, HS256, whose ``payload_hash`` claim is the
SHA-256 of the exact body), and anything unsigned, signed with another secret or altered on the
way is answered 401 and ignored. Replies go through ``POST /v1/messages`` with the
application's JWT, so their statuses come back to ``/status``.

Run it with ``python echo_bot.py`` (port 3000, or ``PORT``) and these in its environment:
``VONAGE_APPLICATION_ID``, ``VONAGE_PRIVATE_KEY_PATH`` (the application's private key),
``VONAGE_SIGNATURE_SECRET`` (the account's), ``RINGWAY_URL`` (default http://127.0.0.1:8000)
and, for a server with a CA of its own, ``RINGWAY_CA``. Point the application's inbound URL at
http://localhost:3000/inbound and its status URL at http://localhost:3000/status.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from aiohttp import web

log = logging.getLogger("echo-bot")


@dataclass(frozen=True)
class Settings:
    api_url: str  # the Messages API's base URL: ringway's
    application_id: str
    private_key: str  # the application's, PEM: it signs the JWTs the bot sends messages with
    signature_secret: str  # the account's: the platform signs every webhook with it
    ca_file: str | None = None  # the CA to trust, for a server with a CA of its own

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(api_url=env.get("RINGWAY_URL", "http://127.0.0.1:8000"),
                   application_id=env["VONAGE_APPLICATION_ID"],
                   private_key=Path(env["VONAGE_PRIVATE_KEY_PATH"]).read_text(),
                   signature_secret=env["VONAGE_SIGNATURE_SECRET"],
                   ca_file=env.get("RINGWAY_CA"))  # fmt: skip


SETTINGS = web.AppKey("settings", Settings)
API = web.AppKey("api", httpx.AsyncClient)  # the Messages API, at settings.api_url
STATUSES = web.AppKey("statuses", list)  # every message status the platform posted


def signed(body: bytes, authorization: str, secret: str) -> bool:
    """Whether a webhook carrying ``body`` is signed with ``secret``: a Bearer HS256 JWT whose
    ``payload_hash`` is the body's SHA-256 (so a body changed on the way fails too)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        return False
    payload_hash = claims.get("payload_hash")
    return isinstance(payload_hash, str) and hmac.compare_digest(
        payload_hash, hashlib.sha256(body).hexdigest()
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def signatures(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every webhook's signature is checked before anything else looks at it."""
    body = await request.read()  # kept: the handler's request.json() reads the same bytes
    secret = request.app[SETTINGS].signature_secret
    if not signed(body, request.headers.get("Authorization", ""), secret):
        log.warning("refused an unsigned or wrongly signed %s %s", request.method, request.path)
        return web.json_response({"error": "invalid signature"}, status=401)
    return await handler(request)


def application_jwt(settings: Settings) -> str:
    """A JWT of the application (RS256 with its private key) for the Messages API."""
    now = int(time.time())
    claims = {"application_id": settings.application_id, "iat": now, "exp": now + 900,
              "jti": str(uuid.uuid4())}  # fmt: skip
    return jwt.encode(claims, settings.private_key, algorithm="RS256")


async def inbound(request: web.Request) -> web.Response:
    """An inbound message: a text is sent back to its sender, from the address it was sent to,
    on its channel; other kinds (images, reactions …) are acknowledged and left alone."""
    message = await request.json()
    if message.get("message_type") == "text":
        reply = {"channel": message["channel"], "message_type": "text", "text": message["text"],
                 "to": message["from"], "from": message["to"]}  # fmt: skip
        headers = {"Authorization": f"Bearer {application_jwt(request.app[SETTINGS])}"}
        answer = await request.app[API].post("/v1/messages", json=reply, headers=headers)
        answer.raise_for_status()
        log.info("echoed %s to %s: %s", message["message_uuid"], message["from"],
                 answer.json()["message_uuid"])  # fmt: skip
    return web.Response()


async def status(request: web.Request) -> web.Response:
    """A status of a message the bot sent (``submitted``, ``delivered``, ``read`` …)."""
    update = await request.json()
    request.app[STATUSES].append(update)
    log.info("message %s: %s", update.get("message_uuid"), update.get("status"))
    return web.Response()


def make_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[signatures])
    verify: Any = ssl.create_default_context(cafile=settings.ca_file) if settings.ca_file else True
    app[SETTINGS], app[STATUSES] = settings, []
    app[API] = httpx.AsyncClient(base_url=settings.api_url, verify=verify, timeout=10)

    async def close(app: web.Application) -> None:
        await app[API].aclose()

    app.on_cleanup.append(close)
    app.add_routes([web.post("/inbound", inbound), web.post("/status", status)])
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    port = int(os.environ.get("PORT", "3000"))
    web.run_app(make_app(Settings.from_env()), host="127.0.0.1", port=port)
