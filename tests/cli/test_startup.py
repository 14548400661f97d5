"""A command imports only what it uses, so that ``ringway --help`` starts at once: which modules
a fresh interpreter holds after a command (bench/startup.py measures the time)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

SERVER = {"sqlalchemy", "alembic", "starlette", "uvicorn", "aiohttp", "ringway.engine"}
CLIENT = {"httpx", "pydantic", "ringway.client"}
# Run a command as ``ringway ARGS…`` does, then name the modules it imported of those given.
RUN = """
import sys
from ringway.cli import main
try:
    main(sys.argv[2:], prog_name="ringway", standalone_mode=False)
except Exception:
    pass
print(" ".join(name for name in sys.argv[1].split() if name in sys.modules), file=sys.stderr)
"""


def imported(*args: str) -> set[str]:
    """Which of the server's and the client's modules ``ringway ARGS…`` imports."""
    heavy = " ".join(SERVER | CLIENT | {"rich"})
    ran = subprocess.run([sys.executable, "-c", RUN, heavy, *args], capture_output=True,
                         text=True, check=True)  # fmt: skip
    return set(ran.stderr.split())


@pytest.mark.parametrize("args", [["--help"], ["apps", "list", "--help"], ["serve", "--help"]])
def test_help_imports_neither_server_nor_client(args: list[str]) -> None:
    assert imported(*args) == set()


def test_a_client_command_imports_the_client_only() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing answers: the command fails, after its imports
    found = imported("apps", "list", "--url", url, "--api-key", "k", "--api-secret", "secret")
    assert "ringway.client" in found
    assert not found & SERVER


def test_an_operator_command_on_an_up_to_date_database_skips_the_migrations(
    sqlite_template: Path, tmp_path: Path
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "ringway.db")
    found = imported("accounts", "list", "--data-dir", str(tmp_path))
    assert "sqlalchemy" in found
    assert not found & {"alembic", "starlette", "uvicorn", "ringway.client"}


# Run ``ringway serve ARGS…`` until its health check answers, then name the modules it imported
# of those given (on a line of its own among the server's log), and stop.
SERVE = """
import os, sys, threading, time, urllib.request
from ringway.cli import main

def answered():
    while True:
        try:
            urllib.request.urlopen(sys.argv[2] + "/_ringway/health", timeout=5).read()
            break
        except OSError:
            time.sleep(0.01)
    found = " ".join(name for name in sys.argv[1].split() if name in sys.modules)
    print("imported:", found, file=sys.stderr, flush=True)
    os._exit(0)

threading.Thread(target=answered, daemon=True).start()
main(sys.argv[3:], prog_name="ringway", standalone_mode=False)
"""
FIRST_USE = {"aiohttp", "yarl", "jinja2", "jwt", "ringway.engine.websocket"}
NOT_ON_SQLITE = {"sqlalchemy.dialects.postgresql"}


def test_serve_answers_before_importing_what_webhooks_and_pages_use(tmp_path: Path) -> None:
    """The webhook client (aiohttp), the dashboard's templates (Jinja) and PyJWT are imported
    when the first webhook, page or token needs them, not before the server's first answer; a
    SQLite server never loads SQLAlchemy's PostgreSQL dialect."""
    port = free_port()
    watched = FIRST_USE | NOT_ON_SQLITE | {"uvicorn", "sqlalchemy"}
    ran = subprocess.run(
        [sys.executable, "-c", SERVE, " ".join(watched),
         f"http://127.0.0.1:{port}", "serve", "--port", str(port), "--data-dir", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    line = next(line for line in ran.stderr.splitlines() if line.startswith("imported:"))
    assert set(line.split()[1:]) == {"uvicorn", "sqlalchemy"}
