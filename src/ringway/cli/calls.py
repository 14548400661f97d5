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
from ringway.cli.waiting import finish, interrupted
from ringway.client import Client, RingwayError
from ringway.domain.timeline import address_of, outcome, status_and_outcome, timeline_line


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
@click.option(
    "--hang-up-on-interrupt",
    is_flag=True,
    help="On Ctrl-C, hang the call up (the caller hangs up) rather than leave it running.",
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
    hang_up_on_interrupt: bool,
    as_json: bool,
) -> None:
    """Place a simulated call, print its timeline as it happens, then its outcome.

    Exits 0 when the call ended well, 1 when it failed (its outcome says why, e.g. "failed:
    answer_url unreachable (connection refused)") or ringway refused it, 2 on bad usage, 130
    when interrupted (Ctrl-C leaves the call running, unless --hang-up-on-interrupt).
    With --json: one JSON line per timeline entry, then the call as one JSON line.
    """
    call = client.calls.simulate(
        from_, to, dtmf=list(dtmf), speech=list(say), hangup_after=hangup_after, speed=speed
    )
    uuid = call["uuid"]
    click.echo(f"Call {uuid} from {from_} to {to}", err=as_json)
    try:
        for entry in client.calls.follow(uuid):
            click.echo(json.dumps(entry, default=str) if as_json else timeline_line(entry))
    except KeyboardInterrupt:
        if hang_up_on_interrupt:
            try:
                client.calls.hangup(uuid)
            except RingwayError:  # it ended meanwhile
                interrupted(f"call {uuid} had already ended")
            interrupted(f"the caller hung up call {uuid}")
        interrupted(f"call {uuid} is still running; hang it up with "
                    f"`ringway calls hangup {uuid}`")  # fmt: skip
    final = client.calls.get(uuid)
    if as_json:
        click.echo(json.dumps(final, default=str))
    else:
        click.echo(outcome(final))
    finish(bool(final.get("failed")))


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
         "status": call["status"], "outcome": call.get("outcome"),
         "duration": call.get("duration"),
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
@click.option("--failed", is_flag=True, help="Only calls that failed.")
@click.option(
    "--page-size", type=click.IntRange(1, 100), default=20, show_default=True, help="Calls shown."
)
@json_option
def list_(client: Client, status: str | None, failed: bool, page_size: int, as_json: bool) -> None:
    """The account's calls, newest first, each with its outcome once it has ended."""
    page = client.calls.list(page_size=page_size, status=status, failed=failed)
    found = page["_embedded"]["calls"]
    if as_json:
        print_json(found)
        return
    print_table(
        ["uuid", "direction", "from", "to", "status", "duration", "start_time"],
        [[c["uuid"], c["direction"], address_of(c["from"]), address_of(c["to"]),
          status_and_outcome(c), c.get("duration"), c.get("start_time")] for c in found],
    )  # fmt: skip
    click.echo(f"{len(found)} of {page['count']} shown")
