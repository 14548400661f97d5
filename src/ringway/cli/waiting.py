"""How the commands that wait for a call or a message to end report it: exit codes, and what
Ctrl-C says."""

from __future__ import annotations

from typing import NoReturn

import click

# 0: it ended well; 1: it failed (or ringway refused the request); 2: bad usage (click's);
# 130: interrupted while waiting (128 + SIGINT, as shells report it).
SUCCEEDED, FAILED, INTERRUPTED = 0, 1, 130


def finish(failed: bool) -> NoReturn:
    """Exit with the code that says whether it failed."""
    raise click.exceptions.Exit(FAILED if failed else SUCCEEDED)


def interrupted(message: str) -> NoReturn:
    """Stop waiting on Ctrl-C: say what is left running, and exit 130."""
    click.echo(f"\nInterrupted: {message}", err=True)
    raise click.exceptions.Exit(INTERRUPTED)
