"""Run ``ringway serve`` as a real subprocess, for tests that need separate processes."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ringway.testing.server import listening_url

RINGWAY = [sys.executable, "-m", "ringway.cli"]


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def ringway_serve(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Start a server on a free port (``--port 0``: it says which), yield its URL, process and
    output file; stop it afterwards."""
    full_env = {**os.environ, **(env or {})}
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*RINGWAY, "serve", "--port", "0", "--data-dir", str(data_dir), *args],
            env=full_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    ca = data_dir / "tls" / "ca.pem"
    try:
        url = listening_url(process, log)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ringway serve exited: {log.read_text()}")
            try:
                verify = ssl.create_default_context(cafile=str(ca)) if ca.exists() else True
                if httpx.get(f"{url}/_ringway/health", verify=verify).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ringway serve did not answer in time")
            time.sleep(0.05)
        yield Served(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
