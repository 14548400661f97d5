"""``ringway completion SHELL``: the script a shell sources completes commands and options."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringway.cli import main


def complete(*words: str) -> list[str]:
    """What bash offers for the last of ``words`` after sourcing ``ringway completion bash``."""
    line = " ".join(repr(word) if word == "" else word for word in words)
    script = (f'eval "$(ringway completion bash)"; COMP_WORDS=({line}); '
              f'COMP_CWORD={len(words) - 1}; _ringway_completion ringway; '
              'printf "%s\\n" "${COMPREPLY[@]}"')  # fmt: skip
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(["bash", "-c", script], env={**os.environ, "PATH": path},
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_bash_completes_commands_and_options() -> None:
    assert complete("ringway", "cal") == ["calls"]
    assert {"hangup", "transfer", "talk", "stream", "dtmf", "simulate"} <= set(
        complete("ringway", "calls", "")
    )
    assert "--from-user" in complete("ringway", "calls", "simulate", "--f")


def test_every_shell_gets_its_script() -> None:
    for shell, marker in (("bash", "complete -o nosort -F _ringway_completion ringway"),
                          ("zsh", "#compdef ringway"),
                          ("fish", "complete --no-files --command ringway")):  # fmt: skip
        result = CliRunner().invoke(main, ["completion", shell])
        assert result.exit_code == 0 and marker in result.output, result.output
    assert CliRunner().invoke(main, ["completion", "tcsh"]).exit_code == 2
