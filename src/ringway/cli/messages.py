"""``ringway messages``, ``ringway recipients`` and ``ringway deliveries``: simulated messages,
how simulated recipients treat what is sent to them, and the outbox's webhook log."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, get_args

import click

from ringway.cli.ids import delivery_id, message_id
from ringway.cli.login import client_options
from ringway.cli.options import (
    json_option,
    page_size_option,
    print_fields,
    print_json,
    print_parties,
    print_table,
)
from ringway.cli.waiting import finish, interrupted
from ringway.domain.choices import CHANNELS, MEDIA, RecipientBehaviour
from ringway.domain.deliveries import KINDS
from ringway.domain.timeline import status_and_outcome

if TYPE_CHECKING:
    from ringway.client import Client

BEHAVIOURS = get_args(RecipientBehaviour)
POLL = 0.1  # seconds between looks at a message whose outcome is awaited


def content_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--channel, --text, --type and --media-url: what a message is and holds."""
    for option in reversed((
        click.option("--channel", type=click.Choice(list(CHANNELS)), default="sms",
                     show_default=True, help="The channel it goes on."),
        click.option("--text", help="The text of a text message."),
        click.option("--type", "kind", type=click.Choice(["text", *MEDIA]), default="text",
                     show_default=True, help="The message type; media take --media-url."),
        click.option("--media-url", help="The URL of an image, audio, video, file or vcard."),
    )):  # fmt: skip
        fn = option(fn)
    return fn


@click.group()
def messages() -> None:
    """Simulate inbound messages, and see what was sent and received."""


@messages.command("simulate")
@client_options
@content_options
@click.option("--from", "from_", required=True, help="The user's number (or id).")
@click.option("--to", required=True, help="A number of the account, linked to an application.")
@click.option("--app", "application_id", help="The application, for a `to` that is no number.")
@click.option("--no-wait", is_flag=True, help="Return once queued, not waiting for the outcome.")
@click.option("--api", type=click.Choice(["messages", "sms"]),
              help="Deliver through this API [the Messages API if `to` is linked to a messages "
              "application, else the SMS API].")  # fmt: skip
@json_option
def simulate(
    client: Client,
    channel: str,
    from_: str,
    to: str,
    text: str | None,
    kind: str,
    media_url: str | None,
    application_id: str | None,
    no_wait: bool,
    api: str | None,
    as_json: bool,
) -> None:
    """Deliver an inbound message to the application's inbound_url (an SMS through the SMS API
    to the number's moHttpUrl, else the account's moCallBackUrl), wait for the outcome of
    the first try (or the last, if the application answered) and print it.

    Exits 0 when the application took the message, 1 when it failed (the outcome says why,
    e.g. "failed: inbound_url answered 404", or "failing: …; ringway tries again" when the
    outbox will retry it) or ringway refused it, 2 on bad usage, 130 when interrupted.
    """
    body = _message(channel, from_, to, kind, text, media_url)
    if application_id:
        body["application_id"] = application_id
    if api:
        body["api"] = api
    message = client.messages.simulate(**body)
    uuid = message["message_uuid"]
    if no_wait:
        if as_json:
            print_json(message)
        else:
            click.echo(f"Message {uuid} queued for the inbound URL "
                       f"(`ringway messages show {uuid}` shows how it went)")  # fmt: skip
        return
    click.echo(f"Message {uuid} from {from_} to {to}", err=as_json)
    try:
        while message["outcome"] is None:
            time.sleep(POLL)
            message = client.messages.get(uuid)
    except KeyboardInterrupt:
        interrupted(f"message {uuid} is still queued; `ringway messages show {uuid}` shows "
                    "how it went")  # fmt: skip
    if as_json:
        print_json(message)
    else:
        click.echo(f"Message {uuid} {message['outcome']}")
    finish(message["failed"])


