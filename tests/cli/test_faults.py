"""``ringway faults`` against a live server."""

from __future__ import annotations

import json
from typing import Any


def test_add_list_and_clear(cli: Any) -> None:
    added = cli("faults", "add", "answer-down", "--kind", "answer", "--url-glob", "*/answer",
                "--status", "503", "--times", "2", "--json")  # fmt: skip
    assert json.loads(added.output) == {
        "name": "answer-down", "match": {"kind": "answer", "url": "*/answer"},
        "action": {"status": 503}, "times": 2, "remaining": 2, "matched": 0,
    }  # fmt: skip
    table = cli("faults", "add", "flaky", "--reset", "--probability", "0.3", "--seed", "7")
    assert "Set fault flaky" in table.output and "p=0.3 seed=7" in table.output
    cli("faults", "add", "slow", "--delay-ms", "2000")
    cli("faults", "add", "hang", "--timeout", "--kind", "status")
    listed = json.loads(cli("faults", "list", "--json").output)
    assert [f["name"] for f in listed] == ["answer-down", "flaky", "slow", "hang"]
    assert listed[2]["action"] == {"delay_ms": 2000} and listed[3]["action"] == {"timeout": True}
    shown = cli("faults", "list").output
    assert "2 of 2 left" in shown and "every one" in shown and "delay_ms=2000" in shown
    assert "Deleted fault slow" in cli("faults", "clear", "slow").output
    assert "Deleted 3 faults" in cli("faults", "clear").output
    assert json.loads(cli("faults", "list", "--json").output) == []


def test_bad_faults_are_one_clear_line(cli: Any) -> None:
    both = cli("faults", "add", "x", "--status", "503", "--reset", expect=2)
    assert "exactly one of --status, --delay-ms, --reset, --timeout" in both.output
    assert "exactly one" in cli("faults", "add", "x", expect=2).output
    bad = cli("faults", "add", "x", "--reset", "--times", "2", "--probability", "0.5", expect=1)
    assert "probability: give times or probability, not both" in bad.output
    assert "does not exist" in cli("faults", "clear", "nothing", expect=1).output
