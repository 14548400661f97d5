"""What became of a call or a message, in words, for ringway's own views (the wire API keeps
the platform's statuses).

A call ends ``completed``, or as its far end left it (``busy``, ``rejected (declined)`` …), or
failed: ``failed: answer_url unreachable (connection refused)``, ``failed: invalid NCCO at
[1].endpoint from answer_url (Field required)``, ``failed: answer_url answered 500, then
fallback_answer_url answered 500``. A message ends ``delivered``, ``read``, or failed:
``recipient rejected (#1170)``, ``failed: inbound_url answered 404``. *Failed* means the
application's webhooks or the platform let it down, not that the far end was busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COMPLETED = "completed"
ORPHANED = "failed: the server running the call stopped"
INTERNAL = "internal error"  # a problem of a leg whose task broke: ``failed: internal error``
MAX_LENGTH = 255  # what storage keeps

# What each way a request can get no answer is called (the webhook client's outcomes).
UNREACHABLE = {
    "refused": "connection refused",
    "connect-timeout": "connection timed out",
    "read-timeout": "no answer in time",
    "reset": "connection closed",
    "tls-error": "TLS error",
    "blocked": "address not allowed for webhooks",
    "invalid-url": "invalid URL",
    "interrupted": "interrupted",
}
# The name of the URL a call's request went to, by what the request was for.
HOOKS = {
    "answer": "answer_url",
    "event": "event_url",
    "input": "input eventUrl",
    "notify": "notify eventUrl",
    "transfer": "transfer url",
}
FALLBACK = "fallback_answer_url"
# The URL each kind of outbox delivery goes to.
DELIVERY_HOOKS = {"message-inbound": "inbound_url", "message-status": "status_url",
                  "rtc": "event_url", "sms-inbound": "the inbound SMS URL",
                  "sms-receipt": "the delivery receipt URL"}  # fmt: skip
INBOUND = ("message-inbound", "sms-inbound")  # the deliveries that bring a message in
# How a leg's far end left it, by the status it ended with (and the event's ``detail``).
ENDINGS = {
    "busy": "busy",
    "cancelled": "cancelled",
    "timeout": "not answered in time",
    "unanswered": "unanswered",
    "rejected": "rejected",
    "failed": "failed",
}


@dataclass(frozen=True)
class Outcome:
    text: str
    failed: bool


def hook_name(purpose: str) -> str:
    return HOOKS.get(purpose, purpose)


def request_problem(hook: str, outcome: str, status: int | None, reason: str) -> str:
    """What was wrong with the answer to a request that should have brought an NCCO:
    ``outcome`` and ``status`` as the webhook client saw them, ``reason`` as the platform
    words it (``Invalid NCCO: [1].endpoint: Field required``)."""
    if outcome == "invalid-ncco":
        fault = reason.removeprefix("Invalid NCCO: ").split("; ")[0]
        place, _, why = fault.partition(": ")
        if place.startswith("[") and why:
            return f"invalid NCCO at {place} from {hook} ({why})"
        return f"invalid NCCO from {hook} ({fault})"
    if status is not None and not 200 <= status < 300:
        return f"{hook} answered {status}"
    if outcome in UNREACHABLE:
        return f"{hook} unreachable ({UNREACHABLE[outcome]})"
    if outcome == "not-json":
        return f"{hook} answered something other than JSON"
    return f"{hook}: {reason[:1].lower()}{reason[1:]}"


def of_call(
    ending: str | None, detail: str | None, problems: list[str], rescued: str | None
) -> Outcome:
    """A finished leg's outcome: ``ending``, the status it ended early with (``None`` if it
    completed), its ``detail``; ``problems``, the requests for an NCCO that failed it;
    ``rescued``, a failure the fallback answer URL made good."""
    if problems:
        return Outcome(_fit("failed: " + ", then ".join(problems)), True)
    if ending is not None:
        words = ENDINGS.get(ending, ending)
        if detail and detail != ending:
            words = f"{words}: {detail.replace('_', ' ')}" if ending == "failed" else (
                f"{words} ({detail.replace('_', ' ')})")  # fmt: skip
        return Outcome(words, ending == "failed")
    if rescued is not None:
        return Outcome(_fit(f"{COMPLETED} ({rescued}; {FALLBACK} answered)"), False)
    return Outcome(COMPLETED, False)


def of_message(
    direction: str, last: dict[str, Any] | None, inbound: tuple[str, str, str | None, int] | None
) -> Outcome | None:
    """A message's outcome so far (``None`` while nothing is settled): an outbound one's from
    its ``last`` status step (``status``, ``error``?), an inbound one's from the delivery to
    the application (the URL's name, its state, its last attempt's outcome, its attempts)."""
    if direction == "inbound":
        return None if inbound is None else of_delivery(*inbound)
    return None if last is None else of_message_status(last["status"], last.get("error"))


def of_message_status(status: str | None, error: int | None) -> Outcome | None:
    """An outbound message's outcome from its last status so far (``None`` while it may still
    change)."""
    if status == "rejected":
        return Outcome(f"recipient rejected (#{error})", True)
    if status == "undeliverable":
        return Outcome(f"undeliverable (#{error})", True)
    if status in ("delivered", "read"):
        return Outcome(status, False)
    return None


def of_delivery(hook: str, state: str, outcome: str | None, attempts: int) -> Outcome | None:
    """A webhook delivery's outcome: it delivered, or why it failed (``outcome``: its last
    attempt's, ``http-404`` or ``refused``), finally or (while it is retried) so far; ``None``
    before its first attempt."""
    if state == "delivered":
        return Outcome(f"delivered to {hook}", False)
    if attempts == 0 or outcome is None:
        return None
    if outcome.startswith("http-"):
        why = f"{hook} answered {outcome.removeprefix('http-')}"
    else:
        why = f"{hook} unreachable ({UNREACHABLE.get(outcome, outcome)})"
    if state == "failed":
        return Outcome(f"failed: {why}", True)
    return Outcome(f"failing: {why}; ringway tries again", True)


def _fit(text: str) -> str:
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"
