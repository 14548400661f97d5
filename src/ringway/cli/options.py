"""Options and output helpers shared by the commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ringway.config import Settings

F = TypeVar("F", bound=Callable[..., Any])
# Columns shown whole, whatever the width: what a user copies into the next command.
WHOLE = {"id", "uuid", "message_uuid", "app_id", "delivery", "api_key", "msisdn", "address",
         "name", "field", "value"}  # fmt: skip
NARROWEST = 4  # a trimmed column keeps this many cells ("ab…" and a space)


def storage_options(fn: F) -> F:
    """``--data-dir`` and ``--database-url``, for commands that open the database directly."""
    fn = click.option(
        "--database-url",
        envvar="RINGWAY_DATABASE_URL",
        help="Database URL, e.g. postgresql://user@host/db [default: SQLite in the data dir].",
    )(fn)
    return click.option(
        "--data-dir",
        envvar="RINGWAY_DATA_DIR",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(".ringway"),
        show_default=True,
        help="Where the SQLite database and TLS files live.",
    )(fn)


def settings_from(data_dir: Path, database_url: str | None, **extra: Any) -> Settings:
    from ringway.config import Settings

    return Settings(data_dir=data_dir, database_url=database_url, **extra)


def person_options(who: str) -> Callable[[F], F]:
    """``--dtmf``, ``--say``, ``--says`` and ``--hangup-after``: the script of a simulated
    person."""

    def decorate(fn: F) -> F:
        fn = click.option(
            "--says",
            multiple=True,
            callback=_says,
            metavar="SECONDS:WORDS",
            help=f"What the {who} says, unasked, that many seconds after the answer; repeat.",
        )(fn)
        fn = click.option(
            "--hangup-after",
            type=click.FloatRange(min=0),
            help=f"Seconds after the answer when the {who} hangs up [default: never].",
        )(fn)
        fn = click.option(
            "--say", multiple=True, help=f"What the {who} says at a speech input; repeat."
        )(fn)
        return click.option(
            "--dtmf",
            multiple=True,
            help=f"Keys the {who} presses at an input, e.g. 1234#; repeat for each later input.",
        )(fn)

    return decorate


def _says(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> list[Any]:
    from ringway.domain.simulation import says_from_lines

    said = says_from_lines("\n".join(value))
    if any("at" not in s for s in said):
        raise click.BadParameter("give each as SECONDS:WORDS, e.g. 2:Hello there")
    return said


def page_size_option(noun: str) -> Callable[[F], F]:
    """--page-size for a list that shows the newest ``noun`` (1 to 100, 20 by default)."""
    return click.option("--page-size", type=click.IntRange(1, 100), default=20, show_default=True,
                        help=f"How many {noun} to show.")  # fmt: skip


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(fn)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def print_table(columns: list[str], rows: list[list[Any]]) -> None:
    """A table whose lines never wrap: ids (the ``WHOLE`` columns) are shown whole; on a
    terminal too narrow for everything the other columns are trimmed (…); when stdout is no
    terminal (a pipe, a file) nothing is trimmed."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    natural = [max(cell_len(text) for text in [column, *(row[i] for row in cells)])
               for i, column in enumerate(columns)]  # fmt: skip
    console = Console()
    frame = 3 * len(columns) + 1  # "│ " before each column, " " after, and the last "│"
    widths = natural
    if console.is_terminal:
        whole = [i for i, column in enumerate(columns) if column in WHOLE]
        widths = _fit(natural, whole, console.width - frame)
    table = Table(header_style="bold")
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column, width=width, no_wrap=True, overflow="ellipsis")
    for row in cells:
        table.add_row(*row)
    Console(width=max(console.width, sum(widths) + frame)).print(table)


def _fit(natural: Sequence[int], whole: list[int], room: int) -> list[int]:
    """Column widths within ``room`` cells: the ``whole`` columns keep their width, the others
    share what is left, the narrowest first, none below ``NARROWEST`` (so the table may still
    be wider than ``room``, but never by cutting an id)."""
    widths = list(natural)
    others = sorted((i for i in range(len(natural)) if i not in whole), key=lambda i: natural[i])
    left = room - sum(natural[i] for i in whole)
    for n, i in enumerate(others):
        widths[i] = min(natural[i], max(NARROWEST, left // (len(others) - n)))
        left -= widths[i]
    return widths


def print_fields(fields: dict[str, Any], as_json: bool) -> None:
    """One record: JSON for scripts, or a two-column table."""
    if as_json:
        print_json(fields)
    else:
        print_table(["field", "value"], [[key, value] for key, value in fields.items()])


def print_parties(
    found: dict[str, Any], key: str, columns: list[str], cell: Callable[[Any], Any] = lambda v: v
) -> None:
    """Simulated parties (phones, recipients): each address with a behaviour of its own, then
    the default that any other address has."""

    def cells(party: dict[str, Any]) -> list[Any]:
        return [cell(party.get(column)) for column in columns]

    rows = [[address, *cells(party)] for address, party in sorted(found[key].items())]
    print_table(["address", *columns], [*rows, ["(any other)", *cells(found["default"])]])
