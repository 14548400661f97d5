"""The OpenAPI document tells the truth: schemathesis fuzzes the live server against it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


def test_the_document_lists_every_route(api: httpx.Client) -> None:
    document = api.get("/_ringway/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/v2/applications",
        "/v2/applications/{id}",
        "/v1/applications",
        "/v1/applications/{id}",
        "/number/search",
        "/account/numbers",
        "/number/buy",
        "/number/cancel",
        "/number/update",
        "/v1/calls",
        "/_ringway/health",
        "/_ringway/openapi.json",
    }
    answer = document["components"]["schemas"]["AnswerWebhook"]["properties"]
    assert answer["connect_timeout"]["minimum"] == 300
    assert answer["socket_timeout"]["maximum"] == 5000


def test_schemathesis_finds_no_server_error_and_no_mismatch(
    server: LiveServer, account: Credentials, tmp_path: Path
) -> None:
    token = base64.b64encode(f"{account.api_key}:{account.api_secret}".encode()).decode()
    seed = os.environ.get("RINGWAY_SCHEMATHESIS_SEED", "20261127")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{server.url}/_ringway/openapi.json",
            "--checks",
            "all",
            # Semantic rules (a PEM must hold an RSA key, v1 types need their URLs) cannot be
            # written in JSON Schema, so schema-valid data may still be refused with a 400.
            # And /v1 and /v2 are two views of one resource: an app deleted through v1 is gone
            # from v2, which schemathesis's resource model reads as "created resource not found".
            "--exclude-checks",
            "positive_data_acceptance,ensure_resource_availability",
            "--header",
            f"Authorization: Basic {token}",
            "--max-examples",
            "25",
            "--seed",
            seed,
            # One worker: schemathesis's thread pool trips a CPython 3.11 AST bug now and then.
            "--workers",
            "1",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
