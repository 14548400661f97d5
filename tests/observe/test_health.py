"""``GET /_ringway/health``: 200 and ``ready`` once storage answers and the engine runs, 503
otherwise (a process manager or CI waits on it); and what the metrics count in storage."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ringway.api.app import create_app
from ringway.config import Settings
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


def test_a_running_server_is_ready(server: LiveServer) -> None:
    response = httpx.get(f"{server.url}/_ringway/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True and body["storage"] is True and body["engine"] is True
    assert body["status"] == "ok" and body["version"]


def test_without_its_engine_a_server_is_not_ready(settings: Settings) -> None:
    app = create_app(settings)  # served without its lifespan: the engine never starts

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ringway") as client:
            return await client.get("/_ringway/health")

    try:
        response = asyncio.run(ask())
    finally:
        app.platform.close()
    assert response.status_code == 503
    assert response.json() | {"version": ""} == {
        "status": "unavailable",
        "ready": False,
        "storage": True,
        "engine": False,
        "version": "",
    }


def test_metrics_count_what_is_stored(server: LiveServer, account: Credentials) -> None:
    with server.client(account) as rest:
        assert rest.get("/v2/applications").status_code == 200
    response = httpx.get(f"{server.url}/_ringway/metrics")
    assert response.status_code == 200
    samples = {(s.name, tuple(s.labels.values())): s.value
               for family in text_string_to_metric_families(response.text)
               for s in family.samples}  # fmt: skip
    assert samples[("ringway_active_calls", ())] == 0
    assert samples[("ringway_outbox_deliveries", ("pending",))] == 0
    assert samples[("ringway_outbox_deliveries", ("failed",))] == 0
    count = "ringway_http_request_duration_seconds_count"
    assert samples[(count, ("GET", "/v2/applications", "200"))] >= 1
