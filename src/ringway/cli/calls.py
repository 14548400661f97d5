"""``ringway calls``: simulate calls to the account's numbers and read their timelines."""

from __future__ import annotations

import json

import click

from ringway.cli.login import client_options
from ringway.cli.options import (
    json_option,
    person_options,
    print_fields,
    print_json,
    print_table,
)
from ringway.client import Client
from ringway.domain.timeline import address_of, outcome, timeline_line


@click.group()
def calls() -> None:
    """Simulate calls to your numbers and follow what happens, line by line."""


@calls.command()
@client_options
@click.option("--from", "from_", required=True, help="The caller's number, E.164 digits.")
@click.option(
    "--to", required=True, help="The account's number to call (linked to a voice application)."
)
@person_options("caller")
@click.option(
    "--speed",
    type=click.FloatRange(0, 1000),
    help="Virtual clock speed: 0 as fast as possible, 1 real time [default: the server's].",
)
@json_option
def simulate(
    client: Client,
    from_: str,
    to: str,
    dtmf: tuple[str, ...],
    say: tuple[str, ...],
    hangup_after: float | None,
    speed: float | None,
    as_json: bool,
) -> None:
    """Place a simulated call and print its timeline as it happens, then its outcome.

    With --json: one JSON line per timeline entry, then the call as one JSON line.
    """
    call = client.calls.simulate(
        from_, to, dtmf=list(dtmf), speech=list(say), hangup_after=hangup_after, speed=speed
    )
    uuid = call["uuid"]
    click.echo(f"Call {uuid} from {from_} to {to}", err=as_json)
    for entry in client.calls.follow(uuid):
        click.echo(json.dumps(entry, default=str) if as_json else timeline_line(entry))
    final = client.calls.get(uuid)
    if as_json:
        click.echo(json.dumps(final, default=str))
    else:
        click.echo(outcome(final))


@calls.command("show")
@client_options
@click.argument("uuid")
@json_option
def show(client: Client, uuid: str, as_json: bool) -> None:
    """Show a call and its whole timeline (every leg of the simulated call)."""
    call = client.calls.get(uuid)
    timeline = client.calls.timeline(uuid)
    if as_json:
        print_json({"call": call, "timeline": timeline["entries"]})
        return
    print_fields(
        {"uuid": call["uuid"], "conversation_uuid": call["conversation_uuid"],
         "session": call.get("session"), "direction": call["direction"],
         "from": address_of(call["from"]), "to": address_of(call["to"]),
         "status": call["status"], "duration": call.get("duration"),
         "start_time": call.get("start_time"), "end_time": call.get("end_time"),
         "price": call.get("price")},
        as_json=False,
    )  # fmt: skip
    for entry in timeline["entries"]:
        click.echo(timeline_line(entry))
    if timeline["running"]:
        click.echo("(still running)")


@calls.command("list")
@client_options
@click.option("--status", help="Only calls with this status, e.g. completed.")
@click.option(
    "--page-size", type=click.IntRange(1, 100), default=20, show_default=True, help="Calls shown."
)
@json_option
def list_(client: Client, status: str | None, page_size: int, as_json: bool) -> None:
    """The account's calls, newest first."""
    page = client.calls.list(page_size=page_size, status=status)
    found = page["_embedded"]["calls"]
    if as_json:
        print_json(found)
        return
    print_table(
        ["uuid", "direction", "from", "to", "status", "duration", "start_time"],
        [[c["uuid"], c["direction"], address_of(c["from"]), address_of(c["to"]), c["status"],
          c.get("duration"), c.get("start_time")] for c in found],
    )  # fmt: skip
    click.echo(f"{len(found)} of {page['count']} shown")
