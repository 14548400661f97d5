"""How a call's timeline reads for people: one line per entry, for the CLI and the dashboard."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEXT_WIDTH = 40


def timeline_line(entry: dict[str, Any]) -> str:
    """``HH:MM:SS.mmm  leg  summary``: the virtual time (UTC, as the webhooks' timestamps),
    the last 8 characters of the leg's uuid (the first ones of a call's uuid are its time, the
    same for calls a minute apart; the CLI takes either), and what happened."""
    at = str(entry.get("at", ""))
    clock = at[11:23] if len(at) >= 23 else at
    leg = (entry.get("leg") or "-")[-8:]
    return f"{clock}  {leg:<8}  {summary(entry)}"


def summary(entry: dict[str, Any]) -> str:
    kind = entry["kind"]
    describe = _DESCRIBE.get(kind)
    if describe is not None:
        return describe(entry)
    rest = {k: v for k, v in entry.items() if k not in ("seq", "at", "leg", "kind")}
    return f"{kind} {json.dumps(rest, default=str)}" if rest else kind


def outcome(call: dict[str, Any]) -> str:
    """``Call … completed, duration 3 s``, or what else became of it and its status:
    ``Call … failed: answer_url answered 500; status failed, duration 0 s``."""
    duration = call.get("duration")
    lasted = f", duration {duration} s" if duration not in (None, "") else ""
    said, status = call.get("outcome") or call["status"], call["status"]
    if not said.startswith(status):
        lasted = f"; status {status}{lasted}"
    return f"Call {call['uuid']} {said}{lasted}"


def status_and_outcome(item: dict[str, Any]) -> str:
    """The status, and the outcome beside it when it says more: ``completed (failed: …)``."""
    status, said = str(item.get("status")), item.get("outcome")
    return status if said in (None, status) else f"{status} ({said})"


def address_of(endpoint: Any) -> str:
    """``{"type": "phone", "number": "447…"}`` as ``447…``; other types as ``type:address``."""
    if not isinstance(endpoint, dict):
        return "" if endpoint is None else str(endpoint)
    kind = endpoint.get("type")
    value = next((str(v) for k, v in endpoint.items() if k != "type"), "")
    return value if kind == "phone" else f"{kind}:{value}"


def quoted(text: Any, width: int = TEXT_WIDTH) -> str:
    text = " ".join(str(text).split())
    return f"'{text if len(text) <= width else text[: width - 1] + '…'}'"


def _status(entry: dict[str, Any]) -> str:
    status = entry.get("status")
    if status == "started":
        return f"status started ({entry.get('direction')})"
    return f"status {status}"


def _request(entry: dict[str, Any]) -> str:
    return f"→ {request_sent(entry, full_url=True)} {request_result(entry)}"


def request_sent(entry: dict[str, Any], full_url: bool = False) -> str:
    """A request entry's method, URL (or only its path) and what it was about."""
    parts = urlsplit(str(entry.get("url", "")))
    shown = parts._replace(query="", fragment="").geturl() if full_url else parts.path or "/"
    about = _about(
        entry.get("purpose", ""), (entry.get("request") or {}).get("body", ""), parts.query
    )
    attempt = entry.get("attempt") or 1
    retry = f" (attempt {attempt})" if attempt > 1 else ""
    return f"{entry.get('method', '')} {shown} {about}{retry}"


def request_result(entry: dict[str, Any]) -> str:
    """What came back: the HTTP status and what was wrong with the answer (an invalid NCCO),
    else what failed, and how long it took."""
    status, outcome = entry.get("status"), entry.get("outcome")
    result = status or outcome
    if status and outcome not in (None, "ok") and not str(outcome).startswith("http-"):
        result = f"{status} {outcome}"
    latency = entry.get("latency_ms")
    return f"{result} {latency:g} ms" if isinstance(latency, int | float) else str(result)


def _about(purpose: str, body: str, query: str) -> str:
    """The purpose of a request, with what it says: an event's status, an input's keys."""
    fields: dict[str, Any] = {}
    try:
        parsed = json.loads(body) if body else {}
        fields = parsed if isinstance(parsed, dict) else {}
    except ValueError:
        pass
    if not fields and query:
        fields = {k: v[0] for k, v in parse_qs(query).items()}
    if isinstance(fields.get("status"), str):
        return f"{purpose} {fields['status']}"
    if fields.get("reason"):
        return f"{purpose} error {quoted(fields['reason'])}"
    dtmf = fields.get("dtmf")
    if isinstance(dtmf, dict) and dtmf.get("digits"):
        return f"{purpose} keys {dtmf['digits']}"
    if isinstance(dtmf, dict) and dtmf.get("timed_out"):
        return f"{purpose} timed out"
    speech = fields.get("speech")
    if isinstance(speech, dict):
        texts = [r.get("text") for r in speech.get("results") or [] if isinstance(r, dict)]
        if texts and texts[0]:
            return f"{purpose} speech {quoted(texts[0])}"
    return purpose