@messages.command("send")
@client_options
@content_options
@click.option("--from", "from_", required=True, help="A number (or id) of the account.")
@click.option("--to", required=True, help="The recipient's number (or id).")
@click.option("--client-ref", help="Your reference, echoed in status webhooks.")
@click.option("--webhook-url", help="Where its status webhooks go (sent with the account's key, "
              "a message has no application's status_url).")  # fmt: skip
@json_option
def send(
    client: Client,
    channel: str,
    from_: str,
    to: str,
    text: str | None,
    kind: str,
    media_url: str | None,
    client_ref: str | None,
    webhook_url: str | None,
    as_json: bool,
) -> None:
    """Send a message through the Messages API (the simulated recipient answers with statuses
    to the application's status_url)."""
    body = _message(channel, from_, to, kind, text, media_url)
    body |= {name: value for name, value in (("client_ref", client_ref),
             ("webhook_url", webhook_url)) if value}  # fmt: skip
    uuid = client.messages.send(**body)
    if as_json:
        print_json({"message_uuid": uuid})
    else:
        click.echo(f"Message {uuid} sent (ringway messages show {uuid[:8]} follows it)")


@messages.command("list")
@client_options
@click.option("--failed", is_flag=True, help="Only messages that failed.")
@page_size_option("messages")
@json_option
def list_(client: Client, failed: bool, page_size: int, as_json: bool) -> None:
    """The newest messages, sent and received, each with its outcome so far."""
    found = client.messages.list(page_size=page_size, failed=failed)
    items = found["_embedded"]["messages"]
    if as_json:
        print_json(items)
        return
    print_table(
        ["message_uuid", "direction", "channel", "from", "to", "status", "deliveries"],
        [[m["message_uuid"], m["direction"], m["channel"], m["from"], m["to"],
          status_and_outcome(m), _summary(m["deliveries"])] for m in items],
    )  # fmt: skip


@messages.command("show")
@client_options
@click.argument("message_uuid")
@json_option
def show(client: Client, message_uuid: str, as_json: bool) -> None:
    """One message (its uuid or the start of it), its statuses so far, and every delivery
    attempt."""
    message = client.messages.get(message_id(client, message_uuid))
    if as_json:
        print_json(message)
        return
    fields = {k: v for k, v in message.items() if k not in ("history", "deliveries")}
    print_fields(fields, as_json=False)
    history = [[h["status"], h["timestamp"], h.get("error")] for h in message["history"]]
    print_table(["status", "timestamp", "error"], history)
    _attempts(message["deliveries"])


@click.group()
def recipients() -> None:
    """Set how simulated message recipients treat what is sent to them."""


@recipients.command("list")
@client_options
@json_option
def recipients_list(client: Client, as_json: bool) -> None:
    """Every address with a behaviour of its own, and the default of any other."""
    found = client.recipients.list()
    if as_json:
        print_json(found)
        return
    print_parties(found, "recipients", ["behaviour", "delivered_after", "read_after"])


