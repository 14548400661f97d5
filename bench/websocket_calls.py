"""How many WebSocket calls this machine carries on time: ``python -m bench.websocket_calls``.

Starts ``ringway serve`` and, in this process, an echo agent (an aiohttp WebSocket server on
127.0.0.1 that sends every frame back, so audio flows both ways). For each count in the ladder
it places that many calls at once with ``POST /v1/calls`` to the agent (16 kHz, a ``wait`` NCCO
holding each call up for ``--seconds``), and reports, over every socket, how late the frames
arrived against their 20 ms schedule (p50, p99, max; the schedule starts at a socket's first
frame) and the server's CPU per call-second (its user and system time over the run, from
/proc). A count is carried when its p99 lateness stays within 20 ms; the largest such count is
the answer. The agent shares the machine, so the figures are an upper bound on lateness.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from aiohttp import WSMsgType, web

from bench.run import free_port, percentile
from ringway.security.jwt import mint
from ringway.testing.server import start

FRAME_SECONDS = 0.020


def application(hooks: str) -> dict[str, object]:
    """An application whose events go to the agent's HTTP side (answered 200)."""
    return {"name": "websocket bench", "capabilities": {"voice": {"webhooks": {
        "answer_url": {"address": f"{hooks}/answer"},
        "event_url": {"address": f"{hooks}/event"}}}}}  # fmt: skip


class EchoAgent:
    """Keeps, for each socket, the arrival time of every binary frame, and echoes it."""

    def __init__(self) -> None:
        self.arrivals: list[list[float]] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        times: list[float] = []
        self.arrivals.append(times)
        async for message in ws:
            if message.type == WSMsgType.BINARY:
                times.append(time.monotonic())
                await ws.send_bytes(message.data)
        return ws


async def answered(_: web.Request) -> web.Response:
    return web.Response()


def lateness(arrivals: list[list[float]]) -> list[float]:
    """Milliseconds each frame came after its slot (the first frame of a socket sets slot 0)."""
    late = []
    for times in arrivals:
        for index, at in enumerate(times):
            late.append(max(0.0, (at - times[0] - index * FRAME_SECONDS) * 1000))
    return late


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def round_of(
    client: httpx.AsyncClient, token: str, agent: EchoAgent, uri: str, calls: int, seconds: float
) -> list[float]:
    agent.arrivals.clear()
    body = {"to": [{"type": "websocket", "uri": uri, "content-type": "audio/l16;rate=16000"}],
            "from": {"type": "phone", "number": "447700900001"},
            "ncco": [{"action": "wait", "timeout": seconds}]}  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    placed = await asyncio.gather(
        *(client.post("/v1/calls", json=body, headers=headers) for _ in range(calls))
    )
    refused = [answer.text for answer in placed if answer.status_code != 201]
    if refused:
        raise SystemExit(f"ringway refused a call: {refused[0]}")
    await asyncio.sleep(seconds + 1.0)
    deadline = time.monotonic() + 30
    while sum(1 for times in agent.arrivals if times) < calls and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return lateness(agent.arrivals)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ladder", default="10,50,100,200,300,400", help="Calls at once, in turn.")
    parser.add_argument("--seconds", type=float, default=5.0, help="How long each call lasts.")
    options = parser.parse_args()

    agent = EchoAgent()
    app = web.Application()
    app.router.add_get("/socket", agent.handle)
    app.router.add_post("/event", answered)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    uri, hooks = f"ws://127.0.0.1:{port}/socket", f"http://127.0.0.1:{port}"

    with tempfile.TemporaryDirectory() as data:
        server = start(Path(data))
        try:
            assert server.process is not None
            credentials = server.new_account()
            auth = (credentials.api_key, credentials.api_secret)
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                made = await client.post("/v2/applications", json=application(hooks), auth=auth)
                app_id, key = made.json()["id"], made.json()["keys"]["private_key"]
                token = mint(app_id, key, ttl=86_400)
                print(f"{'calls':>6} {'frames':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
                      f"{'CPU ms per call-second':>23}")  # fmt: skip
                await round_of(client, token, agent, uri, 2, 1.0)  # warm-up, not reported
                carried = 0
                for calls in [int(n) for n in options.ladder.split(",")]:
                    before = cpu_seconds(server.process.pid)
                    late = await round_of(client, token, agent, uri, calls, options.seconds)
                    cpu = cpu_seconds(server.process.pid) - before
                    p99 = percentile(late, 0.99)
                    print(f"{calls:>6} {len(late):>8} {statistics.median(late):>7.1f} "
                          f"{p99:>7.1f} {max(late):>7.1f} "
                          f"{cpu * 1000 / (calls * options.seconds):>23.1f}")  # fmt: skip
                    if p99 > 20:
                        break
                    carried = calls
                print(f"carried on time (p99 lateness within 20 ms): {carried} calls")
        finally:
            server.stop()
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