def _action(entry: dict[str, Any]) -> str:
    action = entry.get("action") or {}
    name = action.get("action", "?")
    detail = ""
    if name == "talk":
        detail = quoted(action.get("text", ""))
    elif name == "stream":
        detail = " ".join(action.get("streamUrl") or [])
    elif name == "input":
        detail = "+".join(action.get("type") or [])
    elif name == "conversation":
        detail = str(action.get("name", ""))
    elif name == "connect":
        detail = " ".join(address_of(e) for e in action.get("endpoint") or [])
    elif name == "notify":
        detail = " ".join(action.get("eventUrl") or [])
    elif name == "wait":
        detail = f"{action.get('timeout', 10)} s"
    elif name == "transfer":
        detail = str(action.get("conversationId", ""))
    return f"action {name} {detail}".rstrip()


def _input(entry: dict[str, Any]) -> str:
    if entry.get("input") == "dtmf":
        return f"caller keys {entry.get('value')}"
    return f"caller says {quoted(entry.get('value', ''))}"


def _ncco(entry: dict[str, Any]) -> str:
    ncco = entry.get("ncco") or []
    names = ", ".join(str(a.get("action")) for a in ncco if isinstance(a, dict))
    return f"ncco {entry.get('event')}: {names}"


def _error(entry: dict[str, Any]) -> str:
    purpose = entry.get("purpose")
    return f"error {purpose + ': ' if purpose else ''}{entry.get('reason')}"


def _conversation(entry: dict[str, Any]) -> str:
    name = entry.get("conversation") or entry.get("name") or ""
    return f"conversation {entry.get('event')} {name}".rstrip()


def _recording(entry: dict[str, Any]) -> str:
    return (f"recording {entry.get('recording_uuid')} {entry.get('seconds')} s "
            f"{entry.get('size')} bytes")  # fmt: skip


def _phone(entry: dict[str, Any]) -> str:
    return (f"phone {entry.get('address')} {entry.get('behaviour')} "
            f"after {entry.get('answer_after')} s")  # fmt: skip


def _audio(entry: dict[str, Any]) -> str:
    detail = entry.get("text") or entry.get("stream_url") or entry.get("digits") or ""
    shown = quoted(detail) if entry.get("text") else str(detail)
    if entry.get("reason"):  # a stream that cannot be played
        shown = f"{entry.get('url')}: {entry['reason']}"
    return f"{entry['kind']} {entry.get('event')} {shown}".rstrip()


def _sound(entry: dict[str, Any]) -> str:
    """``audio talk from 1.2 s for 2.5 s "Hello"``: a piece of sound, from ``start`` seconds on
    the call's clock."""
    seconds = entry.get("seconds")
    length = "until stopped" if seconds is None else f"for {seconds} s"
    cut = " (cut)" if entry.get("cut") else ""
    said = f" {quoted(entry['text'])}" if entry.get("text") else ""
    url = f" {entry['url']}" if entry.get("url") else ""
    return f"audio {entry.get('source')} from {entry.get('start')} s {length}{cut}{said}{url}"


def _event(entry: dict[str, Any]) -> str:
    body = entry.get("body") or {}
    status = body.get("status") if isinstance(body, dict) else None
    about = f"{entry.get('purpose')} {status}" if status else str(entry.get("purpose"))
    return f"{about} not sent: no URL"


def _websocket(entry: dict[str, Any]) -> str:
    """``websocket connected ws://… audio/l16;rate=16000``, ``websocket closed 1000 by
    ringway: 50 frames out, 12 in, 1 refused``, ``websocket command clear``…"""
    event = entry.get("event")
    if event == "connected":
        detail = f"{entry.get('uri')} {entry.get('content_type')}"
    elif event == "closed":
        counts = [f"{entry.get('frames_out')} frames out", f"{entry.get('frames_in')} in"]
        counts += [f"{entry[k]} {k}" for k in ("refused", "dropped") if entry.get(k)]
        detail = f"{entry.get('code')} by {entry.get('by')}: {', '.join(counts)}"
    elif event == "command":
        detail = str(entry.get("action"))
    elif event == "refused":
        detail = f"a {entry.get('bytes')}-byte frame (frames are {entry.get('expected')})"
    else:
        detail = f"{entry.get('uri')}: {entry.get('outcome')}"
    return f"websocket {event} {detail}"


def _browser(entry: dict[str, Any]) -> str:
    """``browser joined``, ``browser left: 96 frames in, 96 out``."""
    if entry.get("event") == "connected":
        return "browser joined"
    counts = [f"{entry.get('frames_in')} frames in", f"{entry.get('frames_out')} out"]
    counts += [f"{entry[k]} {k}" for k in ("refused", "dropped") if entry.get(k)]
    return f"browser left: {', '.join(counts)}"


_DESCRIBE = {
    "status": _status,
    "request": _request,
    "action": _action,
    "input": _input,
    "ncco": _ncco,
    "error": _error,
    "conversation": _conversation,
    "recording": _recording,
    "audio": _sound,
    "phone": _phone,
    "control": lambda entry: f"control {entry.get('action')}",
    "talk": _audio,
    "stream": _audio,
    "dtmf": _audio,
    "event": _event,
    "websocket": _websocket,
    "browser": _browser,
}
