"""ringway's log on stderr: a line for every API request and webhook attempt, and whatever else
is logged (warnings, errors), as readable text or as JSON lines.

Request and webhook lines skip the ``logging`` module, whose record costs about as much as a
sixth of a cached GET: nothing is done for them when their level is off; else a request is kept
as given and formatted when written. Lines are written from the event loop in batches, at most
50 ms late, in chunks of whole lines no larger than a pipe takes in one piece, so that the lines
of several workers sharing stderr never mix. Other records go through ``logging`` and are
written at once, after the lines before them (from another thread: at once, on their own).

What a line holds is chosen here: methods, paths without their query, statuses, ids, API keys,
and webhook URLs without their query or user info; never a header or a body, so no secret,
password, token or key can reach the log.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
import threading
import time
import traceback
from contextvars import ContextVar
from urllib.parse import urlsplit

import orjson

from ringway.observe import LEVELS

FLUSH_AFTER = 0.05  # seconds a line may wait to be written
FLUSH_LINES = 512  # lines that are written at once, however soon
CHUNK = 4096  # bytes a pipe takes in one piece (PIPE_BUF)
MAX_PATH = 512  # characters of a request path logged

# Who a request acts for, set where it is authenticated: ("account", its API key), or
# ("application", its id) for a JWT.
caller: ContextVar[tuple[str, str] | None] = ContextVar("caller", default=None)
NOBODY = ("account", None)
SILENT = logging.CRITICAL + 1  # the level of a log not configured: nothing is written
# A request's line as given: time, method, path, status, seconds, caller, request id.
Request = tuple[float, str, str, int, float, tuple[str, str] | None, str]


class Log:
    """The lines of this process, and where they go (nowhere until ``configure``)."""

    def __init__(self) -> None:
        self.requests = False  # whether request lines (INFO) are written
        self.level = SILENT
        self.json = False
        self.fd = 2
        # Lines to write: formatted, or requests as given (formatted when written).
        self._lines: list[str | Request] = []
        self._owner = threading.get_ident()  # the thread of the event loop
        self._second = self._ms = -1
        self._prefix = self._stamp_text = ""

    def configure(self, level: str, fmt: str, fd: int | None = None) -> None:
        """Write lines of ``level`` and above, as ``fmt`` (text or json), to ``fd`` (stderr);
        records of the ``logging`` module too. Called on the thread of the event loop."""
        self.flush()
        self.level, self.json = LEVELS[level], fmt == "json"
        self.requests = self.level <= logging.INFO
        self.fd = sys.stderr.fileno() if fd is None else fd
        self._owner = threading.get_ident()
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, Handler)]:
            root.removeHandler(handler)
        root.addHandler(Handler(self))
        root.setLevel(self.level)

    def request(self, method: str, path: str, status: int, seconds: float, request_id: str) -> None:
        """The line of an API request (``path`` as sent, without its query): kept as given,
        and formatted when written."""
        self._add((time.time(), method, path, status, seconds, caller.get(), request_id))

    def webhook(
        self, kind: str, method: str, url: str, status: int | None, outcome: str, ms: float,
        subject: str, subject_id: str,
    ) -> None:  # fmt: skip
        """The line of a webhook attempt (INFO, WARNING when it failed): ``subject`` names what
        it is about (call, message, conversation), ``subject_id`` its id."""
        level = logging.INFO if outcome == "ok" else logging.WARNING
        if level < self.level:
            return
        url, stamp = public_url(url), self._stamp(time.time())
        if self.json:
            fields = {"time": stamp, "level": logging.getLevelName(level).lower(),
                      "event": "webhook", "kind": kind, "method": method, "url": url,
                      "status": status, "outcome": outcome, "latency_ms": round(ms, 2),
                      subject: subject_id}  # fmt: skip
            self._add(orjson.dumps(fields).decode())
        else:
            result = status if outcome == "ok" else outcome
            self._add(f"{stamp} {logging.getLevelName(level):<7} webhook {kind} "
                      f"{method} {url} {result} {ms:.2f}ms {subject}={subject_id}")  # fmt: skip

    def record(self, record: logging.LogRecord) -> None:
        """A record of the ``logging`` module, written at once (on the event loop's thread,
        after the lines before it)."""
        message = record.getMessage()
        trace = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
        stamp = self._stamp(record.created)
        if self.json:
            fields = {"time": stamp, "level": record.levelname.lower(), "event": "log",
                      "logger": record.name, "message": message,
                      **({"exception": trace} if trace else {})}  # fmt: skip
            line = orjson.dumps(fields).decode()
        else:
            line = f"{stamp} {record.levelname:<7} {record.name}: {message}"
            line += f"\n{trace.rstrip()}" if trace else ""
        if threading.get_ident() != self._owner:  # the lines waiting are the loop's to write
            self._write(line.encode() + b"\n")
            return
        self._lines.append(line)
        self.flush()

    def flush(self) -> None:
        """Write the lines waiting (on the event loop's thread)."""
        lines, self._lines = self._lines, []
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            data = (line if isinstance(line, str) else self._request_line(line)).encode() + b"\n"
            if chunk and size + len(data) > CHUNK:
                self._write(b"".join(chunk))
                chunk, size = [], 0
            chunk.append(data)
            size += len(data)
        if chunk:
            self._write(b"".join(chunk))

    def _request_line(self, request: Request) -> str:
        now, method, path, status, seconds, who, request_id = request
        field, key = who or NOBODY
        path = path[:MAX_PATH]
        if self.json:
            fields = {"time": self._stamp(now), "level": "info", "event": "request",
                      "method": method, "path": path, "status": status,
                      "latency_ms": round(seconds * 1000, 2), field: key,
                      "request_id": request_id}  # fmt: skip
            return orjson.dumps(fields).decode()
        return (f"{self._stamp(now)} INFO    {method} {path} {status} {seconds * 1000:.2f}ms "
                f"{field}={key or '-'} request_id={request_id}")  # fmt: skip

    def _write(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:  # stderr is gone: nothing to tell it
            pass

    def _add(self, line: str | Request) -> None:
        lines = self._lines
        lines.append(line)
        if len(lines) == 1:
            try:
                asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)
            except RuntimeError:  # no event loop here to write later
                self.flush()
        elif len(lines) >= FLUSH_LINES:
            self.flush()

    def _stamp(self, now: float) -> str:
        """UTC, to the millisecond (formatted once a millisecond)."""
        ms = int(now * 1000)
        if ms != self._ms:
            second, milli = divmod(ms, 1000)
            if second != self._second:
                self._second = second
                self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._ms, self._stamp_text = ms, f"{self._prefix}.{milli:03d}Z"
        return self._stamp_text


class Handler(logging.Handler):
    """Hands the ``logging`` module's records to the log."""

    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.log.record(record)
        except Exception:
            self.handleError(record)


def public_url(url: str) -> str:
    """A webhook URL as logged: without its query (a GET's fields, or a token someone put
    there) or user info."""
    return _public(url.split("?", 1)[0])


@functools.lru_cache(maxsize=1024)  # an application's few URLs, parsed once
def _public(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "(invalid URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


log = Log()
