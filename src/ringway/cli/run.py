"""``ringway run -- COMMAND``: a fresh server for the length of one command (a test suite, in
any language), on a temporary data directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ringway.cli.accounts import open_platform
from ringway.cli.seed import seed_or_fail
from ringway.security import secrets

if TYPE_CHECKING:
    from ringway.testing.server import Credentials


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
    (an account made for the run, or the seed file's first), RINGWAY_OPERATOR_TOKEN (so that
    the pytest plugin gives each test an account of its own), for each seeded application
    RINGWAY_APP_<NAME>_ID and RINGWAY_APP_<NAME>_PRIVATE_KEY_FILE, and, with --tls,
    RINGWAY_CA, REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS. Put -- before COMMAND:
    ringway run -- pytest -x.
    """
    from ringway.testing.server import Credentials, ServerError, environment, start

    if shutil.which(command[0]) is None:
        raise click.ClickException(f"no such command: {command[0]}")
    account = Credentials(secrets.new_api_key(), secrets.new_api_secret(),
                          secrets.new_signature_secret())  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ringway-run-") as folder:
        apps: dict[str, str] = {}
        if seed is not None:
            account, apps = _seed(Path(folder), seed, account)
        first = {"RINGWAY_API_KEY": account.api_key, "RINGWAY_API_SECRET": account.api_secret,
                 "RINGWAY_SIGNATURE_SECRET": account.signature_secret}  # fmt: skip
        try:
            server = start(Path(folder), port=port, tls=tls, env=first)
        except ServerError as exc:
            raise click.ClickException(str(exc)) from None
        env = {**os.environ, **environment(server.url, account, server.ca), **apps,
               "RINGWAY_OPERATOR_TOKEN": str(server.operator_token)}  # fmt: skip
        try:
            status = subprocess.call(list(command), env=env)
        except KeyboardInterrupt:
            status = 130
        finally:
            server.stop()
    sys.exit(status)


def _seed(data_dir: Path, file: Path, account: Credentials) -> tuple[Credentials, dict[str, str]]:
    """Apply the seed file to the run's database before the server starts; the account to
    hand COMMAND (the file's first, if it has one) and the seeded applications' variables."""
    from ringway.services.seed import load_seed
    from ringway.testing.server import Credentials

    with open_platform(data_dir, None, create=True) as platform:
        result = seed_or_fail(platform, file)
        accounts = load_seed(file).accounts
        if accounts:
            stored = platform.accounts.get(accounts[0].api_key)
            account = Credentials(stored.api_key, accounts[0].api_secret, stored.signature_secret)
        env = {}
        for item in result.applications:
            app = platform.applications.find(item.name)
            name = re.sub(r"[^A-Z0-9]+", "_", app.name.upper()).strip("_") if app else ""
            env[f"RINGWAY_APP_{name}_ID"] = item.name
            if item.private_key_file is not None:
                env[f"RINGWAY_APP_{name}_PRIVATE_KEY_FILE"] = str(item.private_key_file)
    return account, env
