"""HTTP habits of real clients against ``ringway serve``: idle keep-alive connections reused
later, bodies sent without framing, and the upgrade to a WebSocket."""

from __future__ import annotations

import base64
import socket
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from websockets.sync.client import connect as ws_connect

from ringway.config import Settings
from ringway.services.accounts import Credentials
from tests.dashboard.conftest import Browser
from tests.servers import Served, ringway_serve

KEY, SECRET = "4ab17001", "HabitsSecret0001"
BASIC = b"Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode())
KEEP_ALIVE = 1  # second; the default is 75 (below)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    env = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET,
           "RINGWAY_KEEP_ALIVE": str(KEEP_ALIVE)}  # fmt: skip
    with ringway_serve(tmp_path_factory.mktemp("habits"), env=env) as served:
        yield served


def connect(served: Served) -> socket.socket:
    parts = urlsplit(served.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One response's head and body (framed by Content-Length, as ringway frames them)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                   if line.startswith(b"content-length:")), 0)  # fmt: skip
    while len(body) < length:
        body += sock.recv(65536)
    assert len(body) == length, (head, body)  # nothing more came with it
    return head, body


def closed_when_idle(sock: socket.socket) -> float:
    """Seconds until the server closes the idle connection, failing past the keep-alive."""
    start = time.monotonic()
    sock.settimeout(KEEP_ALIVE * 3)
    assert sock.recv(1) == b""
    return time.monotonic() - start


def request(method: str, path: str, extra: bytes = b"") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: api.nexmo.com\r\n".encode()
            + b"Authorization: " + BASIC + b"\r\n" + extra + b"\r\n")  # fmt: skip


def create_application(served: Served) -> str:
    with httpx.Client(base_url=served.url, auth=(KEY, SECRET)) as client:
        response = client.post("/v2/applications", json={"name": "habits"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


def test_idle_connections_are_kept_75_seconds_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RINGWAY_KEEP_ALIVE", raising=False)
    assert Settings().keep_alive == 75  # nginx's; Node's agent keeps 5 s, httpx 5, aiohttp 15


def test_an_idle_connection_is_reused_until_the_keep_alive_runs_out(served: Served) -> None:
    with connect(served) as sock:
        sock.sendall(request("GET", "/_ringway/health"))
        assert read_response(sock)[0].startswith(b"HTTP/1.1 200 ")
        time.sleep(KEEP_ALIVE / 2)
        sock.sendall(request("GET", "/_ringway/health"))
        assert read_response(sock)[0].startswith(b"HTTP/1.1 200 ")
        assert closed_when_idle(sock) > KEEP_ALIVE * 0.9


@pytest.mark.parametrize("apart", [False, True], ids=["with-head", "apart"])
def test_a_delete_with_an_unframed_body_gets_its_204_and_the_connection_goes_on(
    served: Served, apart: bool
) -> None:
    """The 2.x Node SDK in the 1.x Vonage CLI sends ``{}`` after a DELETE's head with neither
    Content-Length nor chunking: it is no request, and no reason to drop the DELETE's answer."""
    app_id = create_application(served)
    head = request("DELETE", f"/v2/applications/{app_id}", b"Content-Type: application/json\r\n")
    with connect(served) as sock:
        if apart:
            sock.sendall(head)
            time.sleep(0.1)
            sock.sendall(b"{}")
        else:
            sock.sendall(head + b"{}")
        status, body = read_response(sock)
        assert status.startswith(b"HTTP/1.1 204 "), status
        assert body == b""
        time.sleep(0.1)  # the stray body did not close the connection
        sock.sendall(request("GET", f"/v2/applications/{app_id}"))
        assert read_response(sock)[0].startswith(b"HTTP/1.1 404 ")
        closed_when_idle(sock)  # the stray body did not stop the keep-alive timer
    assert "Invalid HTTP request" not in served.output()  # nor was it taken for one


def test_a_malformed_request_is_still_a_400(served: Served) -> None:
    with connect(served) as sock:
        sock.sendall(b"{}\r\n\r\n")
        status, _ = read_response(sock)
        assert status.startswith(b"HTTP/1.1 400 "), status
        assert sock.recv(1) == b""
    with connect(served) as sock:  # after a request without a body, a request that began
        sock.sendall(request("GET", "/_ringway/health"))
        assert read_response(sock)[0].startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /_ringway/health HTTP/1.1\r\nBad header\r\n\r\n")
        status, _ = read_response(sock)
        assert status.startswith(b"HTTP/1.1 400 "), status
        assert sock.recv(1) == b""


def test_the_call_pages_websocket_upgrades_under_serve(served: Served) -> None:
    """``ringway serve``'s own HTTP protocol hands a WebSocket upgrade (the call page's audio)
    over on a new connection as on a reused one."""
    with httpx.Client(base_url=served.url) as browser:
        Browser(browser).sign_in(Credentials("", KEY, SECRET, ""))
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    url = served.url.replace("http://", "ws://") + f"/calls/{uuid.uuid4()}/audio"
    with ws_connect(url, additional_headers={"Cookie": cookie, "Origin": served.url}) as ws:
        assert "does not exist" in orjson.loads(ws.recv(timeout=5))["error"]
