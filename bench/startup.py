"""Start-up: how long ``ringway`` commands take to return, and ``ringway serve`` to answer.

Wall time, median of several runs, each beside the interpreter's own start (``python -c pass``)
measured in the same run: ``ringway --help``, ``ringway apps list --help``, an operator command
on the database (``ringway accounts list``), a client command over HTTP (``ringway apps list``),
and ``ringway serve`` on an empty data directory until ``/_ringway/health`` answers.
Targets: ``--help`` in 0.3 s, health in 1.0 s. Run it alone with ``python bench/startup.py``.
Every command runs with its bytecode compiled beforehand, as an installed ringway's is (in a
cache of the run's own, even where PYTHONDONTWRITEBYTECODE is set); ``--no-bytecode`` measures
starts that compile ringway's sources each time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET = "be9c0002", "BenchSecret00002"
RINGWAY = [sys.executable, "-m", "ringway.cli"]
QUIET: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user and system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def cpu_of(pid: int) -> float:
    """CPU seconds (user and system) the main thread of a running process has used so far (not
    the server's key pool, which starts generating keys in threads of its own at low priority)."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(data_dir: Path, env: dict[str, str]) -> Iterator[tuple[str, float, float]]:
    """``ringway serve`` on ``data_dir`` until the block ends, once its health check answers:
    its URL, the wall seconds from its start until that answer and the CPU seconds it used."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*RINGWAY, "serve", "--port", str(port), "--data-dir", str(data_dir)]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=ROOT, **QUIET)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_ringway/health", timeout=5) as answer:
                    answer.read()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.perf_counter() - start > 30:
                    raise RuntimeError("ringway serve did not start") from None
                time.sleep(0.005)
        yield url, time.perf_counter() - start, cpu_of(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def serve_to_health(data_dir: Path, env: dict[str, str]) -> tuple[float, float]:
    with serving(data_dir, env) as (_, wall, cpu):
        return wall, cpu


def compiled(env: dict[str, str], cache: Path) -> dict[str, str]:
    """``env`` for commands that find ringway's bytecode in ``cache``, compiled into it now."""
    import ringway

    env = {name: value for name, value in env.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    package = str(Path(ringway.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], env=env, check=True)
    return env


def measure(runs: int, bytecode: bool = True) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each start, over ``runs`` rounds that take turns (so
    drift hits all)."""
    env = {**os.environ, "RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET}
    times: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = compiled(env, work / "pycache") if bytecode else env
        with serving(work / "data", env) as (url, _, _):
            client_env = {**env, "RINGWAY_URL": url}
            commands: dict[str, Callable[[int], tuple[float, float]]] = {
                "python -c pass": lambda _: timed([sys.executable, "-c", "pass"], env),
                "ringway --help": lambda _: timed([*RINGWAY, "--help"], env),
                "ringway apps list --help": lambda _: timed(
                    [*RINGWAY, "apps", "list", "--help"], env
                ),
                "ringway accounts list": lambda _: timed(
                    [*RINGWAY, "accounts", "list", "--data-dir", str(work / "data")], env
                ),
                "ringway apps list": lambda _: timed([*RINGWAY, "apps", "list"], client_env),
                "serve to health (empty dir)": lambda n: serve_to_health(work / f"empty{n}", env),
            }
            for n in range(runs):
                for name, run in commands.items():
                    times.setdefault(name, []).append(run(n))
    return {
        name: (statistics.median(w for w, _ in pairs), statistics.median(c for _, c in pairs))
        for name, pairs in times.items()
    }


def report(runs: int, bytecode: bool = True) -> dict[str, tuple[float, float]]:
    """Print the medians; CPU seconds move less than wall ones on a busy machine."""
    medians = measure(runs, bytecode)
    floor = medians["python -c pass"][0]
    compiling = "" if bytecode else ", compiling ringway's sources each time"
    print(f"\nstart-up, median of {runs} runs{compiling} (ratio: wall time to the "
          "interpreter's own start)")  # fmt: skip
    print(f"{'command':<30}{'wall s':>8}{'CPU s':>8}{'ratio':>8}")
    for name, (wall, cpu) in medians.items():
        print(f"{name:<30}{wall:>8.3f}{cpu:>8.3f}{wall / floor:>8.1f}")
    print("targets: ringway --help <= 0.3 s; serve to health <= 1.0 s")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    rows = {name: {"wall": wall, "cpu": cpu} for name, (wall, cpu) in medians.items()}
    (out / "startup.json").write_text(json.dumps(rows, indent=2))
    return medians


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-bytecode", dest="bytecode", action="store_false",
                        help="Compile ringway's sources at every start.")  # fmt: skip
    args = parser.parse_args()
    report(args.runs, args.bytecode)
