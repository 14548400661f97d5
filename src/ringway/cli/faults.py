"""``ringway faults``: faults injected into the account's webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

import click

from ringway.cli.login import client_options
from ringway.cli.options import json_option, print_json, print_table
from ringway.domain.choices import FaultKind

if TYPE_CHECKING:
    from ringway.client import Client


@click.group()
def faults() -> None:
    """Inject faults into the account's webhooks: failed, late, reset or timed-out requests."""


@faults.command("add")
@client_options
@click.argument("name")
@click.option("--kind", type=click.Choice(get_args(FaultKind)), help="Only requests of this kind.")
@click.option("--url-glob", "glob", help="Only requests to URLs matching this glob: '*/answer'.")
@click.option("--status", type=click.IntRange(200, 599), help="Answer this status, unsent.")
@click.option("--delay-ms", type=click.IntRange(1, 60_000), help="Send the request this late.")
@click.option("--reset", is_flag=True, help="Drop the connection.")
@click.option("--timeout", is_flag=True, help="No answer within the socket timeout.")
@click.option("--times", type=click.IntRange(1), help="Only the next N matching requests.")
@click.option("--probability", type=click.FloatRange(0, 1, min_open=True),
              help="Each matching request with this probability.")  # fmt: skip
@click.option("--seed", type=click.IntRange(0), help="Seed of --probability, to repeat a run.")
@json_option
def add(
    client: Client,
    name: str,
    kind: str | None,
    glob: str | None,
    status: int | None,
    delay_ms: int | None,
    reset: bool,
    timeout: bool,
    times: int | None,
    probability: float | None,
    seed: int | None,
    as_json: bool,
) -> None:
    """Set the fault NAME (replacing one of that name): exactly one of --status, --delay-ms,
    --reset and --timeout, for every matching request unless --times or --probability."""
    actions = {"status": status, "delay_ms": delay_ms, "reset": reset or None,
               "timeout": timeout or None}  # fmt: skip
    action = {key: value for key, value in actions.items() if value is not None}
    if len(action) != 1:
        raise click.UsageError("give exactly one of --status, --delay-ms, --reset, --timeout")
    fault = client.faults.set(name, action, kind, glob, times, probability, seed)
    if as_json:
        print_json(fault)
    else:
        click.echo(f"Set fault {name}")
        _table([fault])


@faults.command("list")
@client_options
@json_option
def list_(client: Client, as_json: bool) -> None:
    """The account's faults, oldest first, with how many requests each has matched."""
    found = client.faults.list()
    if as_json:
        print_json(found)
    else:
        _table(found)


@faults.command("clear")
@client_options
@click.argument("name", required=False)
def clear(client: Client, name: str | None) -> None:
    """Delete the fault NAME, or every fault of the account."""
    if name is not None:
        client.faults.delete(name)
        click.echo(f"Deleted fault {name}")
    else:
        click.echo(f"Deleted {client.faults.clear()} faults")


def _table(found: list[dict[str, Any]]) -> None:
    print_table(
        ["name", "kind", "url", "action", "takes", "matched"],
        [[f["name"], f["match"].get("kind", "any"), f["match"].get("url", "any"),
          " ".join(f"{k}={v}" for k, v in f["action"].items()), _takes(f), f["matched"]]
         for f in found],
    )  # fmt: skip


def _takes(fault: dict[str, Any]) -> str:
    if "times" in fault:
        return f"{fault['remaining']} of {fault['times']} left"
    if "probability" in fault:
        return f"p={fault['probability']} seed={fault['seed']}"
    return "every one"
