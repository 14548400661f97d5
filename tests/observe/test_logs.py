"""The log's lines as written: text and JSON, levels, records of the logging module, and the
request id every response carries."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ringway.observe.logs import CHUNK, Log, caller, public_url
from tests.conftest import LiveServer

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@pytest.fixture
def written(tmp_path: Path) -> Iterator[tuple[Log, Path]]:
    """A log of its own and the file it writes to; the root logger as it was afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    log = Log()
    try:
        yield log, tmp_path / "log"
    finally:
        if log.fd != 2:
            os.close(log.fd)
        root.handlers[:] = handlers
        root.setLevel(level)


def open_log(log: Log, path: Path, level: str, fmt: str) -> None:
    log.configure(level, fmt, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND))


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_text_lines_read_as_a_person_would(written: tuple[Log, Path]) -> None:
    log, path = written
    open_log(log, path, "info", "text")
    caller.set(("account", "abcd1234"))
    log.request("GET", "/v2/applications/42", 200, 0.00123, "req-1")
    log.webhook("answer", "GET", "http://user:pw@localhost:3000/answer?to=447700900001&t=x",
                200, "ok", 4.5, "call", "c-1")  # fmt: skip
    log.webhook("event", "POST", "http://localhost:3000/event", None, "refused", 1.0, "call",
                "c-1")  # fmt: skip
    log.flush()
    request, answered, refused = lines(path)
    assert re.fullmatch(
        STAMP + r" INFO    GET /v2/applications/42 200 1\.23ms account=abcd1234 request_id=req-1",
        request,
    )
    assert answered.endswith(
        "INFO    webhook answer GET http://localhost:3000/answer 200 4.50ms call=c-1"
    )
    assert refused.endswith(
        "WARNING webhook event POST http://localhost:3000/event refused 1.00ms call=c-1"
    )


def test_json_lines_carry_every_field(written: tuple[Log, Path]) -> None:
    log, path = written
    open_log(log, path, "debug", "json")
    caller.set(("application", "app-1"))
    log.request("POST", "/v1/calls", 201, 0.01, "req-2")
    log.webhook("message-status", "POST", "https://localhost/status", 503, "http-503", 2.0,
                "message", "m-1")  # fmt: skip
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("ringway.test").exception("it failed on %s", "purpose")
    request, webhook, record = (json.loads(line) for line in lines(path))
    assert re.fullmatch(STAMP, request.pop("time"))
    assert request == {"level": "info", "event": "request", "method": "POST",
                       "path": "/v1/calls", "status": 201, "latency_ms": 10.0,
                       "application": "app-1", "request_id": "req-2"}  # fmt: skip
    webhook.pop("time")
    assert webhook == {"level": "warning", "event": "webhook", "kind": "message-status",
                       "method": "POST", "url": "https://localhost/status", "status": 503,
                       "outcome": "http-503", "latency_ms": 2.0, "message": "m-1"}  # fmt: skip
    assert record["level"] == "error" and record["logger"] == "ringway.test"
    assert record["message"] == "it failed on purpose"
    assert "ValueError: boom" in record["exception"]


def test_a_level_above_info_keeps_only_failures(written: tuple[Log, Path]) -> None:
    log, path = written
    open_log(log, path, "warning", "text")
    assert not log.requests  # the watch then skips the line altogether
    log.webhook("event", "POST", "http://localhost/e", 200, "ok", 1.0, "call", "c-1")
    log.webhook("event", "POST", "http://localhost/e", None, "read-timeout", 1.0, "call", "c-2")
    logging.getLogger("ringway").info("not shown")
    log.flush()
    (line,) = lines(path)
    assert "read-timeout" in line and "call=c-2" in line


def test_lines_wait_for_the_event_loop_and_go_out_in_whole_chunks(
    written: tuple[Log, Path],
) -> None:
    log, path = written
    open_log(log, path, "info", "text")

    async def burst() -> None:
        for number in range(300):
            log.request("GET", "/x" * 20, 200, 0.001, f"r{number}")
        assert path.read_text() == ""  # nothing written yet
        await asyncio.sleep(0.2)

    asyncio.run(burst())
    written_lines = lines(path)
    assert len(written_lines) == 300 and written_lines[-1].endswith("request_id=r299")
    assert len(written_lines[0]) < CHUNK


def test_webhook_urls_are_logged_without_query_or_user_info() -> None:
    assert public_url("https://u:secret@example.test:8443/a/b?token=t#f") == (
        "https://example.test:8443/a/b"
    )
    assert public_url("http://[::1]:3000/hook?x=1") == "http://[::1]:3000/hook"
    assert public_url("http://host:bad/") == "(invalid URL)"


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [("trace-42.a:b", "trace-42.a:b"), ("has spaces", None), ("x" * 129, None), (None, None)],
)
def test_every_response_carries_a_request_id(
    server: LiveServer, sent: str | None, echoed: str | None
) -> None:
    headers = {"X-Request-Id": sent} if sent else {}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        for path in ("/v2/applications/abc", "/v2/applications", "/nowhere", "/_ringway/health"):
            got = client.get(path).headers["x-request-id"]
            if echoed:
                assert got == echoed
            else:
                assert re.fullmatch(r"[0-9a-f]{16}", got), got
