"""How outcomes are phrased."""

from __future__ import annotations

import pytest

from ringway.domain.outcomes import (
    Outcome,
    of_call,
    of_delivery,
    of_message,
    request_problem,
)


@pytest.mark.parametrize(
    ("outcome", "status", "reason", "said"),
    [
        ("refused", None, "Connection refused", "answer_url unreachable (connection refused)"),
        ("read-timeout", None, "Socket timeout", "answer_url unreachable (no answer in time)"),
        ("http-500", 500, "HTTP 500", "answer_url answered 500"),
        ("invalid-ncco", 200, "Invalid NCCO: [1].endpoint: Field required; [2].text: x",
         "invalid NCCO at [1].endpoint from answer_url (Field required)"),
        ("invalid-ncco", 200, "Invalid NCCO: an NCCO is a non-empty JSON array of actions",
         "invalid NCCO from answer_url (an NCCO is a non-empty JSON array of actions)"),
        ("not-json", 200, "The answer is not JSON",
         "answer_url answered something other than JSON"),
        ("too-large", 200, "The answer is larger than 256 KiB",
         "answer_url: the answer is larger than 256 KiB"),
    ],
)  # fmt: skip
def test_what_was_wrong_with_a_request_for_an_ncco(
    outcome: str, status: int | None, reason: str, said: str
) -> None:
    assert request_problem("answer_url", outcome, status, reason) == said


def test_a_calls_outcome() -> None:
    assert of_call(None, None, [], None) == Outcome("completed", False)
    assert of_call("busy", "busy", [], None) == Outcome("busy", False)
    assert of_call("rejected", "declined", [], None) == Outcome("rejected (declined)", False)
    assert of_call("timeout", None, [], None) == Outcome("not answered in time", False)
    assert of_call("failed", "cannot_route", [], None) == Outcome("failed: cannot route", True)
    both = ["answer_url answered 503", "fallback_answer_url answered 500"]
    assert of_call("failed", "internal_error", both, None) == Outcome(
        "failed: answer_url answered 503, then fallback_answer_url answered 500", True
    )
    assert of_call(None, None, [], "answer_url answered 500") == Outcome(
        "completed (answer_url answered 500; fallback_answer_url answered)", False
    )
    long = of_call(None, None, ["x" * 300], None)
    assert len(long.text) == 255 and long.text.endswith("…") and long.failed


def test_a_messages_outcome() -> None:
    rejected = {"status": "rejected", "error": 1170}
    assert of_message("outbound", rejected, None) == Outcome("recipient rejected (#1170)", True)
    gone = {"status": "undeliverable", "error": 1260}
    assert of_message("outbound", gone, None) == Outcome("undeliverable (#1260)", True)
    assert of_message("outbound", {"status": "read"}, None) == Outcome("read", False)
    assert of_message("outbound", {"status": "submitted"}, None) is None
    assert of_message("inbound", {"status": "received"}, None) is None
    assert of_message("inbound", None, ("inbound_url", "pending", None, 0)) is None
    assert of_message("inbound", None, ("inbound_url", "delivered", "ok", 1)) == Outcome(
        "delivered to inbound_url", False
    )
    assert of_message("inbound", None, ("inbound_url", "failed", "http-404", 1)) == Outcome(
        "failed: inbound_url answered 404", True
    )
    assert of_message("inbound", None, ("inbound_url", "pending", "refused", 2)) == Outcome(
        "failing: inbound_url unreachable (connection refused); ringway tries again", True
    )


def test_a_deliverys_outcome() -> None:
    assert of_delivery("status_url", "failed", "reset", 5) == Outcome(
        "failed: status_url unreachable (connection closed)", True
    )
