"""Signed parameters (``sig``), as the SMS API checks them on requests and adds them to its
webhooks (wire-contract-wave2 §5.5): the parameters sorted by name, each as ``&name=value`` with
``&`` and ``=`` in values made ``_``, then an MD5 of that string and the signature secret
(``md5hash``) or an HMAC of it keyed with the secret (``md5``, ``sha1``, ``sha256``, ``sha512``),
in hex."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping

METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")
MAX_SKEW = 300  # seconds a request's ``timestamp`` may be off
# The fields of the Python SDK's SMS message (``vonage-sms`` 1.2): it signs them all, those it
# leaves out as the text ``None`` (``sig`` among them), then sends only those it has.
_PYTHON_SDK_FIELDS = (
    "to", "from", "text", "sig", "client-ref", "type", "ttl", "status-report-req", "callback",
    "message-class", "body", "udh", "protocol-id", "account-ref", "entity-id", "content-id",
    "trusted-number",
)  # fmt: skip
_BY_LENGTH = {32: ("md5hash", "md5"), 40: ("sha1",), 64: ("sha256",), 128: ("sha512",)}


def signing_string(params: Mapping[str, str]) -> str:
    """What is hashed: every parameter but ``sig``."""
    return _joined({key: value for key, value in params.items() if key != "sig"})


def sign(params: Mapping[str, str], secret: str, method: str) -> str:
    """The ``sig`` of ``params`` (its own ``sig``, if any, left out)."""
    return _digest(signing_string(params), secret, method)


def verify(params: Mapping[str, str], secret: str, now: float | None = None) -> bool:
    """Whether ``params`` carry a valid ``sig`` and a ``timestamp`` within ``MAX_SKEW`` of
    ``now``. Any method is accepted (told apart by the digest's length; ``md5hash`` and ``md5``
    are both tried), over the parameters as received, without the empty ones (as the Java SDK
    signs), or as the Python SDK signs them (see ``_PYTHON_SDK_FIELDS``)."""
    given = params.get("sig", "").lower()
    stamp = params.get("timestamp", "")
    if not stamp.isascii() or not stamp.isdigit():
        return False
    if abs(int(stamp) - (time.time() if now is None else now)) > MAX_SKEW:
        return False
    strings = (
        signing_string(params),
        signing_string({key: value for key, value in params.items() if value}),
        _joined({**dict.fromkeys(_PYTHON_SDK_FIELDS, "None"), **params, "sig": "None"}),
    )
    return any(
        hmac.compare_digest(given, _digest(text, secret, method))
        for method in _BY_LENGTH.get(len(given), ())
        for text in strings
    )


def signed(body: dict[str, str], secret: str, method: str) -> dict[str, str]:
    """A webhook's fields with ``timestamp``, ``nonce`` and their ``sig`` added."""
    fields = {**body, "timestamp": str(int(time.time())), "nonce": str(uuid.uuid4())}
    return {**fields, "sig": sign(fields, secret, method)}


def _joined(params: Mapping[str, str]) -> str:
    return "".join(
        f"&{key}={value.replace('&', '_').replace('=', '_')}"
        for key, value in sorted(params.items())
    )


def _digest(text: str, secret: str, method: str) -> str:
    if method == "md5hash":
        return hashlib.md5((text + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), method).hexdigest()
