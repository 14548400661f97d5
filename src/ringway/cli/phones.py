"""``ringway phones``: how the virtual phones that calls out of ringway reach answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

import click

from ringway.cli.login import client_options
from ringway.cli.options import (
    json_option,
    person_options,
    print_fields,
    print_json,
    print_parties,
)
from ringway.domain.choices import PhoneBehaviour

if TYPE_CHECKING:
    from ringway.client import Client

COLUMNS = ["behaviour", "answer_after", "hangup_after", "dtmf", "speech"]
FIELDS = [*COLUMNS, "message_seconds"]


@click.group()
def phones() -> None:
    """Set how the virtual phones that outbound calls ring answer."""


@phones.command("list")
@client_options
@json_option
def list_(client: Client, as_json: bool) -> None:
    """Every address with a behaviour of its own, and the default of any other."""
    found = client.phones.list()
    if as_json:
        print_json(found)
        return
    print_parties(found, "phones", COLUMNS, _cell)


@phones.command("show")
@client_options
@click.argument("address")
@json_option
def show(client: Client, address: str, as_json: bool) -> None:
    """How one address answers (the default when it has no behaviour of its own)."""
    _show(client.phones.get(address), as_json)


@phones.command("set")
@client_options
@click.argument("address")
@click.option(
    "--behaviour",
    type=click.Choice(get_args(PhoneBehaviour)),
    default="answer",
    show_default=True,
    help="What the phone does when rung.",
)
@click.option(
    "--answer-after",
    type=click.FloatRange(0, 600),
    help="Seconds it rings before it answers (or is busy, rejects…) [default: 3].",
)
@person_options("person")
@click.option("--message-seconds", type=click.FloatRange(0, 7200),
              help="Seconds they speak at a record, unless given --says [default: 5].")  # fmt: skip
@json_option
def set_(
    client: Client,
    address: str,
    behaviour: str,
    dtmf: tuple[str, ...],
    say: tuple[str, ...],
    says: list[dict[str, Any]],
    as_json: bool,
    **numbers: float | None,
) -> None:
    """Give an address (a number, sip:…, wss://…) its behaviour; what is left out takes its
    default."""
    settings: dict[str, Any] = {"behaviour": behaviour, "dtmf": list(dtmf), "speech": list(say),
                                "says": says}  # fmt: skip
    settings |= {name: value for name, value in numbers.items() if value is not None}
    phone = client.phones.set(address, **settings)
    if not as_json:
        click.echo(f"Set {address}")
    _show(phone, as_json)


@phones.command("reset")
@client_options
@click.argument("address")
def reset(client: Client, address: str) -> None:
    """Forget an address's behaviour: it answers as the default again."""
    client.phones.delete(address)
    click.echo(f"Reset {address} to the default")


def _show(phone: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(phone)
        return
    names = [*FIELDS, *(name for name in phone if name not in FIELDS)]
    print_fields({name: _cell(phone.get(name)) for name in names}, as_json=False)


def _cell(value: Any) -> Any:
    """Lists as their entries, space-separated (an empty entry shows as "")."""
    if isinstance(value, list):
        return " ".join(repr(v) if v == "" or " " in v else v for v in value)
    return value
