"""The ``ringway`` command."""

from __future__ import annotations

import click

from ringway import __version__
from ringway.cli.accounts import accounts
from ringway.cli.apps import apps
from ringway.cli.calls import calls
from ringway.cli.completion import completion
from ringway.cli.faults import faults
from ringway.cli.jwt import jwt_group
from ringway.cli.login import login
from ringway.cli.messages import deliveries, messages, recipients
from ringway.cli.ncco import ncco
from ringway.cli.numbers import numbers
from ringway.cli.phones import phones
from ringway.cli.reset import reset
from ringway.cli.run import run
from ringway.cli.seed import seed
from ringway.cli.serve import serve
from ringway.cli.vonage import vonage


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ringway")
def main() -> None:
    """ringway: a self-hosted, wire-compatible communications-applications platform."""


main.add_command(serve)
main.add_command(run)
main.add_command(accounts)
main.add_command(apps)
main.add_command(login)
main.add_command(jwt_group)
main.add_command(ncco)
main.add_command(numbers)
main.add_command(calls)
main.add_command(phones)
main.add_command(messages)
main.add_command(recipients)
main.add_command(deliveries)
main.add_command(reset)
main.add_command(seed)
main.add_command(faults)
main.add_command(vonage)
main.add_command(completion)
