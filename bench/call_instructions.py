"""The instructions a simulated call costs ringway's server, counted with callgrind.

Starts ringway (``serve``, one process, SQLite) under ``valgrind --tool=callgrind`` with
collection off, and a webhook receiver (``bench/receiver.py``) outside it; places warm-up calls
to a number whose application answers ``[{"action": "talk", "text": "Hello"}]``, then turns
collection on (``callgrind_control -i on``), places the measured calls (the bench's calls: five
requests each, started, ringing, the answer URL, answered and completed), waits until the
receiver has every request and the database every finished leg, and turns collection off. The
count is every instruction the server ran meanwhile, divided by the calls; beside it, what the
same process runs idle over the same length of time (timers and pollers: under valgrind a second
holds far less work than outside it, so their share is overstated here).

Run as ``python -m bench.call_instructions`` (``--calls 300 --warm-up 50``); needs valgrind
(``apt-get install valgrind``). ``--keep DIR`` keeps callgrind's output there (in
``DIR/ringway``, ``DIR/floor``), for ``callgrind_annotate``. ``--floor`` counts the engine's
floor instead (``bench/engine_floor.py`` under uvicorn, as ``make bench`` serves it: the same
calls' HTTP and nothing else), so that the two counts give the engine's cost over the floor's
in instructions; ``--beside-floor`` counts both, one after the other, and prints that ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import httpx

from bench.run import (
    AUTH,
    CALL,
    KEY,
    REQUESTS_PER_CALL,
    SECRET,
    free_port,
    link_number,
    process,
    uvicorn,
)

START_SECONDS = 600  # under valgrind, and on a busy machine
# Webhook timeouts are stretched this many times in the server counted: valgrind slows it some
# fifty-fold, and on a busy machine far more, so its requests would time out.
STRETCH = 100


def serve(argv: list[str]) -> None:
    """``ringway serve`` with webhook timeouts stretched ``STRETCH``-fold (the same code)."""
    import functools

    from ringway.cli import main
    from ringway.engine import webhooks

    timeout = webhooks._timeout.__wrapped__
    webhooks._timeout = functools.cache(lambda c, r: timeout(c * STRETCH, r * STRETCH))
    main(["serve", *argv])


def callgrind(pid: int, on: bool) -> None:
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(pid)],
                   check=True, capture_output=True)  # fmt: skip


def instructions(out: Path) -> int:
    """The instructions counted in callgrind's output files (one per process or dump)."""
    total = 0
    for part in out.parent.glob(out.name + "*"):
        match = re.search(r"^totals: (\d+)", part.read_text(), re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total


def commits(database: Path) -> int:
    """The commits to the database so far: the transaction counter of its WAL-index header
    (https://www.sqlite.org/walformat.html), read from its ``-shm`` file (this process holds
    no lock on it, so opening and closing it here is harmless)."""
    with open(f"{database}-shm", "rb") as shm:
        return int.from_bytes(shm.read(12)[8:12], sys.byteorder)


def ended_legs(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(
            conn.execute("SELECT count(*) FROM calls WHERE end_time IS NOT NULL").fetchone()[0]
        )


def received(hooks: str) -> int:
    return int(httpx.get(f"{hooks}/count").json()["received"])


def wait_until(count: Callable[[], int], target: int, what: str, timeout: float = 120) -> None:
    """Until ``count()`` reaches ``target`` (``what``: what it counts, for the error)."""
    deadline = time.monotonic() + timeout
    while (seen := count()) < target:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {seen} of {target} {what}")
        time.sleep(0.05)


async def place(base: str, calls: int, concurrency: int) -> None:
    """Place ``calls`` simulated calls, ``concurrency`` at a time (as ``make bench`` does)."""
    async with aiohttp.ClientSession(headers={"Authorization": AUTH}) as session:
        queue = iter(range(calls))

        async def caller() -> None:
            for _ in queue:
                async with session.post(f"{base}/_ringway/calls", json=CALL) as response:
                    response.raise_for_status()

        await asyncio.gather(*(caller() for _ in range(concurrency)))


def failures(log: Path) -> int:
    """Webhook attempts that failed (each a warning in the server's log)."""
    return sum(" WARNING webhook " in line for line in log.read_text().splitlines())


def wait_stored(database: Path, legs: int, timeout: float = 120) -> None:
    """Until the database holds ``legs`` finished legs (read here, not through the server)."""
    wait_until(lambda: ended_legs(database), legs, "legs were stored", timeout)


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300, help="calls counted")
    parser.add_argument("--warm-up", type=int, default=50, help="calls placed first, not counted")
    parser.add_argument("--concurrency", type=int, default=32, help="calls placed at once")
    parser.add_argument("--keep", type=Path, help="a directory to keep callgrind's output in")
    parser.add_argument("--floor", action="store_true", help="count bench/engine_floor.py instead")
    parser.add_argument("--beside-floor", action="store_true",
                        help="count ringway, then its floor, and print their ratio")  # fmt: skip
    args = parser.parse_args()
    if not args.beside_floor:
        count(args, args.floor)
        return
    ours, own = count(args, floor=False)
    floor, floor_own = count(args, floor=True)
    print(f"ringway / its floor, in instructions: {ours / floor:.2f} "
          f"({own / floor_own:.2f} without the idle share)")  # fmt: skip


def count(args: argparse.Namespace, floor: bool) -> tuple[float, float]:
    """Count one server's calls; print, and return, the instructions a call with and without
    the idle server's share."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = (args.keep / ("floor" if floor else "ringway")) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        out = work / "callgrind.out"
        for old in work.glob("callgrind.out*"):
            old.unlink()
        hooks_port, port = free_port(), free_port()
        hooks, ours = f"http://127.0.0.1:{hooks_port}", f"http://127.0.0.1:{port}"
        stack.enter_context(
            process([sys.executable, "-m", "bench.receiver", str(hooks_port)], {}, f"{hooks}/count")
        )
        valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                    f"--callgrind-out-file={out}", sys.executable, "-m"]  # fmt: skip
        database, log = work / "data" / "ringway.db", work / "server.log"
        if floor:
            command = [*valgrind, *uvicorn("bench.engine_floor:app", port)[2:]]
            env, health = {"HOOKS": hooks}, ours
        else:
            command = [*valgrind, "bench.call_instructions", "serve", "--port", str(port),
                       "--data-dir", str(work / "data")]  # fmt: skip
            # No pool of RSA keys filled in the background: under valgrind that takes minutes.
            env = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET,
                   "RINGWAY_KEY_POOL_SIZE": "0"}  # fmt: skip
            health = f"{ours}/_ringway/health"
        server = stack.enter_context(process(command, env, health, log, START_SECONDS))
        if not floor:
            with httpx.Client(base_url=ours, headers={"Authorization": AUTH}, timeout=60) as client:
                CALL["to"] = link_number(client, hooks)

        def wait_done(calls: int) -> None:
            wait_until(lambda: received(hooks), calls * REQUESTS_PER_CALL, "requests arrived")
            if not floor:
                wait_stored(database, calls)

        print(f"warming up with {args.warm_up} calls...", file=sys.stderr)
        asyncio.run(place(ours, args.warm_up, args.concurrency))
        wait_done(args.warm_up)
        time.sleep(6)  # the finished calls leave memory 5 s after they end

        idle_seconds = 5.0
        callgrind(server.pid, True)
        time.sleep(idle_seconds)
        callgrind(server.pid, False)
        subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True,
                       capture_output=True)  # fmt: skip
        idle = instructions(out)

        print(f"counting {args.calls} calls...", file=sys.stderr)
        failed = failures(log)
        callgrind(server.pid, True)
        started, committed = time.monotonic(), 0 if floor else commits(database)
        asyncio.run(place(ours, args.calls, args.concurrency))
        wait_done(args.warm_up + args.calls)
        seconds = time.monotonic() - started
        committed = 0 if floor else (commits(database) - committed) % 2**32
        callgrind(server.pid, False)
        time.sleep(0.5)  # the log's last lines
        failed = failures(log) - failed
        server.terminate()
        server.wait(timeout=120)
        total = instructions(out) - idle

    per_call = total / args.calls
    idle_share = idle / idle_seconds * seconds / args.calls
    what = "the engine's floor (HTTP only)" if floor else "the server"
    target = "" if floor else " (target <= 3.5 M)"
    print(
        f"{args.calls} simulated calls in {seconds:.1f} s under callgrind: "
        f"{total:,} instructions in {what}, {per_call / 1e6:.2f} M a call{target}"
    )
    print(
        f"idle, the server runs {idle / idle_seconds / 1e6:.1f} M instructions a second under "
        f"callgrind: {idle_share / 1e6:.2f} M a call of that time; the calls' own, without "
        f"it: {(per_call - idle_share) / 1e6:.2f} M a call"
    )
    if committed:
        print(
            f"the database took {committed:,} commits meanwhile, {committed / args.calls:.1f} a "
            "call (the journal writes a batch every 50 ms of wall-clock time, and under "
            "valgrind a batch holds fewer calls than at full speed)"
        )
    if failed:
        print(
            f"warning: {failed} webhook attempts failed meanwhile (the machine is too busy "
            "for valgrind's pace): their retries are counted too",
            file=sys.stderr,
        )
    return per_call, per_call - idle_share


if __name__ == "__main__":
    main()
