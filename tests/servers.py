"""Run ``ringway serve`` as a real subprocess, for tests that need separate processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import free_port

RINGWAY = [sys.executable, "-m", "ringway.cli"]


@contextmanager
def ringway_serve(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start a server and yield its base URL and process; stop it afterwards."""
    port = free_port()
    full_env = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        [*RINGWAY, "serve", "--port", str(port), "--data-dir", str(data_dir), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    scheme = "https" if "--tls" in args else "http"
    url = f"{scheme}://127.0.0.1:{port}"
    verify: bool | str = str(data_dir / "tls" / "ca.pem") if scheme == "https" else True
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"ringway serve exited: {process.stdout.read() if process.stdout else ''}"
                )
            try:
                if httpx.get(f"{url}/_ringway/health", verify=verify).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ringway serve did not answer in time")
            time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
