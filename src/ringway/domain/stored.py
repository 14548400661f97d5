"""Counts of what is stored, as the metrics show them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    """Calls by status, calls not yet ended, messages by the latest status they reached, and
    the outbox's pending and failed deliveries."""

    calls: dict[str, int]
    active_calls: int
    messages: dict[str, int]
    outbox: dict[str, int]
