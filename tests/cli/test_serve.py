"""``ringway serve`` as a user starts it: first account, TLS, and what it prints."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509

from tests.api.test_messages import buy_number
from tests.conftest import eventually
from tests.receivers import Reply, threaded_receiver
from tests.servers import RINGWAY, Served, ringway_serve

ENV = {
    "RINGWAY_API_KEY": "5e7e0001",
    "RINGWAY_API_SECRET": "ServeSecret00001",
    "RINGWAY_SIGNATURE_SECRET": "signature-secret-for-the-serve-tests-0000000001",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RINGWAY_DATA_DIR", "RINGWAY_DATABASE_URL", *ENV):
        monkeypatch.delenv(name, raising=False)


def test_an_empty_database_gets_an_account_printed_once(tmp_path: Path) -> None:
    with ringway_serve(tmp_path) as served:
        first = served.output()
        with httpx.Client(base_url=served.url) as client:
            assert client.get("/_ringway/health").json()["status"] == "ok"
            assert client.get("/sign-in").status_code == 200
    assert "api_key:" in first and "api_secret:" in first and "signature_secret:" in first
    assert f"dashboard: {served.url}/" in first
    assert (tmp_path / "ringway.db").exists()
    api_key = re.search(r"api_key: +(\S+)", first)[1]  # type: ignore[index]
    with ringway_serve(tmp_path) as served:
        again = served.output()
    assert "api_secret:" not in again and "signature_secret" not in again
    assert f"Accounts (api_key): {api_key}\n" in again
    assert f"ringway accounts rotate-secret API_KEY --data-dir {tmp_path}\n" in again


def test_port_0_is_the_port_it_got_also_for_webhooks_and_stopping_says_what_it_ended(
    tmp_path: Path,
) -> None:
    env = {**ENV, "RINGWAY_CLOCK_SPEED": "1"}
    auth = (ENV["RINGWAY_API_KEY"], ENV["RINGWAY_API_SECRET"])
    with threaded_receiver() as hooks:
        hooks.answer("/answer", Reply(body=[{"action": "conversation", "name": "stays"}]))
        with ringway_serve(tmp_path, env=env) as served:  # --port 0
            port = urlsplit(served.url).port
            assert port and f"ringway listening on http://127.0.0.1:{port}\n" in served.output()
            with httpx.Client(base_url=served.url, auth=auth) as rest:
                answer = {"address": hooks.url + "/answer", "http_method": "GET"}
                voice = {"webhooks": {"answer_url": answer}}
                app = rest.post("/v2/applications", json={"name": "ivr",
                                "capabilities": {"voice": voice}})  # fmt: skip
                number = buy_number(rest, app.json()["id"])
                for caller in ("447700900001", "447700900002"):
                    placed = rest.post("/_ringway/calls", json={"from": caller, "to": number})
                    assert placed.status_code == 201, placed.text
                asked = eventually(lambda: len(hooks.on("/answer")) == 2 and hooks.on("/answer"),
                                   what="both answer requests")  # fmt: skip
                for request in asked:
                    assert request.query["region_url"] == served.url
    assert served.output().rstrip().endswith("ringway stopped: ended 2 running calls")


@pytest.fixture
def busy() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def serve_once(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RINGWAY, "serve", *args], env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_a_busy_port_is_one_line_saying_how_to_choose_another(busy: int, tmp_path: Path) -> None:
    ran = serve_once("--port", str(busy), "--data-dir", str(tmp_path))
    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr == (f"Error: port {busy} on 127.0.0.1 is in use; choose another with "
                          "--port N (or RINGWAY_PORT=N), or --port 0 for a free one\n")  # fmt: skip
    assert not (tmp_path / "ringway.db").exists()  # it stopped before opening the database


def test_host_and_port_come_from_the_environment(busy: int, tmp_path: Path) -> None:
    ran = serve_once("--data-dir", str(tmp_path),
                     env={"RINGWAY_HOST": "localhost", "RINGWAY_PORT": str(busy)})  # fmt: skip
    assert f"port {busy} on localhost is in use" in ran.stderr


def test_make_run_takes_the_port_and_host() -> None:
    # --no-print-directory: under `make test` the nested make would name its directory.
    made = subprocess.run(["make", "-n", "--no-print-directory", "run", "PORT=8001",
                           "HOST=127.0.0.1"], text=True, capture_output=True,
                          cwd=Path(__file__).parents[2], check=True)  # fmt: skip
    assert made.stdout.splitlines()[-1].endswith("ringway serve --host 127.0.0.1 --port 8001")


def test_environment_credentials_become_the_first_account(tmp_path: Path) -> None:
    with (
        ringway_serve(tmp_path, env=ENV) as served,
        httpx.Client(base_url=served.url) as client,
    ):
        auth = (ENV["RINGWAY_API_KEY"], ENV["RINGWAY_API_SECRET"])
        assert client.get("/v2/applications", auth=auth).status_code == 200
        assert ENV["RINGWAY_SIGNATURE_SECRET"] in served.output()


def test_secrets_sent_in_requests_never_reach_the_log(tmp_path: Path) -> None:
    with ringway_serve(tmp_path, env=ENV) as served, httpx.Client(base_url=served.url) as client:
        before = served.output()
        for secret in ("LeakCandidate001", "LeakCandidate002"):
            client.get("/v2/applications", auth=(ENV["RINGWAY_API_KEY"], secret))
            client.get("/v1/applications", params={"api_key": "x", "api_secret": secret})
            client.post("/v1/applications", data={"api_key": "x", "api_secret": secret})
    after = served.output()
    assert "LeakCandidate" not in after
    assert after.count(ENV["RINGWAY_API_SECRET"]) == before.count(ENV["RINGWAY_API_SECRET"]) == 1


def test_tls_creates_a_local_ca_and_prints_how_to_trust_it(tmp_path: Path) -> None:
    with ringway_serve(tmp_path, "--tls", env=ENV) as served:
        ca = tmp_path / "tls" / "ca.pem"
        output = served.output()
        assert f"REQUESTS_CA_BUNDLE={ca}" in output
        assert f"NODE_EXTRA_CA_CERTS={ca}" in output
        assert served.url.startswith("https://127.0.0.1:")
        port = served.url.rsplit(":", 1)[1]
        context = ssl.create_default_context(cafile=str(ca))
        for host in ("127.0.0.1", "localhost"):
            with urllib.request.urlopen(
                f"https://{host}:{port}/_ringway/health", context=context
            ) as r:
                assert r.status == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{served.url}/_ringway/health")  # not trusted without the CA
    certificate = x509.load_pem_x509_certificate((tmp_path / "tls" / "server.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    # A second start reuses the same CA.
    before = ca.read_bytes()
    with ringway_serve(tmp_path, "--tls", env=ENV):
        assert ca.read_bytes() == before


def exchange(url: str, request: bytes) -> bytes:
    """What the server answers ``request`` on a connection of its own, read to its close while
    another thread sends (the server may answer before it has read everything)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:

        def send() -> None:
            with contextlib.suppress(OSError):  # the server may close the connection first
                sock.sendall(request)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        sender.join(timeout=30)
    return answer


