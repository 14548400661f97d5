"""``ringway vonage ARGS…``: the installed Vonage CLI, sent to this ringway."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import click

from ringway.cli.login import Target, target_options

PRELOAD = Path(__file__).with_name("vonage_redirect.cjs")


@click.command(context_settings={"ignore_unknown_options": True,
                                 "allow_interspersed_args": False})  # fmt: skip
@target_options
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def vonage(target: Target, args: tuple[str, ...]) -> None:
    """Run the Vonage CLI (npm @vonage/cli, `vonage` on the PATH) with ARGS against ringway:
    its requests to the Vonage hosts (under nexmo.com and vonage.com) go to ringway, as the
    account of `ringway login` or the options; e.g. ringway vonage apps:create demo."""
    command = shutil.which("vonage")
    if command is None:
        raise click.ClickException(
            "the Vonage CLI is not installed: npm install --global @vonage/cli"
        )
    preload = f'--require "{PRELOAD}"'
    env = {
        **os.environ,
        "RINGWAY_VONAGE_URL": target.url,
        "VONAGE_API_KEY": target.api_key,
        "VONAGE_API_SECRET": target.api_secret,
        "NODE_OPTIONS": f"{os.environ.get('NODE_OPTIONS', '')} {preload}".strip(),
    }
    if target.ca_file:
        env["NODE_EXTRA_CA_CERTS"] = str(Path(target.ca_file).resolve())
    raise SystemExit(subprocess.call([command, *args], env=env))
