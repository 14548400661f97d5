"""Every command and option explains itself in ``--help`` (the CLI reference is generated from
the same text)."""

from __future__ import annotations

from collections.abc import Iterator

import click

from ringway.cli import main


def commands(command: click.Command, path: str = "ringway") -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from commands(sub, f"{path} {name}")


def test_every_command_and_option_has_help() -> None:
    silent = [path for path, command in commands(main) if not command.help]
    silent += [
        f"{path} {param.opts[0]}"
        for path, command in commands(main)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not param.help
    ]
    assert silent == []
