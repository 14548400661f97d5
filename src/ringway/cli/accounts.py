"""``ringway accounts``: operator commands that work on the database directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ringway.cli.options import (
    json_option,
    print_fields,
    print_json,
    print_table,
    settings_from,
    storage_options,
)
from ringway.security.sig import METHODS

if TYPE_CHECKING:
    from ringway.services.platform import Platform


@contextmanager
def open_platform(
    data_dir: Path, database_url: str | None, *, create: bool = False
) -> Iterator[Platform]:
    """The platform on the database; one that does not exist yet is an error (an operator
    command in the wrong folder would otherwise make an empty one) unless ``create``."""
    from ringway.domain.errors import LegacyError
    from ringway.services.accounts import AccountError
    from ringway.services.platform import Platform

    settings = settings_from(data_dir, database_url, key_pool_size=0)
    missing = None if create else missing_database(settings.resolved_database_url)
    if missing is not None:
        where = f"in {data_dir.resolve()}" if database_url is None else f"at {missing}"
        raise click.ClickException(
            f"no ringway database {where}: name its folder with --data-dir DIR (or "
            "RINGWAY_DATA_DIR), or the database with --database-url; `ringway serve` creates one"
        )
    platform = Platform.open(settings)
    try:
        yield platform
    except (AccountError, LegacyError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        platform.close()


def missing_database(url: str) -> Path | None:
    """The file of a SQLite database URL when there is no such file."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return None
    path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    return None if path.exists() else path


@click.group()
def accounts() -> None:
    """Create and inspect accounts (api_key / api_secret pairs)."""


@accounts.command("create")
@storage_options
@click.option("--api-key", help="Choose the api_key (default: random).")
@click.option("--api-secret", help="Choose the api_secret (default: random).")
@json_option
def create(
    data_dir: Path,
    database_url: str | None,
    api_key: str | None,
    api_secret: str | None,
    as_json: bool,
) -> None:
    """Create an account and print its credentials (the secrets are shown only now)."""
    with open_platform(data_dir, database_url) as platform:
        credentials = platform.accounts.create(api_key, api_secret)
    fields = {
        "account_id": credentials.account_id,
        "api_key": credentials.api_key,
        "api_secret": credentials.api_secret,
        "signature_secret": credentials.signature_secret,
    }
    print_fields(fields, as_json)


@accounts.command("list")
@storage_options
@json_option
def list_(data_dir: Path, database_url: str | None, as_json: bool) -> None:
    """List accounts (secrets are never shown)."""
    with open_platform(data_dir, database_url) as platform:
        rows = platform.accounts.list()
    if as_json:
        print_json([{"api_key": a.api_key, "created_at": a.created_at.isoformat()} for a in rows])
    else:
        print_table(["api_key", "created_at"], [[a.api_key, a.created_at] for a in rows])


@accounts.command("show")
@storage_options
@click.argument("api_key")
@json_option
def show(data_dir: Path, database_url: str | None, api_key: str, as_json: bool) -> None:
    """Show one account, with its signature secret (the API secret is only stored hashed)."""
    from ringway.domain.accounts import EURO

    with open_platform(data_dir, database_url) as platform:
        account = platform.accounts.get(api_key)
    fields = {
        "account_id": account.id,
        "api_key": account.api_key,
        "signature_secret": account.signature_secret,
        "created_at": account.created_at.isoformat(),
        "balance": f"{Decimal(account.balance) / EURO:.2f} EUR",
        "sms_signature_method": account.sms_signature_method or "none",
    }
    print_fields(fields, as_json)


@accounts.command("top-up")
@storage_options
@click.argument("api_key")
@click.argument("amount", callback=lambda _ctx, _param, value: _euros(value))
@json_option
def top_up(
    data_dir: Path, database_url: str | None, api_key: str, amount: Decimal, as_json: bool
) -> None:
    """Add AMOUNT euros to an account's balance (a negative amount takes them away)."""
    with open_platform(data_dir, database_url) as platform:
        balance = platform.accounts.top_up(api_key, amount)
    if as_json:
        print_json({"api_key": api_key, "balance": float(balance)})
    else:
        click.echo(f"Balance of {api_key}: {balance:.2f} EUR")


def _euros(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or abs(amount) > 10**9:
        raise click.BadParameter("must be a number of euros, at most 1,000,000,000")
    return amount


@accounts.command("sms-signing")
@storage_options
@click.argument("api_key")
@click.argument("method", type=click.Choice([*METHODS, "none"]))
def sms_signing(data_dir: Path, database_url: str | None, api_key: str, method: str) -> None:
    """Sign the account's SMS webhooks (receipts, inbound SMS) with METHOD, or stop (none)."""
    with open_platform(data_dir, database_url) as platform:
        account = platform.accounts.get(api_key)
        platform.accounts.set_sms_settings(
            account.id, sms_signature_method=None if method == "none" else method
        )
    click.echo(f"SMS webhooks of {api_key}: {'unsigned' if method == 'none' else method}")


@accounts.command("rotate-secret")
@storage_options
@click.argument("api_key")
@click.option("--api-secret", help="The new secret (default: random).")
@json_option
def rotate_secret(
    data_dir: Path, database_url: str | None, api_key: str, api_secret: str | None, as_json: bool
) -> None:
    """Replace an account's API secret; the old one stops working at once."""
    with open_platform(data_dir, database_url) as platform:
        secret = platform.accounts.rotate_secret(api_key, api_secret)
    if as_json:
        print_json({"api_key": api_key, "api_secret": secret})
    else:
        click.echo(f"New api_secret for {api_key}: {secret}")
