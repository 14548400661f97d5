"""``make bench``: ringway against a raw ASGI endpoint, side by side in one run, as ratios.

Measures simulated inbound calls end to end (webhook requests per second against a local
receiver, beside the rate one process POSTs to it with aiohttp, and beside the same calls made
by ``bench/engine_floor.py``, which does nothing but their HTTP); then, with wrk (-t2 -c32),
GET one application, list (10 per page) and create, each
against a raw ASGI endpoint that answers the same number of bytes; GET one application with the
request log (the default level, info, to a file) beside a second ringway on the same database
logging only warnings; then the latency of creates at a sustained 20 per second. One uvicorn
worker, SQLite, no TLS.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import aiohttp
import httpx

from ringway.security.jwt import mint

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET = "be9c0001", "BenchSecret00001"
AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
APP = {
    "name": "bench",
    "capabilities": {
        "voice": {
            "webhooks": {
                "answer_url": {"address": "http://localhost:3000/answer"},
                "event_url": {"address": "http://localhost:3000/event"},
            }
        },
        "messages": {
            "webhooks": {
                "inbound_url": {"address": "http://localhost:3000/inbound"},
                "status_url": {"address": "http://localhost:3000/status"},
            }
        },
    },
}


REQUESTS_PER_CALL = 5  # started, ringing, the answer URL, answered, completed
CALL: dict[str, object] = {"from": "447700900001", "to": ""}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(
    command: list[str], env: dict[str, str], health: str, log: Path | None = None, wait: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the block ends, once ``health`` answers (within ``wait`` seconds);
    its stderr to ``log``."""
    with open(log or os.devnull, "wb") as sink:
        proc = subprocess.Popen(
            command, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=sink
        )
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                httpx.get(health)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command} did not start") from None
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def uvicorn(app: str, port: int) -> list[str]:
    """The command that serves a baseline ASGI callable as ringway is served."""
    return [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--loop", "uvloop",
            "--http", "httptools", "--no-access-log", "--log-level", "warning"]  # fmt: skip


def wrk(url: str, seconds: int, script: Path | None = None, auth: str = AUTH) -> float:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "-H", f"Authorization: {auth}", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"errors while loading {url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


def side_by_side(
    ours: str, raw: str, seconds: int, script: Path | None = None, auth: str = AUTH
) -> tuple[float, float]:
    """Alternate the two targets (raw, ours, raw, ours) and average, so drift hits both."""
    raw_rates, our_rates = [], []
    for _ in range(2):
        raw_rates.append(wrk(raw, seconds, script, auth))
        our_rates.append(wrk(ours, seconds, script, auth))
    return statistics.mean(our_rates), statistics.mean(raw_rates)


async def paced_creates(base: str, rate: float, seconds: float) -> list[float]:
    """Latencies (ms) of creates sent at a fixed rate, timed from when each was due.

    aiohttp, not httpx: at this scale the client's own overhead would be measured too.
    """
    latencies: list[float] = []
    headers = {"Authorization": AUTH}
    async with aiohttp.ClientSession(base, headers=headers) as session:
        async with session.get("/v2/applications?page_size=1") as warm:
            warm.raise_for_status()

        async def one(due: float) -> None:
            async with session.post("/v2/applications", json=APP) as response:
                response.raise_for_status()
                await response.read()
            latencies.append((time.perf_counter() - due) * 1000)

        start = time.perf_counter() + 0.5
        tasks = []
        for index in range(int(rate * seconds)):
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
    return latencies


async def raw_posts(url: str, seconds: float, concurrency: int = 64) -> float:
    """POSTs per second one process makes to ``url`` with aiohttp (the engine's client)."""
    body = b'{"status":"completed","uuid":"bench"}'
    done = 0
    async with aiohttp.ClientSession() as session:
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < end:
                async with session.post(url, data=body) as response:
                    await response.read()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - start)


async def simulated_calls(base: str, receiver: str, calls: int, concurrency: int = 32) -> float:
    """Webhook requests per second the engine makes for ``calls`` simulated inbound calls
    (answer, a talk, four events each), from the first call placed to the last request seen."""
    async with aiohttp.ClientSession(headers={"Authorization": AUTH}) as session:

        async def received() -> int:
            async with session.get(f"{receiver}/count") as response:
                return int((await response.json())["received"])

        before = await received()
        queue = iter(range(calls))

        async def caller() -> None:
            for _ in queue:
                async with session.post(f"{base}/_ringway/calls", json=CALL) as response:
                    response.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        target = before + calls * REQUESTS_PER_CALL
        while (seen := await received()) < target:
            if time.perf_counter() - start > 300:
                raise RuntimeError(f"only {seen - before} of {target - before} requests arrived")
            await asyncio.sleep(0.01)
        return (seen - before) / (time.perf_counter() - start)


