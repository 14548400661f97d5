"""Node.js for tests of Node applications: ``node``, once a folder's npm packages are installed."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

INSTALL_SECONDS = 600


def node_with_packages(folder: Path, installed: str) -> str:
    """The ``node`` command, once the packages of ``folder``'s package.json are installed:
    ``npm install`` runs there when ``node_modules/<installed>`` is missing, one process at a
    time (pytest-xdist workers may get here at once). Skips the test without Node.js and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js and npm are not installed on this machine")
    folder = folder.resolve()
    name = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"ringway-npm-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "node_modules" / installed).exists():
            subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=folder, check=True, capture_output=True,
                           timeout=INSTALL_SECONDS)  # fmt: skip
    return node
