"""Prometheus metrics, served at ``GET /_ringway/metrics``.

What happens in a process (API requests, webhook attempts, database connections) is counted
with prometheus_client; under ``ringway serve`` its multiprocess mode keeps each worker's counts
in files of a directory made for the run, and the worker that answers a scrape adds them all up.
What is stored (calls, messages, the outbox) is counted in the database at each scrape, so any
worker tells the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CollectorRegistry,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from ringway.storage.stats import Stats

# prometheus_client chose where values live when it was first imported.
MULTIPROCESS = values.ValueClass is not values.MutexValue
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

disable_created_metrics()  # type: ignore[no-untyped-call]  # as in multiprocess mode: no _created samples
registry = CollectorRegistry()  # this process's own (one process: the whole picture)
REQUESTS = Histogram(
    "ringway_http_request_duration_seconds",
    "API requests by method, route template and status, and their latency",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
    registry=registry,
)
WEBHOOKS = Histogram(
    "ringway_webhook_attempt_duration_seconds",
    "Webhook attempts by kind and outcome (ok, http-NNN, refused, read-timeout…), and their "
    "latency",
    ["kind", "outcome"],
    buckets=WEBHOOK_BUCKETS,
    registry=registry,
)
POOL = Gauge(
    "ringway_db_pool_connections",
    "Database connections of the server's processes: open, and in use",
    ["state"],
    multiprocess_mode="livesum",
    registry=registry,
)
_requests: dict[tuple[str, str, int], Any] = {}


def request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    child = _requests.get(key)
    if child is None:
        label = method if method in METHODS else "other"
        child = _requests[key] = REQUESTS.labels(label, route, str(status))
    child.observe(seconds)


def webhook(kind: str, outcome: str, seconds: float) -> None:
    WEBHOOKS.labels(kind, outcome).observe(seconds)


def watch_pool(engine: sa.Engine) -> None:
    """Count the engine's open connections and those in use."""
    opened, used = POOL.labels("open"), POOL.labels("in_use")
    sa.event.listen(engine, "connect", lambda *_: opened.inc())
    sa.event.listen(engine.pool, "close", lambda *_: opened.dec())
    sa.event.listen(engine, "checkout", lambda *_: used.inc())
    sa.event.listen(engine, "checkin", lambda *_: used.dec())


def leave() -> None:
    """This process stops: its gauges no longer count."""
    if MULTIPROCESS:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class Stored(Collector):
    """What the database holds, counted at each scrape."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        counts = self.stats.counts()
        yield _gauge("ringway_calls", "Calls stored, by status", "status", counts.calls)
        active = GaugeMetricFamily("ringway_active_calls", "Calls not yet ended")
        active.add_metric([], counts.active_calls)
        yield active
        yield _gauge("ringway_messages", "Messages stored, by the latest status they reached",
                     "status", counts.messages)  # fmt: skip
        yield _gauge("ringway_outbox_deliveries", "Deliveries in the outbox: pending (to be "
                     "sent or retried) and failed (given up)", "state", counts.outbox)  # fmt: skip


def _gauge(name: str, doc: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family


def exposition(stats: Stats) -> bytes:
    """The text format: this process's metrics (every process's, under ``serve``), then what
    is stored."""
    if MULTIPROCESS:
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
    else:
        processes = registry
    stored = CollectorRegistry()
    stored.register(Stored(stats))
    return generate_latest(processes) + generate_latest(stored)
