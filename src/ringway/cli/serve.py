"""``ringway serve``: migrate, make sure an account exists, then run uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ringway.cli.observe import log_options, observe_run
from ringway.cli.options import settings_from, storage_options
from ringway.cli.seed import seed_or_fail

SHOWN = 5  # api keys listed at start


@click.command()
@click.option("--host", envvar="RINGWAY_HOST", default="127.0.0.1", show_default=True,
              help="Interface to bind (RINGWAY_HOST).")  # fmt: skip
@click.option("--port", envvar="RINGWAY_PORT", default=8000, show_default=True,
              type=click.IntRange(0, 65535),
              help="Port to bind, 0 for a free one (RINGWAY_PORT).")  # fmt: skip
@storage_options
@click.option("--tls", is_flag=True, help="Serve HTTPS with a certificate from a local CA.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1), help="Processes.")
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Apply this seed file (TOML or JSON) before serving.",
)
@log_options
def serve(
    host: str,
    port: int,
    data_dir: Path,
    database_url: str | None,
    tls: bool,
    workers: int,
    seed_file: Path | None,
    log_level: str,
    log_format: str,
) -> None:
    """Run the ringway server."""
    import uvicorn

    from ringway.api.protocol import HttpProtocol
    from ringway.cli.listen import listen, serve_on
    from ringway.services.platform import Platform

    sock = click.get_current_context().with_resource(listen(host, port))  # closed on any error
    port = sock.getsockname()[1]
    settings = settings_from(data_dir.resolve(), database_url, key_pool_size=0)
    platform = Platform.open(settings)
    try:
        if seed_file is not None:
            seeded = seed_or_fail(platform, seed_file)
            click.echo(f"Applied {seed_file}: {seeded.summary()}")
            for app in seeded.applications:
                if app.key_written:
                    click.echo(f"  application {app.name}: private key written to "
                               f"{app.private_key_file}")  # fmt: skip
        first = platform.accounts.create_first(
            settings.api_key,
            settings.api_secret.get_secret_value() if settings.api_secret else None,
            settings.signature_secret.get_secret_value() if settings.signature_secret else None,
        )
        keys = [] if first else [account.api_key for account in platform.accounts.list()]
    finally:
        platform.close()
    if first:
        click.echo("Created the first account (the secrets are shown only this once):")
        click.echo(f"  api_key:          {first.api_key}")
        click.echo(f"  api_secret:       {first.api_secret}")
        click.echo(f"  signature_secret: {first.signature_secret}")
    else:
        _existing(keys, settings.data_dir, database_url)
    certfile = keyfile = None
    scheme = "http"
    if tls:
        from ringway.security.tls import ensure_tls

        files = ensure_tls(settings.data_dir)
        certfile, keyfile = str(files.cert), str(files.key)
        scheme = "https"
        click.echo(f"TLS: CA certificate at {files.ca}; trust it with")
        click.echo(f"  export REQUESTS_CA_BUNDLE={files.ca}   # Python (requests, vonage)")
        click.echo(f"  export NODE_EXTRA_CA_CERTS={files.ca}  # Node.js")
    # Workers are separate processes: they read their settings from the environment.
    os.environ["RINGWAY_DATA_DIR"] = str(settings.data_dir)
    url = f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
    os.environ.setdefault("RINGWAY_PUBLIC_URL", url)
    if database_url:
        os.environ["RINGWAY_DATABASE_URL"] = database_url
    click.echo(f"ringway listening on {url}")
    click.echo(f"dashboard: {url}/ (sign in with the API key and secret)")
    observe_run(log_level, log_format)
    config = uvicorn.Config(
        "ringway.api.app:create_worker_app",
        factory=True,
        workers=workers,
        loop="uvloop",
        http=HttpProtocol,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive,
        access_log=False,
        log_config=None,  # uvicorn's records go to ringway's log
        log_level="warning",
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        timeout_graceful_shutdown=3,
    )
    serve_on(sock, config)


def _existing(keys: list[str], data_dir: Path, database_url: str | None) -> None:
    """The accounts of an existing database, and how to get a new secret for one (the secrets
    themselves are stored hashed)."""
    more = len(keys) - SHOWN
    shown = ", ".join(keys[:SHOWN]) + (f" and {more} more" if more > 0 else "")
    click.echo(f"Accounts (api_key): {shown or 'none'}")
    where = "with the same --database-url" if database_url else f"--data-dir {data_dir}"
    click.echo(f"  a new api_secret for one: ringway accounts rotate-secret API_KEY {where}")
