"""Getting an NCCO (wire §5): the answer URL (twice on a retryable failure), then the fallback
answer URL (likewise) with ``reason`` and ``original_request``; the same chain serves mid-call
requests that expect an NCCO back (``kind="event"``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ringway.domain.ncco import Action, NccoInvalid, parse_ncco
from ringway.engine.webhooks import Attempt, Signer, Target, WebhookClient


@dataclass
class NccoFetch:
    """The NCCO got, or ``None`` with the ``reason`` why not; every attempt made either way."""

    ncco: list[Action] | None
    attempts: list[Attempt]
    reason: str | None = None


async def fetch_ncco(
    client: WebhookClient,
    primary: Target,
    fallback: Target | None,
    fields: dict[str, Any],
    signer: Signer | None = None,
    kind: str = "answer",
) -> NccoFetch:
    attempts = await client.deliver(primary, fields, signer)
    ncco, reason = read_ncco(attempts[-1])
    if ncco is not None or fallback is None:
        return NccoFetch(ncco, attempts, reason)
    extra = {"reason": reason, "original_request": {"url": primary.url, "type": kind}}
    more = await client.deliver(fallback, {**fields, **extra}, signer)
    ncco, reason = read_ncco(more[-1])
    return NccoFetch(ncco, attempts + more, reason)


def read_ncco(attempt: Attempt) -> tuple[list[Action] | None, str | None]:
    """The NCCO an attempt's answer holds, or why there is none."""
    if not attempt.succeeded:
        return None, _failure(attempt)
    try:
        document = orjson.loads(attempt.response_body)
    except orjson.JSONDecodeError:
        attempt.outcome = "not-json"
        return None, "The answer is not JSON"
    try:
        return parse_ncco(document), None
    except NccoInvalid as exc:
        attempt.outcome = "invalid-ncco"
        return None, f"Invalid NCCO: {exc}"


def _failure(attempt: Attempt) -> str:
    if attempt.status is not None:
        return f"HTTP {attempt.status}"
    return {
        "connect-timeout": "Connection timeout",
        "read-timeout": "Socket timeout",
        "reset": "Connection closed",
        "refused": "Connection refused",
        "tls-error": "TLS error",
        "blocked": "Address not allowed for webhooks",
    }.get(attempt.outcome, attempt.outcome)