def engine_side_by_side(
    ours: str, floor: str, receiver: str, seconds: int, calls: int
) -> tuple[float, float, float]:
    """Alternate raw POSTs, simulated calls, and the same calls against the engine's floor
    (``bench/engine_floor.py``), all to the same receiver, and average each."""
    raw_rates, our_rates, floor_rates = [], [], []
    for _ in range(2):
        raw_rates.append(asyncio.run(raw_posts(f"{receiver}/event", seconds)))
        our_rates.append(asyncio.run(simulated_calls(ours, receiver, calls)))
        floor_rates.append(asyncio.run(simulated_calls(floor, receiver, calls)))
    return statistics.mean(our_rates), statistics.mean(raw_rates), statistics.mean(floor_rates)


def tokens_and_lists(
    ours: str, raw: str, app_id: str, bearer: str, seconds: int
) -> dict[str, dict[str, float]]:
    """``GET /v1/calls`` with a Bearer JWT beside ``GET /v2/applications/{id}`` with Basic (the
    same server), and a page of ten applications beside the raw endpoint answering its bytes
    (``/list``); each pair alternated twice."""
    pairs = {
        "GET /v1/calls (JWT) / GET one (Basic)": (
            (f"{ours}/v1/calls", bearer), (f"{ours}/v2/applications/{app_id}", AUTH)),
        "GET list (page_size=10) / raw": (
            (f"{ours}/v2/applications?page_size=10", AUTH), (f"{raw}/list", AUTH)),
    }  # fmt: skip
    ratios = {}
    for name, ((url, auth), (base_url, base_auth)) in pairs.items():
        rates: tuple[list[float], list[float]] = ([], [])
        for _ in range(2):
            rates[1].append(wrk(base_url, seconds, auth=base_auth))
            rates[0].append(wrk(url, seconds, auth=auth))
        ours_rate, base_rate = statistics.mean(rates[0]), statistics.mean(rates[1])
        ratios[name] = {"ringway": ours_rate, "base": base_rate, "ratio": ours_rate / base_rate}
    return ratios


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def link_number(client: httpx.Client, hooks: str) -> str:
    """Buy a number and link it to an application whose webhooks go to ``hooks``."""
    app = client.post("/v2/applications", json={"name": "engine", "capabilities": {"voice": {
        "webhooks": {"answer_url": {"address": f"{hooks}/answer"},
                     "event_url": {"address": f"{hooks}/event"}}}}}).json()  # fmt: skip
    number = client.get("/number/search", params={"country": "GB"}).json()["numbers"][0]["msisdn"]
    client.post("/number/buy", data={"country": "GB", "msisdn": number}).raise_for_status()
    client.post(
        "/number/update", data={"country": "GB", "msisdn": number, "app_id": app["id"]}
    ).raise_for_status()
    return str(number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--create-seconds", type=float, default=15.0)
    parser.add_argument("--calls", type=int, default=6000, help="simulated calls per run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        ours_port, raw_port, quiet_port = free_port(), free_port(), free_port()
        ours, quiet = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{quiet_port}"
        for port, level in ((ours_port, "info"), (quiet_port, "warning")):
            command = [sys.executable, "-m", "ringway.cli", "serve", "--port", str(port),
                       "--data-dir", str(work / "data"), "--log-level", level]  # fmt: skip
            env = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET}
            health = f"http://127.0.0.1:{port}/_ringway/health"
            stack.enter_context(process(command, env, health, work / f"{level}.log"))
        client = stack.enter_context(httpx.Client(base_url=ours, headers={"Authorization": AUTH}))
        created = [client.post("/v2/applications", json=APP).json() for _ in range(10)]
        app_id = created[0]["id"]
        bodies = work / "bodies"
        bodies.mkdir()
        (bodies / "one.json").write_bytes(client.get(f"/v2/applications/{app_id}").content)
        (bodies / "list.json").write_bytes(client.get("/v2/applications").content)
        (bodies / "create.json").write_bytes(json.dumps(created[0]).encode())
        bearer = "Bearer " + mint(app_id, created[0]["keys"]["private_key"], ttl=3600)
        (bodies / "calls.json").write_bytes(
            client.get("/v1/calls", headers={"Authorization": bearer}).content
        )
        raw = f"http://127.0.0.1:{raw_port}"
        raw_app = uvicorn("bench.raw_asgi:app", raw_port)
        stack.enter_context(process(raw_app, {"RAW_BODIES": str(bodies)}, f"{raw}/one"))
        post = work / "post.lua"
        post.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(json.dumps(APP))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        # Creates at a steady 20/s first, once the key pool has refilled after the setup.
        time.sleep(3)
        latencies = asyncio.run(paced_creates(ours, 20.0, args.create_seconds))
        results = {}
        hooks_port = free_port()
        hooks = f"http://127.0.0.1:{hooks_port}"
        stack.enter_context(
            process([sys.executable, "-m", "bench.receiver", str(hooks_port)], {}, f"{hooks}/count")
        )
        CALL["to"] = link_number(client, hooks)
        floor_port = free_port()
        floor = f"http://127.0.0.1:{floor_port}"
        stack.enter_context(
            process(uvicorn("bench.engine_floor:app", floor_port), {"HOOKS": hooks}, floor)
        )
        our_rate, raw_rate, floor_rate = engine_side_by_side(
            ours, floor, hooks, args.seconds, args.calls
        )
        results["engine webhooks (calls)"] = {
            "ringway": our_rate, "raw": raw_rate, "ratio": our_rate / raw_rate}  # fmt: skip
        results["engine floor (HTTP only)"] = {
            "ringway": floor_rate, "raw": raw_rate, "ratio": floor_rate / raw_rate}  # fmt: skip
        for name, our_url, raw_url, script, auth in (
            ("GET one application", f"{ours}/v2/applications/{app_id}", f"{raw}/one", None, AUTH),
            ("GET list (10 per page)", f"{ours}/v2/applications", f"{raw}/list", None, AUTH),
            ("GET /v1/calls (JWT)", f"{ours}/v1/calls", f"{raw}/calls", None, bearer),
            ("POST create (unpaced)", f"{ours}/v2/applications", f"{raw}/create", post, AUTH),
        ):
            our_rate, raw_rate = side_by_side(our_url, raw_url, args.seconds, script, auth)
            results[name] = {"ringway": our_rate, "raw": raw_rate, "ratio": our_rate / raw_rate}
        paired = tokens_and_lists(ours, raw, app_id, bearer, args.seconds)
        one = f"/v2/applications/{app_id}"
        logged, unlogged = side_by_side(f"{ours}{one}", f"{quiet}{one}", args.seconds)
        log_lines = len((work / "info.log").read_text().splitlines())

    print(f"{'operation':<26}{'ringway req/s':>15}{'raw ASGI req/s':>16}{'ratio':>8}")
    for name, row in results.items():
        print(f"{name:<26}{row['ringway']:>15,.0f}{row['raw']:>16,.0f}{row['ratio']:>8.2f}")
    for name, row in paired.items():
        print(f"{name}: {row['ringway']:,.0f} / {row['base']:,.0f} req/s = {row['ratio']:.2f} "
              "(target >= 0.50)")  # fmt: skip
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(
        f"\ncreate at 20/s for {args.create_seconds:.0f} s ({len(latencies)} creates): "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms"
    )
    calls_per_second = results["engine webhooks (calls)"]["ringway"] / REQUESTS_PER_CALL
    print(f"simulated inbound calls end to end: {calls_per_second:,.0f} per second")
    print(
        "targets: GET one ratio >= 0.50; create p99 <= 20 ms at 20/s; "
        "engine webhooks ratio >= 0.50 (raw: aiohttp POSTs from one process)"
    )
    print(
        f"request log (info, {log_lines:,} lines written): GET one application {logged:,.0f} "
        f"req/s, {unlogged:,.0f} without it (warning): {logged / unlogged:.2f} (target >= 0.90)"
    )
    engine, floor_row = results["engine webhooks (calls)"], results["engine floor (HTTP only)"]
    print(
        f"the engine's floor (the same calls, HTTP only) makes {floor_row['ratio']:.2f} of raw; "
        f"ringway makes {engine['ringway'] / floor_row['ringway']:.2f} of its floor"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps(
            {
                "throughput": results,
                "paired": paired,
                "create_20_per_s_ms": {"p50": p50, "p99": p99, "max": max(latencies)},
                "request_log": {"logged": logged, "unlogged": unlogged, "ratio": logged / unlogged},
            },
            indent=2,
        )
    )
    subprocess.run([sys.executable, ROOT / "bench" / "startup.py"], check=True)


if __name__ == "__main__":
    main()
