"""Account credentials: generation, salted hashing and constant-time checks.

API secrets are random, so a single salted SHA-256 is enough to keep them from being read
back out of the database; a slow password hash would only slow every request down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

_ALPHANUMERIC = string.ascii_letters + string.digits


def new_api_key() -> str:
    return secrets.token_hex(4)


def new_api_secret() -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(16))


def new_signature_secret() -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(48))


def new_salt() -> str:
    return secrets.token_hex(16)


def hash_secret(secret: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def secret_matches(secret: str, salt: str, expected_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt), expected_hash)
