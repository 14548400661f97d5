"""The reference pages' generated parts: ``python docs/generate.py`` renders them from the code.

A page holds ``<!-- generated: NAME -->`` … ``<!-- end of generated -->``; this script rewrites
what lies between with the markdown below, and tests/test_docs.py fails when a committed page
differs from it, so the CLI, settings and endpoint references cannot drift from the code.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from pydantic_core import PydanticUndefined

from ringway.api.app import ROUTES
from ringway.api.openapi import openapi_document
from ringway.cli import main
from ringway.config import Settings


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def commands(group: click.Group, prefix: str = "ringway") -> Iterator[tuple[str, click.Command]]:
    """Every command under ``group``, depth first, with its full name."""
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


def _option_row(param: click.Option, ctx: click.Context) -> str:
    names = ", ".join(f"`{name}`" for name in param.opts + param.secondary_opts)
    if param.envvar:
        names += f" (`{param.envvar}`)"
    record = param.get_help_record(ctx)
    help_text = record[1] if record else ""
    return f"| {names} | {_cell(help_text)} |"


def cli_reference() -> str:
    """Every command: its usage, help and options, as ``ringway CMD --help`` prints them."""
    out: list[str] = []
    for path, command in commands(main):
        ctx = click.Context(command, info_name=path)
        out += [f"## `{path}`", "", "```", " ".join([path, *command.collect_usage_pieces(ctx)])]
        out += ["```", "", inspect.cleandoc(command.help or ""), ""]
        options = [p for p in command.params if isinstance(p, click.Option)]
        if options:
            out += ["| option | meaning |", "| --- | --- |"]
            out += [_option_row(option, ctx) for option in options]
            out.append("")
    return "\n".join(out)


def setting_descriptions() -> dict[str, str]:
    """Each setting's comment in ``config.py``; fields under one comment share it."""
    described: dict[str, str] = {}
    comment: list[str] = []
    last = ""
    for line in inspect.getsource(Settings).splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
            continue
        field = re.match(r"(\w+): ", stripped)
        if field and field[1] in Settings.model_fields:
            last = " ".join(comment) or last
            described[field[1]] = last
        comment = []
    return described


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    if field.default_factory is not None:
        return "computed"
    value: Any = field.default
    if value is None or value is PydanticUndefined:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`" if str(value) else "empty"


def settings_reference() -> str:
    """Every field of :class:`Settings`: its variable, default and meaning; fields that share
    a comment share a row."""
    rows: list[tuple[list[str], str]] = []
    for name, meaning in setting_descriptions().items():
        if rows and rows[-1][1] == meaning:
            rows[-1][0].append(name)
        else:
            rows.append(([name], meaning))
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for names, meaning in rows:
        variables = ", ".join(f"`RINGWAY_{name.upper()}`" for name in names)
        defaults = ", ".join(dict.fromkeys(_default(name) for name in names))
        lines.append(f"| {variables} | {defaults} | {_cell(meaning)} |")
    return "\n".join(lines)


def endpoints_reference() -> str:
    """Every operation of the OpenAPI document ringway serves at /_ringway/openapi.json, under
    its tag."""
    by_tag: dict[str, list[str]] = {}
    for path, operations in openapi_document(ROUTES)["paths"].items():
        for method, operation in operations.items():
            summary = _cell(operation["summary"])
            row = f"| `{method.upper()}` | `{path}` | {summary} |"
            by_tag.setdefault(operation["tags"][0], []).append(row)
    out: list[str] = []
    for tag, rows in by_tag.items():
        out += [f"### {tag}", "", "| method | path | what it does |", "| --- | --- | --- |"]
        out += [*rows, ""]
    return "\n".join(out).rstrip()


def voices_reference() -> str:
    """The talk languages and the espeak-ng voice speaking each."""
    from ringway.engine.speech import APPROXIMATE, VOICES

    rows = [f"| `{code}` | `{voice}`{' (the nearest it has)' if code in APPROXIMATE else ''} |"
            for code, voice in VOICES.items()]  # fmt: skip
    return "\n".join(["| `language` | espeak-ng voice |", "| --- | --- |", *rows])


GENERATED: dict[str, Callable[[], str]] = {
    "cli": cli_reference,
    "settings": settings_reference,
    "endpoints": endpoints_reference,
    "voices": voices_reference,
}


DOCS = Path(__file__).resolve().parent
MARKED = re.compile(r"(<!-- generated: (\w+) -->\n).*?(<!-- end of generated -->)", re.DOTALL)


def regenerated(page: str) -> str:
    """``page`` with its generated parts rendered afresh."""
    return MARKED.sub(lambda m: f"{m[1]}\n{GENERATED[m[2]]()}\n\n{m[3]}", page)


def pages() -> list[Path]:
    """The pages that hold generated parts."""
    return sorted(p for p in DOCS.rglob("*.md") if "<!-- generated: " in p.read_text())


if __name__ == "__main__":
    for path in pages():
        path.write_text(regenerated(path.read_text()))
