"""The README documents every command, option and setting (it fails when one is added alone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ringway.cli import main
from ringway.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def commands(group: click.Group, prefix: str = "ringway") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


ALL = list(commands(main))


@pytest.mark.parametrize(("path", "command"), ALL, ids=[path for path, _ in ALL])
def test_every_command_and_option_is_in_the_readme(path: str, command: click.Command) -> None:
    assert path.split(" ")[-1] in README, f"{path} is not documented"
    for param in command.params:
        if isinstance(param, click.Option):
            for name in param.opts + param.secondary_opts:
                if name.startswith("--") and name != "--help":
                    assert name in README, f"{path} {name} is not documented"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(field: str) -> None:
    assert f"RINGWAY_{field.upper()}" in README
