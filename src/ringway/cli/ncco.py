"""``ringway ncco validate``: check an NCCO against every action's rules, offline."""

from __future__ import annotations

import json
from typing import TextIO

import click


@click.group()
def ncco() -> None:
    """NCCOs, the call-control documents an answer_url returns."""


@ncco.command()
@click.argument("file", type=click.File("r"))
def validate(file: TextIO) -> None:
    """Check an NCCO (a JSON file, or - for standard input); say what is wrong, if anything."""
    from ringway.domain.ncco import NccoInvalid, parse_ncco

    try:
        document = json.load(file)
    except ValueError as exc:
        raise click.ClickException(f"not JSON: {exc}") from None
    try:
        actions = parse_ncco(document)
    except NccoInvalid as exc:
        for reason in exc.reasons:
            click.echo(reason, err=True)
        raise click.ClickException(f"invalid NCCO ({len(exc.reasons)} fault(s))") from None
    names = ", ".join(str(getattr(action, "action", "")) for action in actions)
    click.echo(f"valid: {len(actions)} action(s): {names}")
