"""``ringway completion SHELL``: the script that makes a shell complete ringway's commands."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (commands, options, choices). Install it with:

    \b
    bash: eval "$(ringway completion bash)"   # in ~/.bashrc
    zsh:  eval "$(ringway completion zsh)"    # in ~/.zshrc
    fish: ringway completion fish > ~/.config/fish/completions/ringway.fish
    """
    root = click.get_current_context().find_root().command
    script = get_completion_class(shell)(root, {}, "ringway", "_RINGWAY_COMPLETE")  # type: ignore[misc]
    click.echo(script.source())
