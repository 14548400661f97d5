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
