"""What ringway tells about itself: its log (``logs``), its metrics (``metrics``), and the
watch over each API request (``watch``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringway.observe import metrics
from ringway.observe.logs import log

if TYPE_CHECKING:
    from ringway.engine.webhooks import Attempt


def webhook_attempt(kind: str, attempt: Attempt, subject: str, subject_id: str) -> None:
    """Log and count a webhook attempt of ``kind`` about a ``subject`` (call, message,
    conversation) with this id."""
    metrics.webhook(kind, attempt.outcome, attempt.latency_ms / 1000)
    log.webhook(kind, attempt.method, attempt.url, attempt.status, attempt.outcome,
                attempt.latency_ms, subject, subject_id)  # fmt: skip
