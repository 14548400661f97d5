"""``ringway jwt``: make application JWTs, and check one against the stored public key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ringway.cli.ids import app_id as find_app
from ringway.cli.login import client_options
from ringway.cli.options import print_json
from ringway.domain.choices import DEFAULT_TTL, MAX_TTL, MIN_TTL

if TYPE_CHECKING:
    from ringway.client import Client


@click.group("jwt")
def jwt_group() -> None:
    """Application JWTs (RS256, signed with the application's private key)."""


@jwt_group.command()
@click.option("--app-id", required=True, help="The application the token is for.")
@click.option(
    "--private-key-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The application's private key (PEM).",
)
@click.option(
    "--ttl", type=click.IntRange(MIN_TTL, MAX_TTL), default=DEFAULT_TTL, show_default=True,
    help="Seconds until the token expires.",
)  # fmt: skip
@click.option("--sub", help="The sub claim (a user name).")
@click.option("--acl", help='The acl claim as JSON, e.g. \'{"paths": {"/*/calls/**": {}}}\'.')
@click.option("--nbf", is_flag=True, help="Add an nbf (not before) claim equal to iat.")
def create(
    app_id: str, private_key_file: Path, ttl: int, sub: str | None, acl: str | None, nbf: bool
) -> None:
    """Print a token for an application."""
    from ringway.security.jwt import mint

    acl_claim: dict[str, Any] | None = None
    if acl is not None:
        try:
            acl_claim = json.loads(acl)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--acl") from None
        if not isinstance(acl_claim, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--acl")
    try:
        token = mint(app_id, private_key_file.read_text(), ttl=ttl, sub=sub, acl=acl_claim, nbf=nbf)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(f"cannot sign with {private_key_file}: {exc}") from None
    click.echo(token)


@jwt_group.command("verify")
@client_options
@click.argument("token")
@click.option("--app-id", required=True, help="The application whose public key must verify it.")
def verify_command(client: Client, token: str, app_id: str) -> None:
    """Check a token against the application's stored public key; say why when it fails."""
    from ringway.security.jwt import TokenRejected, verify
    from ringway.security.keys import load_public_key

    app_id = find_app(client, app_id)
    application = client.applications.get(app_id)
    try:
        claims = verify(token, load_public_key(application.keys.public_key))
        if claims["application_id"] != app_id:
            raise TokenRejected(
                "application", f"the token is for application '{claims['application_id']}'"
            )
    except TokenRejected as exc:
        raise click.ClickException(f"invalid ({exc.rule}): {exc}") from None
    click.echo("valid", err=True)
    print_json(claims)
