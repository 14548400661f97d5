"""``ringway run -- COMMAND``: a fresh server for the length of one command (a test suite, in
any language), on a temporary data directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from ringway.security import secrets
from ringway.testing.server import Credentials, ServerError, environment, start


@click.command(context_settings={"ignore_unknown_options": True,
                                 "allow_interspersed_args": False})  # fmt: skip
@click.option("--seed", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Apply this seed file before COMMAND runs.")  # fmt: skip
@click.option("--tls", is_flag=True, help="Serve HTTPS with a certificate from a local CA.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port to bind [default: a free one].")  # fmt: skip
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(seed: Path | None, tls: bool, port: int, command: tuple[str, ...]) -> None:
    """Start ringway, run COMMAND against it, stop it, and exit with COMMAND's status.

    COMMAND gets RINGWAY_URL, VONAGE_API_KEY, VONAGE_API_SECRET and VONAGE_SIGNATURE_SECRET
    (an account made for the run), RINGWAY_OPERATOR_TOKEN (so that the pytest plugin gives
    each test an account of its own) and, with --tls, RINGWAY_CA, REQUESTS_CA_BUNDLE and
    NODE_EXTRA_CA_CERTS. Put -- before COMMAND: ringway run -- pytest -x.
    """
    if shutil.which(command[0]) is None:
        raise click.ClickException(f"no such command: {command[0]}")
    account = Credentials(secrets.new_api_key(), secrets.new_api_secret(),
                          secrets.new_signature_secret())  # fmt: skip
    first = {"RINGWAY_API_KEY": account.api_key, "RINGWAY_API_SECRET": account.api_secret,
             "RINGWAY_SIGNATURE_SECRET": account.signature_secret}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ringway-run-") as folder:
        try:
            server = start(Path(folder), port=port, tls=tls, seed=seed, env=first)
        except ServerError as exc:
            raise click.ClickException(str(exc)) from None
        env = {**os.environ, **environment(server.url, account, server.ca),
               "RINGWAY_OPERATOR_TOKEN": str(server.operator_token)}  # fmt: skip
        try:
            status = subprocess.call(list(command), env=env)
        except KeyboardInterrupt:
            status = 130
        finally:
            server.stop()
    sys.exit(status)
