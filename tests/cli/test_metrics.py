"""``GET /_ringway/metrics`` of ``ringway serve``, read with prometheus_client's parser: one
worker, and two whose counts add up whichever answers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import eventually
from tests.receivers import Receiver, Reply
from tests.servers import ringway_serve

ENV = {"RINGWAY_API_KEY": "3e7c0001", "RINGWAY_API_SECRET": "MetricSecret0001"}
AUTH = (ENV["RINGWAY_API_KEY"], ENV["RINGWAY_API_SECRET"])
ONE = "/v2/applications/{id}"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RINGWAY_DATA_DIR", "RINGWAY_DATABASE_URL", "RINGWAY_LOG_LEVEL",
                 "RINGWAY_LOG_FORMAT", *ENV):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample, by name and labels."""
    response = httpx.get(f"{url}/_ringway/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}  # fmt: skip


def requests_of(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], route: str,
                status: str) -> float:  # fmt: skip
    labels = (("method", "GET"), ("route", route), ("status", status))
    return samples.get(("ringway_http_request_duration_seconds_count", labels), 0)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_metrics_count_requests_webhooks_and_what_is_stored(
    tmp_path: Path, hooks: Receiver, workers: str
) -> None:
    hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Hello"}]))
    with (
        ringway_serve(tmp_path, "--workers", workers, "--log-level", "warning", env=ENV) as served,
        httpx.Client(base_url=served.url, auth=AUTH) as rest,
    ):
        webhooks = {
            "answer_url": {"address": hooks.url + "/answer", "http_method": "GET"},
            "event_url": {"address": hooks.url + "/event", "http_method": "POST"},
        }
        app = rest.post("/v2/applications", json={
            "name": "counted", "capabilities": {"voice": {"webhooks": webhooks}}})  # fmt: skip
        app_id = app.json()["id"]
        number = rest.get("/number/search", params={"country": "GB"}).json()["numbers"][0]
        routing = {"country": "GB", "msisdn": number["msisdn"]}
        rest.post("/number/buy", data=routing).raise_for_status()
        rest.post("/number/update", data={**routing, "app_id": app_id}).raise_for_status()
        # Each request on a new connection, so that both workers take some.
        for _ in range(30):
            assert httpx.get(f"{served.url}/v2/applications/{app_id}", auth=AUTH).is_success
        for _ in range(5):
            assert httpx.get(f"{served.url}/v2/applications/nope", auth=AUTH).status_code == 404
        assert httpx.get(f"{served.url}/no/such/page").status_code == 404
        call = rest.post("/_ringway/calls", json={"from": "447700900001", "to": number["msisdn"]})
        assert call.status_code == 201
        eventually(lambda: any(b"completed" in r.body for r in hooks.on("/event")), timeout=15,
                   what="the call's end")  # fmt: skip

        def counted() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
            samples = scrape(served.url)
            done = samples.get(("ringway_calls", (("status", "completed"),)), 0) >= 1
            seen = (requests_of(samples, ONE, "200"), requests_of(samples, ONE, "404"),
                    requests_of(samples, "unmatched", "404"))  # fmt: skip
            return samples if done and seen == (30, 5, 1) else None

        # Every scrape, whichever worker answers it, has every worker's counts (a request is
        # counted once its answer is sent, so the client may see the answer a moment before).
        for _ in range(3):
            samples = eventually(counted, timeout=10, what="the counts")
        labels = (("le", "+Inf"), ("method", "GET"), ("route", ONE), ("status", "200"))
        assert samples[("ringway_http_request_duration_seconds_bucket", labels)] == 30
        answered = (("kind", "answer"), ("outcome", "ok"))
        assert samples[("ringway_webhook_attempt_duration_seconds_count", answered)] == 1
        events = (("kind", "event"), ("outcome", "ok"))
        assert samples[("ringway_webhook_attempt_duration_seconds_count", events)] == 4
        assert samples[("ringway_active_calls", ())] == 0
        assert samples[("ringway_outbox_deliveries", (("state", "pending"),))] == 0
        assert samples[("ringway_outbox_deliveries", (("state", "failed"),))] == 0
        # Each worker holds a connection at least: the gauge adds up the live workers'.
        assert samples[("ringway_db_pool_connections", (("state", "open"),))] >= int(workers)
        assert ("ringway_db_pool_connections", (("state", "in_use"),)) in samples
