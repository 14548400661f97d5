"""Signed callbacks (wire §10): an HS256 JWT over the exact bytes of each webhook body (PyJWT
imported by the first)."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable


def sign_callback(body: bytes, signature_secret: str, api_key: str, application_id: str) -> str:
    """The ``Authorization: Bearer`` token of a signed callback carrying ``body``."""
    import jwt

    claims = {
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        "iss": "Vonage",
        "payload_hash": hashlib.sha256(body).hexdigest(),
        "api_key": api_key,
        "application_id": application_id,
    }
    return jwt.encode(claims, signature_secret, algorithm="HS256")


def callback_signer(
    signature_secret: str, api_key: str, application_id: str
) -> Callable[[bytes], str]:
    """Signs each body it is given, as ``sign_callback``."""
    return lambda body: sign_callback(body, signature_secret, api_key, application_id)
