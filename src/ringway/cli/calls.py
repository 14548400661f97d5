"""``ringway calls``: simulate calls to the account's numbers and read their timelines."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import click

from ringway.cli.ids import call_id
from ringway.cli.login import client_options, voice_options
from ringway.cli.options import (
    json_option,
    page_size_option,
    person_options,
    print_fields,
    print_json,
    print_table,
)
from ringway.cli.waiting import finish, interrupted
from ringway.domain.timeline import address_of, outcome, status_and_outcome, timeline_line

if TYPE_CHECKING:
    from ringway.client import Client, Voice


@click.group()
def calls() -> None:
    """Simulate calls to your numbers and follow what happens, line by line."""


@calls.command()
@client_options
@click.option("--from", "from_", help="The caller's number, E.164 digits.")
@click.option("--from-user", help="The caller is this user of the application (as from the "
              "Client SDK), not a phone.")  # fmt: skip
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
    from_: str | None,
    from_user: str | None,
    to: str,
    dtmf: tuple[str, ...],
    say: tuple[str, ...],
    says: list[dict[str, Any]],
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
    if not from_ and not from_user:
        raise click.UsageError("give --from NUMBER, or --from-user USER")
    call = client.calls.simulate(
        from_ or to, to, dtmf=list(dtmf), speech=list(say), says=says,
        hangup_after=hangup_after, speed=speed, from_user=from_user,
    )  # fmt: skip
    uuid = call["uuid"]
    click.echo(f"Call {uuid} from {from_user or from_} to {to}", err=as_json)
    try:
        for entry in client.calls.follow(uuid):
            click.echo(json.dumps(entry, default=str) if as_json else timeline_line(entry))
    except KeyboardInterrupt:
        if hang_up_on_interrupt:
            from ringway.client import RingwayError

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
    """Show a call (UUID or its start) and its whole timeline (every leg of the simulated
    call)."""
    uuid = call_id(client, uuid)
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
@page_size_option("calls")
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


# -- the Voice API, as an application -------------------------------------------------------


def _voice_command(name: str, summary: str) -> Callable[[Callable[..., None]], click.Command]:
    """``ringway calls NAME UUID …``: through the Voice API with the application's JWT; UUID
    may be the start or end of the call's uuid."""

    def decorate(fn: Callable[..., None]) -> click.Command:
        return calls.command(name, help=summary)(voice_options(click.argument("uuid")(fn)))

    return decorate


@_voice_command("hangup", "Hang up a running call.")
@json_option
def hangup(voice: Voice, uuid: str, as_json: bool) -> None:
    uuid = call_id(voice, uuid)
    voice.hangup(uuid)
    _said({"message": "Hung up", "uuid": uuid}, as_json)


@_voice_command("transfer", "Give a running call a new NCCO: from a file, or an answer URL.")
@click.option("--ncco", "ncco_file", type=click.File(), help="A JSON file with the NCCO; - reads "
              "it from stdin.")  # fmt: skip
@click.option("--answer-url", help="The URL that answers the NCCO.")
@json_option
def transfer(
    voice: Voice, uuid: str, ncco_file: TextIO | None, answer_url: str | None, as_json: bool
) -> None:
    if (ncco_file is None) == (answer_url is None):
        raise click.UsageError("give one of --ncco FILE and --answer-url URL")
    ncco = None
    if ncco_file is not None:
        try:
            ncco = json.load(ncco_file)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--ncco") from None
    uuid = call_id(voice, uuid)
    voice.transfer(uuid, ncco=ncco, url=answer_url)
    _said({"message": "Transferred", "uuid": uuid}, as_json)


@_voice_command("talk", "Speak TEXT into a running call (--stop: stop speaking).")
@click.argument("text", required=False)
@click.option("--language", help="e.g. en-GB [default: en-US].")
@click.option("--style", type=int, help="The language's voice style [default: 0].")
@click.option("--loop", type=click.IntRange(0, 100), help="Times to say it, 0 for ever [1].")
@click.option("--level", type=click.FloatRange(-1, 1), help="Volume, -1 to 1 [0].")
@click.option("--stop", is_flag=True, help="Stop what is being said.")
@json_option
def talk(
    voice: Voice,
    uuid: str,
    text: str | None,
    stop: bool,
    as_json: bool,
    **options: Any,
) -> None:
    if not stop and not text:
        raise click.UsageError("give the TEXT to say, or --stop")
    uuid = call_id(voice, uuid)
    present = {name: value for name, value in options.items() if value is not None}
    _said(voice.stop(uuid, "talk") if stop else voice.talk(uuid, text or "", **present), as_json)


@_voice_command("stream", "Play the audio at URL into a running call (--stop: stop it).")
@click.argument("audio_url", metavar="URL", required=False)
@click.option("--loop", type=click.IntRange(0, 100), help="Times to play it, 0 for ever [1].")
@click.option("--level", type=click.FloatRange(-1, 1), help="Volume, -1 to 1 [0].")
@click.option("--stop", is_flag=True, help="Stop the audio playing.")
@json_option
def stream(
    voice: Voice, uuid: str, audio_url: str | None, stop: bool, as_json: bool, **options: Any
) -> None:
    if not stop and not audio_url:
        raise click.UsageError("give the URL of the audio, or --stop")
    uuid = call_id(voice, uuid)
    present = {name: value for name, value in options.items() if value is not None}
    played = voice.stop(uuid, "stream") if stop else voice.stream(uuid, audio_url or "", **present)
    _said(played, as_json)


@_voice_command("dtmf", "Send DIGITS into a running call (0-9, *, #; p pauses half a second).")
@click.argument("digits")
@json_option
def dtmf(voice: Voice, uuid: str, digits: str, as_json: bool) -> None:
    _said(voice.dtmf(call_id(voice, uuid), digits), as_json)


def _said(answer: dict[str, Any], as_json: bool) -> None:
    """The Voice API's answer: ``{"message": "Talk started", "uuid": …}``."""
    if as_json:
        print_json(answer)
    else:
        click.echo(f"{answer['message']}: {answer['uuid']}")
