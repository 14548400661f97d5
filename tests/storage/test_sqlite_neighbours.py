"""Processes that open a SQLite database beside a running server never disturb its locks.

SQLite keeps the WAL index in the ``-shm`` file, mapped into every process that uses the
database, and decides who may rebuild it by POSIX locks; closing any descriptor of that file
drops the process's locks on it, and the next process to open the database then rebuilds the
index under a server that still has it mapped (SIGBUS).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.servers import RINGWAY, ringway_serve

KEY, SECRET = "5afe0001", "NeighbourSecret1"
ENV = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET}
# One interpreter running ``ringway accounts list`` again and again: each run opens the
# database, migrates it, reads and closes it, as a separate process of the command does.
REPEAT_CLI = """
import sys
from click.testing import CliRunner
from ringway.cli import main
for _ in range(int(sys.argv[2])):
    result = CliRunner().invoke(main, ["accounts", "list", "--json", "--data-dir", sys.argv[1]])
    assert result.exit_code == 0, result.output
"""


def test_operator_commands_beside_a_busy_server_never_crash_it(tmp_path: Path) -> None:
    with ringway_serve(tmp_path, env=ENV) as served:
        stop, answers, errors = threading.Event(), [], []

        def load() -> None:
            with httpx.Client(base_url=served.url, auth=(KEY, SECRET), timeout=10) as client:
                while not stop.is_set():
                    try:
                        made = client.post("/v2/applications", json={"name": "busy"})
                        answers.append(made.status_code)
                        answers.append(client.get(f"/v2/applications/{made.json()['id']}")
                                       .status_code)  # fmt: skip
                    except httpx.HTTPError as exc:
                        errors.append(exc)
                        return

        workers = [threading.Thread(target=load) for _ in range(2)]
        for worker in workers:
            worker.start()
        try:
            for command in (
                [sys.executable, "-c", REPEAT_CLI, str(tmp_path), "25"],
                [*RINGWAY, "accounts", "list", "--data-dir", str(tmp_path)],  # as typed
            ):
                ran = subprocess.run(command, capture_output=True, timeout=120)
                assert ran.returncode == 0, ran.stderr.decode()
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=15)
        assert served.process.poll() is None, (
            f"the server died ({signal.Signals(-served.process.returncode).name})"
            if (served.process.returncode or 0) < 0
            else f"the server exited: {served.output()}"
        )
        assert not errors, errors
        assert answers and set(answers) <= {200, 201}, set(answers)
        assert httpx.get(f"{served.url}/_ringway/health").status_code == 200
