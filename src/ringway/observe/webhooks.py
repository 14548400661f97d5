"""What a webhook attempt tells the log and the metrics."""

from __future__ import annotations

from typing import Protocol

from ringway.observe import metrics
from ringway.observe.logs import log


class Attempt(Protocol):
    """What one attempt was."""

    url: str
    method: str
    outcome: str
    status: int | None
    latency_ms: float


def webhook_attempt(kind: str, attempt: Attempt, subject: str, subject_id: str) -> None:
    """Log and count a webhook attempt of ``kind`` about a ``subject`` (call, message,
    conversation) with this id."""
    metrics.webhook(kind, attempt.outcome, attempt.latency_ms / 1000)
    log.webhook(kind, attempt.method, attempt.url, attempt.status, attempt.outcome,
                attempt.latency_ms, subject, subject_id)  # fmt: skip
