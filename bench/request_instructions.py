"""The instructions one API request costs ringway's server, beside the raw endpoint's, counted
with callgrind.

Makes a database with the bench's account and ten applications, then serves it with ``ringway
serve`` (one process, SQLite) and the raw ASGI callable (``bench/raw_asgi.py``, answering the
same bytes) each under ``valgrind --tool=callgrind`` with collection off. For each request
(``GET /v2/applications/{id}`` and ``GET /v2/applications?page_size=10``) it sends warm-up
requests, turns collection on (``callgrind_control -i on``), sends the measured requests one
after another on one keep-alive connection, and turns it off; then counts what the same
process runs idle for as long, and takes that away. The count divided by the requests is what a
request costs, everything in the process included (uvicorn's protocol, the event loop), and
raw ÷ ringway is the rate ratio a CPU-bound server would reach.

``--data-dir DIR`` serves an existing data directory instead (with ``RINGWAY_DATABASE_URL``, a
PostgreSQL database; its account must be the bench's or named by ``RINGWAY_API_KEY`` and
``RINGWAY_API_SECRET``), ``--path`` adds requests to count, ``--no-raw`` skips the raw
endpoint. It also prints what the idle server runs a second: on a database of a million rows,
work that grows with the tables shows there (bench/scale.py compares the rates).

Run as ``python -m bench.request_instructions`` (``--requests 2000 --warm-up 200``); needs
valgrind.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.call_instructions import callgrind, instructions
from bench.run import AUTH, KEY, SECRET, free_port, process

START_SECONDS = 600  # under valgrind, and on a busy machine


def prepare(data_dir: Path, key: str, secret: str) -> str:
    """A database holding the account and ten applications; the first one's id."""
    from ringway.config import Settings
    from ringway.domain.applications import ApplicationIn
    from ringway.services.platform import Platform

    platform = Platform.open(Settings(data_dir=data_dir, key_pool_size=0))
    try:
        account = platform.accounts.create(key, secret).account_id
        spec = ApplicationIn.model_validate({"name": "bench"})
        ids = [platform.applications.create(account, spec)[0].id for _ in range(10)]
        return ids[0]
    finally:
        platform.close()


def first_application(base: str, auth: str) -> str:
    import httpx

    page = httpx.get(f"{base}/v2/applications?page_size=1", headers={"Authorization": auth})
    page.raise_for_status()
    return str(page.json()["_embedded"]["applications"][0]["id"])


def send(port: int, path: str, count: int, auth: str) -> bytes:
    """``count`` GETs of ``path``, one after another on one connection; the last body."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = b""
    try:
        for _ in range(count):
            conn.request("GET", path, headers={"Authorization": auth})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
    finally:
        conn.close()
    return body


class Counted:
    """A process under callgrind, collection off until ``count`` turns it on."""

    def __init__(self, pid: int, out: Path, port: int, auth: str) -> None:
        self.pid, self.out, self.port, self.auth = pid, out, port, auth
        self._seen = 0
        self.idle_per_second: list[float] = []  # what the process ran idle, each count

    def _collected(self) -> int:
        subprocess.run(["callgrind_control", "-d", str(self.pid)], check=True,
                       capture_output=True)  # fmt: skip
        total = instructions(self.out)
        new, self._seen = total - self._seen, total
        return new

    def count(self, path: str, requests: int, warm_up: int) -> float:
        """Instructions a request of ``path``, the process's idle work taken away."""
        send(self.port, path, warm_up, self.auth)
        self._collected()
        callgrind(self.pid, True)
        started = time.monotonic()
        send(self.port, path, requests, self.auth)
        seconds = time.monotonic() - started
        callgrind(self.pid, False)
        busy = self._collected()
        callgrind(self.pid, True)
        time.sleep(seconds)
        callgrind(self.pid, False)
        idle = self._collected()
        self.idle_per_second.append(idle / seconds)
        return (busy - idle) / requests


def valgrind(out: Path, command: list[str]) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out}", *command]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests counted, each")
    parser.add_argument("--warm-up", type=int, default=200, help="requests sent first, each")
    parser.add_argument("--data-dir", type=Path, help="serve this data directory instead")
    parser.add_argument("--path", action="append", default=[], help="another path to count")
    parser.add_argument("--no-raw", action="store_true", help="count ringway only")
    args = parser.parse_args()
    key = os.environ.get("RINGWAY_API_KEY", KEY)
    secret = os.environ.get("RINGWAY_API_SECRET", SECRET)
    auth = AUTH if key == KEY else "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        data = args.data_dir or work / "data"
        if args.data_dir is None:
            prepare(data, key, secret)
        port, raw_port = free_port(), free_port()
        ours = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-m", "ringway.cli", "serve", "--port", str(port),
                 "--data-dir", str(data), "--log-level", "warning"]  # fmt: skip
        env = {"RINGWAY_KEY_POOL_SIZE": "0"}
        server = stack.enter_context(process(valgrind(work / "ours.out", serve), env,
                                             f"{ours}/_ringway/health", work / "server.log",
                                             START_SECONDS))  # fmt: skip
        app_id = first_application(ours, auth)
        paths = {"GET one application": f"/v2/applications/{app_id}",
                 "GET list (page_size=10)": "/v2/applications?page_size=10",
                 **{f"GET {path}": path for path in args.path}}  # fmt: skip
        counted = Counted(server.pid, work / "ours.out", port, auth)
        print(f"counting {args.requests} requests of each...", file=sys.stderr)
        ours_counts = {name: counted.count(path, args.requests, args.warm_up)
                       for name, path in paths.items()}  # fmt: skip
        raw_counts: dict[str, float] = {}
        if not args.no_raw:
            bodies = work / "bodies"
            bodies.mkdir()
            for n, path in enumerate(paths.values()):
                (bodies / f"{n}.json").write_bytes(send(port, path, 1, auth))
            from bench.run import uvicorn

            raw = stack.enter_context(process(
                valgrind(work / "raw.out", uvicorn("bench.raw_asgi:app", raw_port)),
                {"RAW_BODIES": str(bodies)}, f"http://127.0.0.1:{raw_port}/0",
                wait=START_SECONDS))  # fmt: skip
            raw_counted = Counted(raw.pid, work / "raw.out", raw_port, auth)
            raw_counts = {name: raw_counted.count(f"/{n}", args.requests, args.warm_up)
                          for n, name in enumerate(paths)}  # fmt: skip

    print(f"{'request':<28}{'ringway':>12}{'raw':>12}{'raw / ringway':>15}")
    for name, cost in ours_counts.items():
        raw_cost = raw_counts.get(name)
        shown = f"{raw_cost:>12,.0f}{raw_cost / cost:>15.2f}" if raw_cost else ""
        print(f"{name:<28}{cost:>12,.0f}{shown}")
    idle = max(counted.idle_per_second)
    print("(instructions a request, callgrind; raw / ringway: the rate ratio if CPU-bound)")
    print(
        f"idle, ringway ran up to {idle:,.0f} instructions a second under callgrind "
        "(timers and pollers)"
    )


if __name__ == "__main__":
    main()
