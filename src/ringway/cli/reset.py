"""``ringway reset``: wipe the account's data, keeping its credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ringway.cli.login import client_options

if TYPE_CHECKING:
    from ringway.client import Client


@click.command()
@client_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(client: Client, yes: bool) -> None:
    """Wipe everything of the account but its credentials: applications, numbers (back on
    sale), calls and recordings, messages, deliveries, conversations, phones, recipients."""
    if not yes:
        click.confirm("Wipe everything of this account but its credentials?", abort=True)
    client.reset()
    click.echo("Reset the account: only its credentials are left")
