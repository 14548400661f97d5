"""A ringway server for tests: one started here (``ringway serve`` in a process of its own, on
a free port and a data directory of its own), or one already running elsewhere."""

from __future__ import annotations

import os
import re
import secrets
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

STARTUP_SECONDS = 30.0
LISTENING = re.compile(r"^ringway listening on (\S+)$", re.MULTILINE)


class ServerError(Exception):
    """The server could not be started or reached (the message says why)."""


@dataclass
class Credentials:
    api_key: str
    api_secret: str
    signature_secret: str


@dataclass
class TestServer:
    """Where the server is (``url``), the CA to trust when it serves TLS, and the operator
    token that lets the kit make accounts on it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    url: str
    operator_token: str | None
    ca: Path | None = None
    data_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log: Path | None = None
    _http: httpx.Client | None = field(default=None, repr=False)

    @property
    def verify(self) -> bool | str:
        """The CA to trust; ``False`` over plain HTTP (loading the system's CAs for nothing
        would cost ~30 ms a client)."""
        return str(self.ca) if self.ca else self.url.startswith("https://")

    def new_account(self, **chosen: str) -> Credentials:
        """A fresh account, through ``POST /_ringway/accounts``."""
        if not self.operator_token:
            raise ServerError(
                f"no operator token for {self.url}: give --ringway-operator-token (or set "
                "RINGWAY_OPERATOR_TOKEN) with the token the server was started with"
            )
        if self._http is None:
            self._http = httpx.Client(verify=_context(self.verify), timeout=30)
        operator = {"Authorization": f"Bearer {self.operator_token}"}
        answer = self._http.post(f"{self.url}/_ringway/accounts", json=chosen, headers=operator)
        if answer.status_code != 201:
            raise ServerError(f"{self.url} refused to make an account: {answer.text}")
        body: dict[str, Any] = answer.json()
        return Credentials(body["api_key"], body["api_secret"], body["signature_secret"])

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def environment(url: str, credentials: Credentials, ca: Path | None) -> dict[str, str]:
    """What a program needs in its environment to use ``credentials`` on the server at ``url``
    (and to trust its CA, when it serves TLS)."""
    env = {"VONAGE_API_KEY": credentials.api_key, "VONAGE_API_SECRET": credentials.api_secret,
           "VONAGE_SIGNATURE_SECRET": credentials.signature_secret, "RINGWAY_URL": url}  # fmt: skip
    if ca is not None:
        env |= {"RINGWAY_CA": str(ca), "REQUESTS_CA_BUNDLE": str(ca),
                "NODE_EXTRA_CA_CERTS": str(ca)}  # fmt: skip
    return env


def new_operator_token() -> str:
    """A random operator token that is safe as a command-line argument (never starts with ``-``)."""
    return secrets.token_hex(24)


def start(
    data_dir: Path,
    *,
    port: int = 0,
    tls: bool = False,
    database_url: str | None = None,
    seed: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = STARTUP_SECONDS,
) -> TestServer:
    """Start ``ringway serve`` (on a free port unless ``port`` is given) and return once it
    answers its health check (an error after ``timeout`` seconds, twice over: to listen, then
    to answer)."""
    token = new_operator_token()
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "ringway.cli", "serve", "--port", str(port),
               "--data-dir", str(data_dir)]  # fmt: skip
    if tls:
        command.append("--tls")
    if database_url:
        command += ["--database-url", database_url]
    if seed is not None:
        command += ["--seed", str(seed)]
    log = data_dir / "ringway.log"
    full_env = {**os.environ, **(env or {}), "RINGWAY_OPERATOR_TOKEN": token}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=full_env, stdout=sink, stderr=subprocess.STDOUT)
    ca = data_dir / "tls" / "ca.pem" if tls else None
    server = TestServer("", token, ca, data_dir, process, log)
    try:
        server.url = listening_url(process, log, timeout)
        wait_until_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def listening_url(
    process: subprocess.Popen[bytes], log: Path, timeout: float = STARTUP_SECONDS
) -> str:
    """The URL ``ringway serve`` says it listens on, in its output ``log``, once it says so."""
    deadline = time.monotonic() + timeout
    while True:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            return found[1]
        if process.poll() is not None:
            raise ServerError(f"ringway serve exited ({process.returncode}): {_tail_of(log)}")
        if time.monotonic() > deadline:
            raise ServerError(f"ringway serve did not say where it listens: {_tail_of(log)}")
        time.sleep(0.02)


def wait_until_ready(server: TestServer, timeout: float = STARTUP_SECONDS) -> None:
    """Poll the health check until it answers; a server that exits or never answers is an
    error saying what its log says."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process is not None and server.process.poll() is not None:
            raise ServerError(
                f"ringway serve exited ({server.process.returncode}): {_tail(server)}"
            )
        try:
            verify = server.verify if server.ca is None or server.ca.exists() else False
            if httpx.get(f"{server.url}/_ringway/health", verify=_context(verify),
                         timeout=2).status_code == 200:  # fmt: skip
                return
        except httpx.TransportError as exc:
            reason = str(exc) or exc.__class__.__name__
        else:
            reason = "its health check did not answer 200"
        if time.monotonic() > deadline or server.process is None:
            raise ServerError(f"cannot reach ringway at {server.url}: {reason}")
        time.sleep(0.05)


def _context(verify: bool | str) -> Any:
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


def _tail(server: TestServer) -> str:
    return "" if server.log is None else _tail_of(server.log)


def _tail_of(log: Path, lines: int = 20) -> str:
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
