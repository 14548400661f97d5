"""``ringway apps``: manage applications through the HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ringway.cli.ids import app_id as find_app
from ringway.cli.login import client_options
from ringway.cli.numbers import show_owned
from ringway.cli.options import json_option, print_fields, print_json, print_table

if TYPE_CHECKING:
    from ringway.client import Client
    from ringway.domain.applications import ApplicationOut

HTTP = click.Choice(["GET", "POST"], case_sensitive=False)


def capability_options(fn: Any) -> Any:
    """The Vonage CLI's webhook flags, shared by create and update."""
    options = [
        click.option("--voice-answer-url", help="Voice answer_url address."),
        click.option("--voice-answer-http", type=HTTP, help="Voice answer_url method."),
        click.option("--voice-event-url", help="Voice event_url address."),
        click.option("--voice-event-http", type=HTTP, help="Voice event_url method."),
        click.option("--voice-fallback-url", help="Voice fallback_answer_url address."),
        click.option("--voice-fallback-http", type=HTTP, help="Voice fallback_answer_url method."),
        click.option("--messages-inbound-url", help="Messages inbound_url address."),
        click.option("--messages-status-url", help="Messages status_url address."),
        click.option("--rtc-event-url", help="RTC event_url address."),
        click.option("--rtc-event-http", type=HTTP, help="RTC event_url method."),
        click.option("--vbc", is_flag=True, default=None, help="Add the vbc capability."),
        click.option(
            "--public-key-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Use this RSA public key (PEM) instead of a generated pair.",
        ),
        click.option("--improve-ai/--no-improve-ai", default=None, help="privacy.improve_ai."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _webhook(address: str | None, method: str | None) -> dict[str, str] | None:
    hook = {}
    if address:
        hook["address"] = address
    if method:
        hook["http_method"] = method.upper()
    return hook or None


def changes_from(flags: dict[str, Any]) -> dict[str, Any]:
    """The part of an application body the capability flags name, and nothing else."""
    hooks = {
        ("voice", "answer_url"): ("voice_answer_url", "voice_answer_http"),
        ("voice", "event_url"): ("voice_event_url", "voice_event_http"),
        ("voice", "fallback_answer_url"): ("voice_fallback_url", "voice_fallback_http"),
        ("messages", "inbound_url"): ("messages_inbound_url", None),
        ("messages", "status_url"): ("messages_status_url", None),
        ("rtc", "event_url"): ("rtc_event_url", "rtc_event_http"),
    }
    capabilities: dict[str, Any] = {}
    for (capability, name), (url_flag, method_flag) in hooks.items():
        hook = _webhook(flags[url_flag], flags[method_flag] if method_flag else None)
        if hook:
            capabilities.setdefault(capability, {"webhooks": {}})["webhooks"][name] = hook
    if flags["vbc"]:
        capabilities["vbc"] = {}
    body: dict[str, Any] = {}
    if capabilities:
        body["capabilities"] = capabilities
    if flags["improve_ai"] is not None:
        body["privacy"] = {"improve_ai": flags["improve_ai"]}
    if flags["public_key_file"]:
        body["keys"] = {"public_key": flags["public_key_file"].read_text()}
    return body


def _summary(app: ApplicationOut) -> dict[str, Any]:
    data = app.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("_links", None)
    return data


def _show(app: ApplicationOut, as_json: bool) -> None:
    data = _summary(app)
    if as_json:
        print_json(data)
        return
    rows: dict[str, Any] = {"id": app.id, "name": app.name, "improve_ai": app.privacy.improve_ai}
    for capability, settings in data["capabilities"].items():
        for hook, spec in settings.get("webhooks", {}).items():
            rows[f"{capability}.{hook}"] = f"{spec['http_method']} {spec['address']}"
        if not settings.get("webhooks"):
            rows[capability] = "enabled"
    print_fields(rows, as_json=False)


@click.group()
def apps() -> None:
    """Manage applications (Application API v2)."""


@apps.command("list")
@client_options
@click.option("--page-size", default=100, show_default=True, help="Applications per request.")
@json_option
def list_(client: Client, page_size: int, as_json: bool) -> None:
    """List every application of the account."""
    found = list(client.applications.iter(page_size))
    if as_json:
        print_json([_summary(app) for app in found])
        return
    rows = [
        [app.id, app.name, ", ".join(app.capabilities.model_dump(exclude_none=True))]
        for app in found
    ]
    print_table(["id", "name", "capabilities"], rows)


@apps.command("show")
@client_options
@click.argument("app_id")
@json_option
def show(client: Client, app_id: str, as_json: bool) -> None:
    """Show one application (its id or the start of it)."""
    _show(client.applications.get(find_app(client, app_id)), as_json)


@apps.command("create")
@client_options
@click.option("--name", required=True, help="Application name.")
@capability_options
@click.option(
    "--private-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write a generated private key [default: <app-id>.key].",
)
@json_option
def create(
    client: Client, name: str, private_key_file: Path | None, as_json: bool, **flags: Any
) -> None:
    """Create an application; a generated private key is written to a file (mode 0600)."""
    app = client.applications.create({"name": name, **changes_from(flags)})
    private_key = app.keys.private_key
    if private_key:
        from ringway.security.keys import write_private_key

        path = private_key_file or Path(f"{app.id}.key")
        write_private_key(path, private_key)
        app.keys.private_key = None
        click.echo(f"Private key written to {path}", err=as_json)
    _show(app, as_json)


@apps.command("update")
@client_options
@click.argument("app_id")
@click.option("--name", help="New application name.")
@capability_options
@json_option
def update(client: Client, app_id: str, name: str | None, as_json: bool, **flags: Any) -> None:
    """Change only the named settings of an application (read, merge, replace)."""
    changes = changes_from(flags)
    if name:
        changes["name"] = name
    if not changes:
        raise click.UsageError("nothing to change: name at least one setting")
    _show(client.applications.update(find_app(client, app_id), changes), as_json)


@apps.command("numbers")
@client_options
@click.argument("app_id")
@json_option
def numbers_of(client: Client, app_id: str, as_json: bool) -> None:
    """The numbers linked to an application."""
    show_owned(list(client.numbers.iter(application_id=find_app(client, app_id))), as_json)


@apps.command("delete")
@client_options
@click.argument("app_id")
def delete(client: Client, app_id: str) -> None:
    """Delete an application (its id or the start of it)."""
    app_id = find_app(client, app_id)
    client.applications.delete(app_id)
    click.echo(f"Deleted application {app_id}")
