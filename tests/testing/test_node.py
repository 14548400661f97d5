"""``node_with_packages``: npm install runs once, only when the package is missing, and a machine
without Node.js skips the test. ``node`` and ``npm`` here are stand-in scripts on the PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringway.testing.node import node_with_packages


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH of a ``node`` and an ``npm`` whose ``install`` installs package ``left-pad`` in
    the folder it runs in, and counts its runs in ``npm-runs``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, script in {
        "node": "#!/bin/sh\nexit 0\n",
        "npm": '#!/bin/sh\necho run >> "$NPM_RUNS"\n'
        '[ "$1" = install ] && mkdir -p node_modules/left-pad\n',
    }.items():
        (folder / name).write_text(script)
        (folder / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")  # theirs first; the shell's tools
    monkeypatch.setenv("NPM_RUNS", str(tmp_path / "npm-runs"))
    return folder


def test_the_packages_are_installed_once(bin_dir: Path, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    assert node_with_packages(app, "left-pad") == str(bin_dir / "node")
    assert (app / "node_modules" / "left-pad").is_dir()
    node_with_packages(app, "left-pad")
    assert (tmp_path / "npm-runs").read_text().splitlines() == ["run"]


def test_without_node_the_test_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match=r"Node\.js and npm are not installed"):
        node_with_packages(tmp_path, "left-pad")
