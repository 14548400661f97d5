"""Prometheus metrics, served at ``GET /_ringway/metrics``.

What happens in a process (API requests, webhook attempts, database connections) is counted
with prometheus_client; under ``ringway serve`` its multiprocess mode keeps each worker's counts
in files of a directory made for the run, and the worker that answers a scrape adds them all up.
What is stored (calls, messages, the outbox) is counted in the database at each scrape, so any
worker tells the same.
"""

from __future__ import annotations

import asyncio
import os
from bisect import bisect_left
from collections.abc import Callable, Iterator

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

from ringway.domain.stored import Counts

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
SYNC_AFTER = 1.0  # seconds a process's request counts may wait to reach the metrics


class Requests:
    """API requests counted in plain lists (an observation of prometheus_client's costs about
    as much as the request log's line), added to the histogram at most a second later and
    before each scrape."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], list[float]] = {}  # [sum, bucket counts…]

    def add(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counts = self._counts.get(key)
        if counts is None:
            if not self._counts:
                _later(SYNC_AFTER, self.sync)
            counts = self._counts[key] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        counts[0] += seconds
        counts[bisect_left(LATENCY_BUCKETS, seconds) + 1] += 1

    def sync(self) -> None:
        counts, self._counts = self._counts, {}
        for (method, route, status), (total, *buckets) in counts.items():
            child = REQUESTS.labels(method if method in METHODS else "other", route, str(status))
            # The histogram's own values (its observe takes one observation at a time).
            child._sum.inc(total)
            for bucket, count in zip(child._buckets, buckets, strict=True):
                if count:
                    bucket.inc(count)


def _later(delay: float, callback: Callable[[], None]) -> None:
    try:
        asyncio.get_running_loop().call_later(delay, callback)
    except RuntimeError:  # no event loop: at once
        callback()


requests = Requests()
request = requests.add


def webhook(kind: str, outcome: str, seconds: float) -> None:
    child = _webhooks.get((kind, outcome))
    if child is None:  # the client's lookup takes a lock and checks the labels every time
        child = _webhooks[kind, outcome] = WEBHOOKS.labels(kind, outcome)
    child.observe(seconds)


_webhooks: dict[tuple[str, str], Histogram] = {}


def watch_pool(engine: sa.Engine) -> None:
    """Count the engine's open connections and those in use."""
    opened, used = POOL.labels("open"), POOL.labels("in_use")
    sa.event.listen(engine, "connect", lambda *_: opened.inc())
    sa.event.listen(engine.pool, "close", lambda *_: opened.dec())
    sa.event.listen(engine, "checkout", lambda *_: used.inc())
    sa.event.listen(engine, "checkin", lambda *_: used.dec())


def leave() -> None:
    """This process stops: its counts are added, its gauges no longer count."""
    requests.sync()
    if MULTIPROCESS:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class Stored(Collector):
    """What the database holds, counted at each scrape."""

    def __init__(self, count: Callable[[], Counts]) -> None:
        self.count = count

    def collect(self) -> Iterator[Metric]:
        counts = self.count()
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


def exposition(count: Callable[[], Counts]) -> bytes:
    """The text format: this process's metrics (every process's, under ``serve``), then what
    is stored. (``requests.sync()`` first, on the event loop, for this process's latest.)"""
    if MULTIPROCESS:
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
    else:
        processes = registry
    stored = CollectorRegistry()
    stored.register(Stored(count))
    return generate_latest(processes) + generate_latest(stored)
