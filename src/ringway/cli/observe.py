"""``serve``'s log options, and what a run of the server needs for its log and metrics."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ringway.observe import FORMATS, LEVELS

F = TypeVar("F", bound=Callable[..., Any])


def log_options(command: F) -> F:
    """``--log-level`` and ``--log-format``."""
    command = click.option(
        "--log-format", type=click.Choice(FORMATS, case_sensitive=False), default="text",
        envvar="RINGWAY_LOG_FORMAT", show_default=True,
        help="Log lines as readable text or as JSON lines (RINGWAY_LOG_FORMAT).",
    )(command)  # fmt: skip
    return click.option(
        "--log-level", type=click.Choice(list(LEVELS), case_sensitive=False), default="info",
        envvar="RINGWAY_LOG_LEVEL", show_default=True,
        help="Least level logged; info logs every API request and webhook attempt "
        "(RINGWAY_LOG_LEVEL).",
    )(command)  # fmt: skip


def observe_run(level: str, fmt: str) -> None:
    """Log as asked, here and in the workers (which read it from the environment), and keep
    the workers' metrics in a directory of this run's own, removed when the run ends."""
    from ringway.observe.logs import log

    level, fmt = level.lower(), fmt.lower()
    os.environ["RINGWAY_LOG_LEVEL"], os.environ["RINGWAY_LOG_FORMAT"] = level, fmt
    log.configure(level, fmt)
    directory = tempfile.mkdtemp(prefix="ringway-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    atexit.register(log.flush)
