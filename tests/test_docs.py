"""The docs: the README's tutorial runs, the generated reference matches the code, every
command and setting is documented, and links and files are in the repository."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ringway.cli import main
from ringway.config import Settings
from tests.conftest import LiveServer, free_port, run_server

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
_spec = importlib.util.spec_from_file_location("generate", DOCS / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

ALL = list(generate.commands(main))
CLI_REFERENCE = (DOCS / "reference" / "cli.md").read_text()
SETTINGS_REFERENCE = (DOCS / "reference" / "settings.md").read_text()


@pytest.mark.parametrize("page", generate.pages(), ids=lambda page: page.name)
def test_the_generated_reference_matches_the_code(page: Path) -> None:
    assert page.read_text() == generate.regenerated(page.read_text()), (
        f"{page.relative_to(ROOT)} is out of date: run python docs/generate.py"
    )


@pytest.mark.parametrize(("path", "command"), ALL, ids=[path for path, _ in ALL])
def test_every_command_and_option_is_documented(path: str, command: click.Command) -> None:
    assert command.help, f"{path} has no help text"
    assert f"## `{path}`" in CLI_REFERENCE, f"{path} is not in docs/reference/cli.md"
    for param in command.params:
        if isinstance(param, click.Option):
            for name in param.opts + param.secondary_opts:
                if name.startswith("--") and name != "--help":
                    assert f"`{name}`" in CLI_REFERENCE, f"{path} {name} is not documented"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert generate.setting_descriptions()[field], f"{field} has no comment in config.py"
    assert f"`RINGWAY_{field.upper()}`" in SETTINGS_REFERENCE


def documents() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield from sorted(DOCS.rglob("*.md"))
    examples = (ROOT / "examples").rglob("README.md")
    yield from sorted(path for path in examples if "node_modules" not in path.parts)


@pytest.mark.parametrize("document", list(documents()), ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_refer_only_to_what_the_repository_holds(document: Path) -> None:
    text = document.read_text()
    assert "wire-contract" not in text and "§" not in text
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (document.parent / target).exists(), f"{document.name} links to {target}"


def test_the_readme_is_a_front_door() -> None:
    assert len(README.splitlines()) <= 250
    for command in ("make run", "make test"):
        assert f"{command} " in README


def tutorial_blocks() -> list[str]:
    """The shell blocks of the README's tutorial, in order."""
    section = README.split("## Your first call in five minutes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def test_the_tutorial_starts_with_make_run_in_terminal_1() -> None:
    assert tutorial_blocks()[0].strip() == "make run"


@pytest.fixture
def tutorial_server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh server on SQLite, as `make run` starts one (its inventory of numbers full)."""
    database = tmp_path / "ringway.db"
    shutil.copyfile(sqlite_template, database)
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{database}", key_pool_size=2)
    yield from run_server(settings)


def test_the_tutorial_works(tutorial_server: LiveServer, tmp_path: Path) -> None:
    """Terminal 2 of the README's tutorial, copied top to bottom, against a live server (the
    one `make run` would start), with the example application on a free port for 3000."""
    credentials = tutorial_server.account()
    port = free_port()
    script = "\n".join(tutorial_blocks()[1:]).replace("localhost:3000", f"localhost:{port}")
    activate, export = ". .venv/bin/activate\n", "export RINGWAY_API_KEY="
    assert activate in script and export in script
    script = script.replace(activate, "")  # the running Python's bin directory is on the PATH
    script = re.sub(r"export RINGWAY_API_KEY=.*\n", "", script)  # its credentials are given
    started = "python examples/ivr/ivr.py > ivr.log 2>&1 &\n"
    assert started in script
    ready = f"until (: </dev/tcp/127.0.0.1/{port}) 2>/dev/null; do sleep 0.05; done\n"
    script = script.replace(started, started + ready)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
        "RINGWAY_URL": tutorial_server.url,
        "RINGWAY_API_KEY": credentials.api_key,
        "RINGWAY_API_SECRET": credentials.api_secret,
        "PORT": str(port),
        "COLUMNS": "200",
    }
    shell = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = shell.communicate(timeout=120)
    finally:  # the example application too, which the tutorial leaves running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait()
    assert shell.returncode == 0, output
    for line in [
        "Bought 447700900001",
        "Linked 447700900001",
        "action talk 'Welcome to Ringway Tours.",
        "caller keys 1",
        "action connect 447700900999",
        "completed, duration 30 s",
        "delivered to inbound_url",
    ]:
        assert line in output, f"{line!r} not in:\n{output}"
    assert (tmp_path / "tours.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
