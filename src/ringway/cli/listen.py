"""The socket ``ringway serve`` listens on: opened before anything else, so that a busy port is
one clear line, ``--port 0`` knows its port at once, and "listening" is said only when true;
uvicorn serves on it (in each worker, with ``--workers``)."""

from __future__ import annotations

import contextlib
import errno
import socket
import sys

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

BACKLOG = 2048  # uvicorn's


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port``, or one line saying why there is none."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {host} is in use; choose another with --port N "
                "(or RINGWAY_PORT=N), or --port 0 for a free one"
            ) from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def serve_on(sock: socket.socket, config: uvicorn.Config) -> None:
    """Run uvicorn on ``sock``: in this process, or in ``config.workers`` processes."""
    with sock:
        if config.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
            return
        server = uvicorn.Server(config)
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    if not server.started:
        sys.exit(3)  # as uvicorn does: the application could not start
