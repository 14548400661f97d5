"""``ringway serve``: migrate, make sure an account exists, then run uvicorn."""

from __future__ import annotations

import os
from pathlib import Path

import click
import uvicorn

from ringway.api.protocol import HttpProtocol
from ringway.cli.observe import log_options, observe_run
from ringway.cli.options import settings_from, storage_options
from ringway.cli.seed import seed_or_fail
from ringway.security.tls import ensure_tls
from ringway.services.platform import Platform


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
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
    finally:
        platform.close()
    if first:
        click.echo("Created the first account (the secrets are shown only this once):")
        click.echo(f"  api_key:          {first.api_key}")
        click.echo(f"  api_secret:       {first.api_secret}")
        click.echo(f"  signature_secret: {first.signature_secret}")
    certfile = keyfile = None
    scheme = "http"
    if tls:
        files = ensure_tls(settings.data_dir)
        certfile, keyfile = str(files.cert), str(files.key)
        scheme = "https"
        click.echo(f"TLS: CA certificate at {files.ca}; trust it with")
        click.echo(f"  export REQUESTS_CA_BUNDLE={files.ca}   # Python (requests, vonage)")
        click.echo(f"  export NODE_EXTRA_CA_CERTS={files.ca}  # Node.js")
    # Workers are separate processes: they read their settings from the environment.
    os.environ["RINGWAY_DATA_DIR"] = str(settings.data_dir)
    os.environ.setdefault("RINGWAY_PUBLIC_URL", f"{scheme}://{host}:{port}")
    if database_url:
        os.environ["RINGWAY_DATABASE_URL"] = database_url
    click.echo(f"ringway listening on {scheme}://{host}:{port}", err=False)
    click.echo(f"dashboard: {scheme}://{host}:{port}/ (sign in with the API key and secret)")
    observe_run(log_level, log_format)
    uvicorn.run(
        "ringway.api.app:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=HttpProtocol,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        access_log=False,
        log_config=None,  # uvicorn's records go to ringway's log
        log_level="warning",
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        timeout_graceful_shutdown=3,
    )
