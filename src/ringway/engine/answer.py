"""Getting an NCCO (wire §5): the answer URL (twice on a retryable failure), then the fallback
answer URL (likewise) with ``reason`` and ``original_request``; the same chain serves mid-call
requests that expect an NCCO back (``kind="event"``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ringway.domain.ncco import Action, NccoInvalid, parse_ncco
from ringway.domain.outcomes import FALLBACK, request_problem
from ringway.engine.webhooks import (
    MAX_RESPONSE_BYTES,
    Attempt,
    Faults,
    Observer,
    Signer,
    Target,
    WebhookClient,
)


@dataclass
class NccoFetch:
    """The NCCO got, or ``None`` with the ``reason`` why not; every attempt made either way;
    what went wrong with each URL asked, in words (``answer_url answered 500``)."""

    ncco: list[Action] | None
    attempts: list[Attempt]
    reason: str | None = None
    problems: tuple[str, ...] = ()


async def fetch_ncco(
    client: WebhookClient,
    primary: Target,
    fallback: Target | None,
    fields: dict[str, Any],
    signer: Signer | None = None,
    kind: str = "answer",
    observe: Observer | None = None,
    faults: Faults | None = None,
    hook: str = "answer_url",
) -> NccoFetch:
    """For ``kind="event"`` an empty 2xx answer means "carry on": no NCCO, and no fallback.
    The fallback's requests are of the kind ``fallback`` for ``faults``; ``hook`` names the
    primary URL in ``problems``."""
    attempts = await client.deliver(primary, fields, signer, faults=faults, kind=kind)
    ncco, reason = read_ncco(attempts[-1], empty_ok=kind == "event")
    _show(attempts, observe)
    problems: tuple[str, ...] = () if reason is None else (_problem(hook, attempts[-1], reason),)
    if ncco is not None or reason is None or fallback is None:
        return NccoFetch(ncco, attempts, reason, problems)
    extra = {"reason": reason, "original_request": {"url": primary.url, "type": kind}}
    more = await client.deliver(fallback, {**fields, **extra}, signer, faults=faults,
                                kind="fallback")  # fmt: skip
    ncco, reason = read_ncco(more[-1])
    _show(more, observe)
    if reason is not None:
        problems += (_problem(FALLBACK, more[-1], reason),)
    return NccoFetch(ncco, attempts + more, reason, problems)


def _problem(hook: str, attempt: Attempt, reason: str) -> str:
    return request_problem(hook, attempt.outcome, attempt.status, reason)


def _show(attempts: list[Attempt], observe: Observer | None) -> None:
    """Hand each attempt over once its answer has been read (so its outcome is final)."""
    if observe is not None:
        for attempt in attempts:
            observe(attempt)


def read_ncco(attempt: Attempt, empty_ok: bool = False) -> tuple[list[Action] | None, str | None]:
    """The NCCO an attempt's answer holds, or why there is none (``None`` for an empty answer
    when ``empty_ok``)."""
    if not attempt.succeeded:
        return None, _failure(attempt)
    if attempt.oversized:
        attempt.outcome = "too-large"
        return None, f"The answer is larger than {MAX_RESPONSE_BYTES // 1024} KiB"
    if empty_ok and not attempt.response_body.strip():
        return None, None
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
        "invalid-url": "Invalid URL",
    }.get(attempt.outcome, attempt.outcome)