def peak_rss(served: Served) -> int:
    """The most memory the server process has held, in bytes."""
    status = Path(f"/proc/{served.process.pid}/status").read_text()
    return next(int(line.split()[1]) * 1024 for line in status.splitlines()
                if line.startswith("VmHWM:"))  # fmt: skip


def test_a_request_head_over_64_kib_is_refused_with_431_before_it_is_read(
    tmp_path: Path,
) -> None:
    with ringway_serve(tmp_path, env=ENV) as served:
        auth = (ENV["RINGWAY_API_KEY"], ENV["RINGWAY_API_SECRET"])
        basic = b"Basic " + base64.b64encode(":".join(auth).encode())
        with httpx.Client(base_url=served.url) as client:
            padded = client.get("/v2/applications", auth=auth, headers={"X-Pad": "p" * 60_000})
            assert padded.status_code == 200  # a large head within the limit is served
            body = b" " * 500_000 + b"{}"  # sent at once with its head, it is no part of it
            answer = exchange(served.url, b"POST /v2/applications HTTP/1.1\r\nHost: x\r\n"
                              b"Authorization: " + basic + b"\r\nConnection: close\r\n"
                              b"Content-Length: %d\r\n\r\n" % len(body) + body)  # fmt: skip
            assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
            before = peak_rss(served)
            huge = b"Basic " + b"A" * (16 << 20)
            answer = exchange(served.url, b"GET /v2/applications HTTP/1.1\r\nHost: x\r\n"
                              b"Authorization: " + huge + b"\r\n\r\n")  # fmt: skip
            head, _, problem = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 431 "), answer[:200]
            assert re.search(rb"\r\nx-request-id: [0-9a-f]{16}\r\n", head)
            assert json.loads(problem)["type"] == (
                "https://developer.nexmo.com/api-errors#header-too-large"
            )
            assert "65536 bytes" in json.loads(problem)["detail"]
            assert peak_rss(served) - before < 8 << 20  # the 16 MiB were never held
            assert client.get("/_ringway/health").status_code == 200
            assert client.get("/v2/applications", auth=auth).status_code == 200
