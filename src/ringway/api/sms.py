"""The SMS API (``POST /sms/json`` and ``/sms/xml``): always HTTP 200, each part's ``status``
in the body, errors included (wire-contract-wave2 §5.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import address_of, platform_of
from ringway.api.http import JSONResponse, basic_credentials, params_body
from ringway.api.operations import FORM, IN_BODY, JSON, Operation, tagged
from ringway.domain.accounts import AccountRow
from ringway.domain.errors import ProblemError
from ringway.domain.sms import (
    CREDENTIALS,
    INVALID,
    MISSING,
    SECRET_AND_SIG,
    SIGNATURE,
    THROTTLED,
    TOO_LONG,
    SmsError,
)
from ringway.security.sig import verify

# XML element names of the JSON fields.
_XML = {"message-id": "messageId", "remaining-balance": "remainingBalance",
        "message-price": "messagePrice", "client-ref": "clientRef",
        "account-ref": "accountRef"}  # fmt: skip


async def send(request: Request) -> Response:
    try:
        params = await _params(request)
        account = await _account(request, params)
        platform = platform_of(request)
        messages = await platform.db.run(platform.sms.send, account, params)
    except SmsError as exc:
        messages = [{"status": str(exc.status), "error-text": exc.text}]
    if request.url.path.endswith("/xml"):
        return Response(_xml(messages), media_type="text/xml")
    return JSONResponse({"message-count": str(len(messages)), "messages": messages})


async def _params(request: Request) -> dict[str, str]:
    """The query's parameters and the body's (a form, or JSON whatever the Content-Type)."""
    params = dict(request.query_params)
    try:
        params |= await params_body(request, platform_of(request).settings.max_body_bytes)
    except ProblemError as exc:
        raise SmsError(TOO_LONG if exc.status == 413 else INVALID, exc.detail) from None
    return params


async def _account(request: Request, params: Mapping[str, str]) -> AccountRow:
    """The sender: ``api_key`` with ``api_secret`` or ``sig`` (query or body), or Basic."""
    platform = platform_of(request)
    key, secret, sig = params.get("api_key"), params.get("api_secret"), params.get("sig")
    if sig is not None and secret is not None:
        raise SmsError(SECRET_AND_SIG)
    if sig is not None:
        if not key:
            raise SmsError(MISSING, "api_key")
        account = await platform.db.run(platform.accounts.find, key)
        if account is None or not verify(params, account.signature_secret):
            raise SmsError(SIGNATURE)  # an unknown key too: the answer tells no key exists
        return account
    if key is None or secret is None:
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None:
            raise SmsError(MISSING, "api_key" if key is None else "api_secret")
        key, secret = credentials
    try:
        found = await platform.sign_ins.account(key, secret, address_of(request.scope))
    except ProblemError as exc:  # too many failures
        raise SmsError(THROTTLED, exc.detail) from None
    if found is None:
        raise SmsError(CREDENTIALS)
    return found


def _xml(messages: list[dict[str, Any]]) -> str:
    items = "".join(
        "<message>"
        + "".join(f"<{_XML.get(k, k)}>{escape(str(v))}</{_XML.get(k, k)}>" for k, v in m.items())
        + "</message>"
        for m in messages
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<mt-submission-response>'
    return f'{head}<messages count="{len(messages)}">{items}</messages></mt-submission-response>'


# Parameters in the query and, with a POST, in a form or JSON body; no Accept check.
_QUERY: dict[str, Any] = {"auth": IN_BODY, "accept": False}
_BODY = {**_QUERY, "body": "SmsIn", "body_media": (FORM, JSON), "body_required": False}
_PARTS = "Send an SMS: each part's status"
_XML_PARTS: dict[str, Any] = {"answer": {"type": "string"}, "media": "text/xml"}
operations = tagged("SMS", [
    Operation("POST", "/sms/json", send, _PARTS, answer="SmsParts", **_BODY),
    Operation("GET", "/sms/json", send, _PARTS, answer="SmsParts", **_QUERY),
    Operation("POST", "/sms/xml", send, f"{_PARTS}, in XML", **_XML_PARTS, **_BODY),
    Operation("GET", "/sms/xml", send, f"{_PARTS}, in XML", **_XML_PARTS, **_QUERY),
])  # fmt: skip
