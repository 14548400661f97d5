"""``ringway login`` and where commands that call the API find their credentials."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

DEFAULT_URL = "http://127.0.0.1:8000"


def config_path() -> Path:
    explicit = os.environ.get("RINGWAY_CONFIG")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "ringway" / "config.json"


def read_config() -> dict[str, str]:
    try:
        data = json.loads(config_path().read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {config_path()}: {exc}") from None
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Target:
    """The ringway a command calls, and the account it calls as."""

    url: str
    api_key: str
    api_secret: str
    ca_file: str | None


def target_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --url/--api-key/--api-secret/--ca-file and passes a ``target`` instead.

    Each comes from the flag, else its environment variable, else the file ``ringway login``
    wrote.
    """

    @click.option("--url", envvar="RINGWAY_URL", help=f"ringway base URL [default: {DEFAULT_URL}]")
    @click.option("--api-key", envvar="RINGWAY_API_KEY", help="Account api_key.")
    @click.option("--api-secret", envvar="RINGWAY_API_SECRET", help="Account api_secret.")
    @click.option("--ca-file", envvar="RINGWAY_CA_FILE", help="CA bundle for an HTTPS ringway.")
    @functools.wraps(fn)
    def wrapper(
        url: str | None,
        api_key: str | None,
        api_secret: str | None,
        ca_file: str | None,
        **kwargs: Any,
    ) -> Any:
        saved = read_config()
        api_key = api_key or saved.get("api_key")
        api_secret = api_secret or saved.get("api_secret")
        if not api_key or not api_secret:
            raise click.UsageError(
                "no credentials: pass --api-key/--api-secret, set RINGWAY_API_KEY/"
                "RINGWAY_API_SECRET, or run `ringway login`"
            )
        target = Target(url or saved.get("url") or DEFAULT_URL, api_key, api_secret,
                        ca_file or saved.get("ca_file"))  # fmt: skip
        return fn(target=target, **kwargs)

    return wrapper


def client_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``target_options``, but passes a ready ``client``."""

    @target_options
    @functools.wraps(fn)
    def wrapper(target: Target, **kwargs: Any) -> Any:
        from ringway.client import Client

        with _one_line(target.url), Client(target.url, target.api_key, target.api_secret,
                                           verify=target.ca_file or True) as client:  # fmt: skip
            return fn(client=client, **kwargs)

    return wrapper


def voice_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --url/--ca-file (as ``client_options``) and the application the Voice API is
    called as: --app-id and --private-key-file (a JWT is made for the command), or --jwt;
    passes a ready ``voice`` instead."""

    @click.option("--url", envvar="RINGWAY_URL", help=f"ringway base URL [default: {DEFAULT_URL}]")
    @click.option("--ca-file", envvar="RINGWAY_CA_FILE", help="CA bundle for an HTTPS ringway.")
    @click.option("--app-id", envvar="RINGWAY_APP_ID", help="The application (RINGWAY_APP_ID).")
    @click.option("--private-key-file", envvar="RINGWAY_PRIVATE_KEY_FILE",
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Its private key (RINGWAY_PRIVATE_KEY_FILE).")  # fmt: skip
    @click.option("--jwt", "token", envvar="RINGWAY_JWT",
                  help="A JWT of the application instead (RINGWAY_JWT).")  # fmt: skip
    @functools.wraps(fn)
    def wrapper(
        url: str | None,
        ca_file: str | None,
        app_id: str | None,
        private_key_file: Path | None,
        token: str | None,
        **kwargs: Any,
    ) -> Any:
        from ringway.client import Voice

        if not token:
            if not app_id or private_key_file is None:
                raise click.UsageError(
                    "the Voice API is called as an application: pass --app-id and "
                    "--private-key-file (RINGWAY_APP_ID, RINGWAY_PRIVATE_KEY_FILE), or --jwt"
                )
            from ringway.security.jwt import mint

            try:
                token = mint(app_id, private_key_file.read_text())
            except (ValueError, TypeError) as exc:
                raise click.ClickException(f"cannot sign with {private_key_file}: {exc}") from None
        saved = read_config()
        base_url = url or saved.get("url") or DEFAULT_URL
        ca = ca_file or saved.get("ca_file")
        with _one_line(base_url), Voice(base_url, token, verify=ca or True) as voice:
            return fn(voice=voice, **kwargs)

    return wrapper


@contextmanager
def _one_line(base_url: str) -> Iterator[None]:
    """What goes wrong with a request, as one line."""
    import httpx

    from ringway.client import RingwayError

    try:
        yield
    except RingwayError as exc:
        raise click.ClickException(str(exc)) from None
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach ringway at {base_url}: {exc}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option("--url", default=DEFAULT_URL, show_default=True, help="ringway base URL.")
@click.option("--api-key", prompt=True, help="Account api_key.")
@click.option("--api-secret", prompt=True, hide_input=True, help="Account api_secret.")
@click.option("--ca-file", help="CA bundle for an HTTPS ringway (e.g. .ringway/tls/ca.pem).")
def login(url: str, api_key: str, api_secret: str, ca_file: str | None) -> None:
    """Check credentials against a server and save them for later commands."""
    import httpx

    from ringway.client import Client, RingwayError

    ca = str(Path(ca_file).resolve()) if ca_file else None
    with Client(url, api_key, api_secret, verify=ca or True) as client:
        try:
            client.applications.list(page_size=1)
        except (RingwayError, httpx.HTTPError) as exc:
            raise click.ClickException(f"login failed: {exc}") from None
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"url": url, "api_key": api_key, "api_secret": api_secret}
    if ca:
        config["ca_file"] = ca
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(config, handle, indent=2)
    click.echo(f"Saved credentials for {url} to {path}")
