"""``ringway numbers``: search, buy and route numbers (and, for operators, stock the inventory)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ringway.cli.accounts import open_platform
from ringway.cli.ids import app_id as find_app
from ringway.cli.login import client_options
from ringway.cli.options import json_option, print_json, print_table, storage_options
from ringway.domain.numbers import FEATURES, NUMBER_TYPES, NumberRange

if TYPE_CHECKING:
    from ringway.client import Client, OwnedNumber

PATTERNS = {"starts": 0, "contains": 1, "ends": 2}
COUNTRY = click.option("--country", help="ISO 3166-1 alpha-2 [default: from the calling code].")


@click.group()
def numbers() -> None:
    """Buy numbers and link them to applications (Numbers API)."""


@numbers.command()
@client_options
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 country code, e.g. GB.")
@click.option("--type", "number_type", type=click.Choice(NUMBER_TYPES), help="Number type.")
@click.option("--features", help=f"Comma-separated, from {', '.join(FEATURES)}.")
@click.option("--pattern", help="Digits the number must have.")
@click.option(
    "--search-pattern",
    type=click.Choice(list(PATTERNS)),
    default="starts",
    show_default=True,
    help="Where --pattern must appear.",
)
@click.option("--size", default=10, show_default=True, help="How many to show (at most 100).")
@json_option
def search(
    client: Client,
    country: str,
    number_type: str | None,
    features: str | None,
    pattern: str | None,
    search_pattern: str,
    size: int,
    as_json: bool,
) -> None:
    """Numbers for sale."""
    found, total = client.numbers.search(
        country, type=number_type, features=features, pattern=pattern,
        search_pattern=PATTERNS[search_pattern], size=size,
    )  # fmt: skip
    if as_json:
        print_json([number.model_dump() for number in found])
        return
    print_table(
        ["msisdn", "country", "type", "features", "cost"],
        [[n.msisdn, n.country, n.type, ",".join(n.features), n.cost] for n in found],
    )
    click.echo(f"{len(found)} of {total} shown")


@numbers.command()
@client_options
@click.argument("msisdn")
@click.argument("app_id")
@COUNTRY
def link(client: Client, msisdn: str, app_id: str, country: str | None) -> None:
    """Route calls and messages for a number to an application (its id or the start of it)."""
    app_id = find_app(client, app_id)
    client.numbers.link(msisdn, app_id, country)
    click.echo(f"Linked {msisdn} to {app_id}")


def _number_command(name: str, done: str, summary: str) -> None:
    """``ringway numbers NAME MSISDN [--country]``, calling ``client.numbers.NAME``."""

    @numbers.command(name, help=summary)
    @client_options
    @click.argument("msisdn")
    @COUNTRY
    def command(client: Client, msisdn: str, country: str | None) -> None:
        getattr(client.numbers, name)(msisdn, country)
        click.echo(f"{done} {msisdn}")


_number_command("buy", "Bought", "Buy a number.")
_number_command("cancel", "Cancelled", "Give a number back; it is for sale again.")
_number_command("unlink", "Unlinked", "Detach a number from its application (you keep it).")


@numbers.command("list")
@client_options
@click.option("--app-id", help="Only numbers linked to this application.")
@click.option("--country", help="Only numbers of this country.")
@json_option
def list_(client: Client, app_id: str | None, country: str | None, as_json: bool) -> None:
    """The account's numbers."""
    app_id = app_id and find_app(client, app_id)
    show_owned(list(client.numbers.iter(application_id=app_id, country=country)), as_json)


def show_owned(owned: list[OwnedNumber], as_json: bool) -> None:
    if as_json:
        print_json([number.model_dump(by_alias=True, exclude_none=True) for number in owned])
        return
    print_table(
        ["msisdn", "country", "type", "features", "app_id"],
        [[n.msisdn, n.country, n.type, ",".join(n.features), n.app_id] for n in owned],
    )


@numbers.command()
@storage_options
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON list of ranges, each with the options below as keys.",
)
@click.option("--country", help="ISO 3166-1 alpha-2 country code.")
@click.option("--type", "number_type", type=click.Choice(NUMBER_TYPES), help="Number type.")
@click.option("--first", type=int, help="First number, E.164 digits.")
@click.option(
    "--count",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    help="How many consecutive numbers to add.",
)
@click.option("--features", default="VOICE,SMS", show_default=True, help="Comma-separated.")
@click.option("--cost", default="1.00", show_default=True, help="Monthly cost, as a string.")
def seed(
    data_dir: Path,
    database_url: str | None,
    file: Path | None,
    country: str | None,
    number_type: str | None,
    first: int | None,
    count: int,
    features: str,
    cost: str,
) -> None:
    """Add numbers for sale to the inventory (operators; works on the database directly)."""
    if file:
        specs: list[dict[str, Any]] = json.loads(file.read_text())
    elif country and number_type and first:
        specs = [{"country": country, "type": number_type, "first": first, "count": count,
                  "features": features, "cost": cost}]  # fmt: skip
    else:
        raise click.UsageError("give --file, or --country, --type and --first")
    try:
        ranges = [_range(spec) for spec in specs]
    except (KeyError, TypeError, ValueError) as exc:
        raise click.ClickException(f"invalid range: {exc}") from None
    with open_platform(data_dir, database_url) as platform:
        added = platform.numbers.seed(ranges)
    click.echo(f"Added {added} numbers for sale")


def _range(spec: dict[str, Any]) -> NumberRange:
    features = spec.get("features", "VOICE,SMS")
    if isinstance(features, str):
        features = features.split(",")
    features = tuple(feature.strip().upper() for feature in features)
    if spec["type"] not in NUMBER_TYPES or not set(features) <= set(FEATURES):
        raise ValueError(f"type must be one of {NUMBER_TYPES}, features from {FEATURES}")
    return NumberRange(
        country=str(spec["country"]).upper(),
        type=spec["type"],
        first=int(spec["first"]),
        count=int(spec.get("count", 100)),
        features=features,
        cost=str(spec.get("cost", "1.00")),
    )
