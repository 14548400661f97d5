"""``ringway seed FILE``: apply a seed file directly on the database (as ``serve --seed``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ringway.cli.accounts import open_platform
from ringway.cli.options import json_option, print_json, print_table, storage_options

if TYPE_CHECKING:
    from ringway.services.platform import Platform
    from ringway.services.seed import SeedResult


@click.command()
@storage_options
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def seed(data_dir: Path, database_url: str | None, file: Path, as_json: bool) -> None:
    """Apply a seed file (TOML or JSON): accounts, applications, numbers, phones, recipients.
    Idempotent; a bad file changes nothing."""
    with open_platform(data_dir, database_url) as platform:
        result = seed_or_fail(platform, file)
    if as_json:
        print_json([{**vars(item), "private_key_file": item.private_key_file and
                     str(item.private_key_file)} for item in result.applied])  # fmt: skip
        return
    click.echo(f"Applied {file}: {result.summary()}")
    print_table(
        ["kind", "account", "name", "action", "private key"],
        [[i.kind, i.account, i.name, i.action, key_note(i.private_key_file, i.key_written)]
         for i in result.applied],
    )  # fmt: skip


def seed_or_fail(platform: Platform, file: Path) -> SeedResult:
    from ringway.domain.seed import SeedError
    from ringway.services.seed import apply_seed

    try:
        return apply_seed(platform, file)
    except SeedError as exc:
        raise click.ClickException(f"the seed file cannot be applied:\n{exc}") from None


def key_note(path: Path | None, written: bool) -> str:
    if path is None:
        return ""
    return f"written to {path}" if written else str(path)
