"""Application JWTs (wire §4): minting with an application's private key, and verifying them
rule by rule, so that a rejection can say which rule failed. PyJWT (and with it cryptography's
X.509 modules) is imported by the first token, not before the server's first answer."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ringway.domain.choices import DEFAULT_TTL, MAX_TTL, MIN_TTL
from ringway.security.keys import load_public_key

LEEWAY = 5  # seconds of clock skew tolerated on exp, nbf and iat
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z: a later time cannot be written as a date


class TokenRejected(Exception):
    """A token that fails a rule; ``rule`` names it (e.g. ``expired``, ``alg-none``)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def mint(
    application_id: str,
    private_key_pem: str,
    *,
    ttl: int = DEFAULT_TTL,
    sub: str | None = None,
    acl: dict[str, Any] | None = None,
    nbf: bool = False,
) -> str:
    """An RS256 token with ``application_id``, ``iat``, ``jti``, ``exp`` and the optional claims."""
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise ValueError(f"ttl must be between {MIN_TTL} and {MAX_TTL} seconds")
    now = int(time.time())
    claims: dict[str, Any] = {
        "application_id": application_id,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "exp": now + ttl,
    }
    if nbf:
        claims["nbf"] = now
    if sub:
        claims["sub"] = sub
    if acl is not None:
        claims["acl"] = acl
    import jwt

    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    return jwt.encode(claims, key, algorithm="RS256", headers={"typ": "JWT"})  # type: ignore[arg-type]


def inspect(token: str) -> dict[str, Any]:
    """The claims of a token before its signature is checked, once its header is acceptable."""
    import jwt

    try:
        unverified = jwt.decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenRejected("malformed", f"the token is not a well-formed JWT ({exc})") from None
    header, claims = unverified["header"], unverified["payload"]
    algorithm = str(header.get("alg", ""))
    if algorithm.lower() == "none":
        raise TokenRejected("alg-none", "unsigned tokens (alg none) are not accepted")
    if algorithm.startswith("HS"):
        raise TokenRejected(
            "alg-hmac", f"{algorithm} tokens are not accepted: application tokens are RS256"
        )
    if algorithm != "RS256":
        raise TokenRejected("alg", f"{algorithm or 'no'} algorithm: application tokens are RS256")
    for claim in ("application_id", "iat", "jti", "exp"):
        if claim not in claims:
            raise TokenRejected(f"missing-{claim}", f"the token has no '{claim}' claim")
    for claim in ("iat", "exp", "nbf"):
        if claim in claims and not _is_time(claims[claim]):
            raise TokenRejected(
                f"invalid-{claim}",
                f"the '{claim}' claim is not a number of seconds since 1970 (up to the year 9999)",
            )
    return dict(claims)


def _is_time(value: Any) -> bool:
    """Whether ``value`` is a JSON number of seconds between 1970 and the end of 9999."""
    return type(value) in (int, float) and 0 <= value <= LAST_SECOND


def verify(
    token: str, public_key: rsa.RSAPublicKey, claims: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The claims, once the signature, the validity window and the lifetime all check out.

    ``claims`` are those ``inspect`` returned, when the caller has already looked.
    """
    import jwt

    claims = claims if claims is not None else inspect(token)
    try:
        jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "jti"], "verify_aud": False},
        )
    except jwt.InvalidSignatureError:
        raise TokenRejected(
            "signature", "the signature does not match the application's public key"
        ) from None
    except jwt.ExpiredSignatureError:
        raise TokenRejected("expired", f"the token expired at {_iso(claims['exp'])}") from None
    except jwt.ImmatureSignatureError as exc:
        raise TokenRejected("not-yet-valid", f"the token is not valid yet ({exc})") from None
    except jwt.PyJWTError as exc:
        raise TokenRejected("malformed", f"the token's claims are invalid ({exc})") from None
    if claims["exp"] - claims["iat"] > MAX_TTL:
        raise TokenRejected("lifetime", "the token lives longer than 24 hours")
    return claims


def _iso(epoch: Any) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))


class PublicKeyCache:
    """Loaded public keys by application (loading a PEM costs milliseconds, verifying with a
    loaded key ~60 µs); an entry is reloaded as soon as the application's key changes."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._keys: dict[str, tuple[str, rsa.RSAPublicKey]] = {}
        self._max_entries = max_entries

    def get(self, application_id: str, pem: str) -> rsa.RSAPublicKey:
        cached = self._keys.get(application_id)
        if cached is not None and cached[0] == pem:
            return cached[1]
        key = load_public_key(pem)
        if len(self._keys) >= self._max_entries:
            self._keys.clear()
        self._keys[application_id] = (pem, key)
        return key


@dataclass(frozen=True, slots=True)
class Verified:
    """A token that passed every rule: whose application, with which public key, and its
    claims."""

    application_id: str
    public_key: str
    claims: dict[str, Any]
    expires: float  # when it stops being accepted (exp and the leeway)


class VerifiedTokens:
    """Tokens already verified, by the whole token, until they expire: an RS256 check and
    PyJWT's parsing cost ~0.3 ms a request, a lookup nothing (clients that reuse a token, as
    most servers do, pay once). An entry names the key it was verified with, so a token of an
    application whose key was replaced, or which was deleted, is checked again (and refused)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._tokens: dict[str, Verified] = {}
        self._max_entries = max_entries

    def get(self, token: str, now: float) -> Verified | None:
        known = self._tokens.get(token)
        if known is not None and now >= known.expires:
            del self._tokens[token]
            return None
        return known

    def put(self, token: str, application_id: str, public_key: str, claims: dict[str, Any]) -> None:
        if len(self._tokens) >= self._max_entries:
            self._tokens.clear()
        expires = float(claims["exp"]) + LEEWAY
        self._tokens[token] = Verified(application_id, public_key, claims, expires)


def acl_allows(acl: Any, method: str, path: str) -> bool:
    """Whether an ``acl`` claim (``{"paths": {"/*/calls/**": {"methods": [...]}}}``) lets the
    token call ``method path``: ``*`` stands for one path segment, ``**`` for any rest, even
    none."""
    paths = acl.get("paths") if isinstance(acl, dict) else None
    if not isinstance(paths, dict):
        return False
    for pattern, rules in paths.items():
        if not _path_matches(str(pattern), path):
            continue
        methods = rules.get("methods") if isinstance(rules, dict) else None
        if not methods or method.upper() in {str(m).upper() for m in methods}:
            return True
    return False


def _path_matches(pattern: str, path: str) -> bool:
    wanted, actual = pattern.strip("/").split("/"), path.strip("/").split("/")
    for index, part in enumerate(wanted):
        if part == "**":
            return True
        if index >= len(actual) or (part != "*" and part != actual[index]):
            return False
    return len(actual) == len(wanted)