@recipients.command("set")
@client_options
@click.argument("address")
@click.option(
    "--behaviour",
    type=click.Choice(BEHAVIOURS),
    default="delivered",
    show_default=True,
    help="What becomes of messages sent to it, on every channel not given below.",
)
@click.option("--delivered-after", type=click.FloatRange(0, 86_400), help="Seconds [0.5].")
@click.option("--read-after", type=click.FloatRange(0, 86_400), help="Seconds [2].")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="CHANNEL=BEHAVIOUR",
    help="A channel's own behaviour, e.g. rcs=undeliverable (repeatable).",
)
@click.option("--reaction", help="An emoji it reacts with to each WhatsApp message.")
@click.option("--react-after", type=click.FloatRange(0, 86_400), help="Seconds [1].")
@json_option
def recipients_set(
    client: Client,
    address: str,
    behaviour: str,
    delivered_after: float | None,
    read_after: float | None,
    channels: tuple[str, ...],
    reaction: str | None,
    react_after: float | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Give an address its behaviour; what is left out takes its default."""
    settings: dict[str, Any] = {"behaviour": behaviour}
    given = {"delivered_after": delivered_after, "read_after": read_after, "reaction": reaction,
             "react_after": react_after}  # fmt: skip
    settings |= {name: value for name, value in given.items() if value is not None}
    if channels:
        pairs = [channel.partition("=") for channel in channels]
        if any(not sep for _, sep, _ in pairs):
            raise click.BadParameter("write CHANNEL=BEHAVIOUR", param_hint="--channel")
        settings["channels"] = {channel: kind for channel, _, kind in pairs}
    print_fields(client.recipients.set(address, **settings), as_json)


@recipients.command("reset")
@client_options
@click.argument("address")
def recipients_reset(client: Client, address: str) -> None:
    """Forget an address's behaviour."""
    client.recipients.delete(address)
    click.echo(f"Reset {address} to the default")


@click.group()
def deliveries() -> None:
    """The outbox: asynchronous webhooks, every attempt, and replays."""


@deliveries.command("list")
@client_options
@click.option("--failed", is_flag=True, help="Only those given up or refused.")
@click.option("--pending", is_flag=True, help="Only those still to be sent.")
@click.option("--kind", type=click.Choice(KINDS), help="Only deliveries of this kind.")
@page_size_option("deliveries")
@json_option
def deliveries_list(
    client: Client, failed: bool, pending: bool, kind: str | None, page_size: int, as_json: bool
) -> None:
    """The newest deliveries."""
    state = "failed" if failed else "pending" if pending else None
    items = client.deliveries.list(state, page_size, kind=kind)["_embedded"]["deliveries"]
    if as_json:
        print_json(items)
        return
    print_table(["id", "kind", "state", "attempts", "outcome", "url"],
                [[d["id"], d["kind"], d["state"], d["attempts"], d["outcome"], d["url"]]
                 for d in items])  # fmt: skip


@deliveries.command("show")
@client_options
@click.argument("given", metavar="ID")
@json_option
def deliveries_show(client: Client, given: str, as_json: bool) -> None:
    """One delivery (its id or the start of it): what it sends where, and every attempt."""
    delivery = client.deliveries.get(delivery_id(client, given))
    if as_json:
        print_json(delivery)
        return
    fields = {k: v for k, v in delivery.items() if k not in ("body", "log")}
    print_fields(fields, as_json=False)
    print_table(["attempt", "at", "outcome", "status", "ms", "injected"],
                [[a["attempt"], a["at"], a["outcome"], a["status"], a["latency_ms"],
                  a["injected"]] for a in delivery["log"]])  # fmt: skip


@deliveries.command("retry")
@client_options
@click.argument("given", metavar="ID")
@json_option
def deliveries_retry(client: Client, given: str, as_json: bool) -> None:
    """Send a delivery (its id or the start of it) again now, whatever became of it."""
    found = delivery_id(client, given)
    delivery = client.deliveries.retry(found)
    if as_json:
        print_json(delivery)
    else:
        click.echo(f"Delivery {found} will be sent again now")


def _summary(items: list[dict[str, Any]]) -> str:
    states = [d["state"] for d in items]
    return ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))


def _attempts(items: list[dict[str, Any]]) -> None:
    print_table(
        ["delivery", "kind", "attempt", "at", "outcome", "status", "ms"],
        [[d["id"], d["kind"], a["attempt"], a["at"], a["outcome"], a["status"], a["latency_ms"]]
         for d in items for a in d["log"]],
    )  # fmt: skip


def _message(channel: str, from_: str, to: str, kind: str, text: str | None,
             media_url: str | None) -> dict[str, Any]:  # fmt: skip
    """A Messages API body: a text, or a medium at a URL."""
    content = {"text": text or ""} if kind == "text" else {kind: {"url": media_url or ""}}
    return {"channel": channel, "from": from_, "to": to, "message_type": kind, **content}
