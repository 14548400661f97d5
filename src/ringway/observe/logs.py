"""ringway's log on stderr: a line for every API request and webhook attempt, and whatever else
is logged (warnings, errors), as readable text or as JSON lines.

Request and webhook lines skip the ``logging`` module, whose record costs about as much as a
sixth of a cached GET: they are formatted at once (nothing at all when their level is off) and
written from the event loop in batches, at most 50 ms late, in chunks of whole lines no larger
than a pipe takes in one piece, so that the lines of several workers sharing stderr never mix.
Other records go through ``logging`` and are written at once, after the lines before them.

What a line holds is chosen here: methods, paths without their query, statuses, ids, API keys,
and webhook URLs without their query or user info; never a header or a body, so no secret,
password, token or key can reach the log.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
import traceback
from contextvars import ContextVar
from urllib.parse import urlsplit

import orjson

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip
FORMATS = ("text", "json")
FLUSH_AFTER = 0.05  # seconds a line may wait to be written
FLUSH_LINES = 512  # lines that are written at once, however soon
CHUNK = 4096  # bytes a pipe takes in one piece (PIPE_BUF)
MAX_PATH = 512  # characters of a request path logged

# Who a request acts for, set where it is authenticated: ("account", its API key), or
# ("application", its id) for a JWT.
caller: ContextVar[tuple[str, str] | None] = ContextVar("caller", default=None)
NOBODY = ("account", None)


class Log:
    """The lines of this process, and where they go."""

    def __init__(self) -> None:
        self.requests = False  # whether request lines (INFO) are written
        self.level = logging.WARNING
        self.json = False
        self.fd = 2
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._second = -1
        self._prefix = ""

    def configure(self, level: str, fmt: str, fd: int | None = None) -> None:
        """Write lines of ``level`` and above, as ``fmt`` (text or json), to ``fd`` (stderr);
        records of the ``logging`` module too."""
        self.flush()
        self.level, self.json = LEVELS[level], fmt == "json"
        self.requests = self.level <= logging.INFO
        self.fd = sys.stderr.fileno() if fd is None else fd
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, Handler)]:
            root.removeHandler(handler)
        root.addHandler(Handler(self))
        root.setLevel(self.level)

    def request(self, method: str, path: str, status: int, seconds: float, request_id: str) -> None:
        """The line of an API request (``path`` as sent, without its query)."""
        field, who = caller.get() or NOBODY
        path = path[:MAX_PATH]
        if self.json:
            fields = {"time": self._stamp(), "level": "info", "event": "request",
                      "method": method, "path": path, "status": status,
                      "latency_ms": round(seconds * 1000, 2), field: who,
                      "request_id": request_id}  # fmt: skip
            self._add(orjson.dumps(fields).decode())
        else:
            self._add(f"{self._stamp()} INFO    {method} {path} {status} {seconds * 1000:.2f}ms "
                      f"{field}={who or '-'} request_id={request_id}")  # fmt: skip

    def webhook(
        self, kind: str, method: str, url: str, status: int | None, outcome: str, ms: float,
        subject: str, subject_id: str,
    ) -> None:  # fmt: skip
        """The line of a webhook attempt (INFO, WARNING when it failed): ``subject`` names what
        it is about (call, message, conversation), ``subject_id`` its id."""
        level = logging.INFO if outcome == "ok" else logging.WARNING
        if level < self.level:
            return
        url = public_url(url)
        if self.json:
            fields = {"time": self._stamp(), "level": logging.getLevelName(level).lower(),
                      "event": "webhook", "kind": kind, "method": method, "url": url,
                      "status": status, "outcome": outcome, "latency_ms": round(ms, 2),
                      subject: subject_id}  # fmt: skip
            self._add(orjson.dumps(fields).decode())
        else:
            result = status if outcome == "ok" else outcome
            self._add(f"{self._stamp()} {logging.getLevelName(level):<7} webhook {kind} "
                      f"{method} {url} {result} {ms:.2f}ms {subject}={subject_id}")  # fmt: skip

    def record(self, record: logging.LogRecord) -> None:
        """A record of the ``logging`` module, written at once."""
        message = record.getMessage()
        trace = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
        if self.json:
            fields = {"time": self._stamp(record.created), "level": record.levelname.lower(),
                      "event": "log", "logger": record.name, "message": message,
                      **({"exception": trace} if trace else {})}  # fmt: skip
            line = orjson.dumps(fields).decode()
        else:
            line = f"{self._stamp(record.created)} {record.levelname:<7} {record.name}: {message}"
            line += f"\n{trace.rstrip()}" if trace else ""
        with self._lock:
            self._lines.append(line)
        self.flush()

    def flush(self) -> None:
        """Write the lines waiting."""
        with self._lock:
            lines, self._lines = self._lines, []
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            data = line.encode() + b"\n"
            if chunk and size + len(data) > CHUNK:
                self._write(b"".join(chunk))
                chunk, size = [], 0
            chunk.append(data)
            size += len(data)
        if chunk:
            self._write(b"".join(chunk))

    def _write(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:  # stderr is gone: nothing to tell it
            pass

    def _add(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            waiting = len(self._lines)
        if waiting == 1:
            try:
                asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)
            except RuntimeError:  # no event loop here to write later
                self.flush()
        elif waiting >= FLUSH_LINES:
            self.flush()

    def _stamp(self, now: float | None = None) -> str:
        """UTC, to the millisecond (the second's part formatted once a second)."""
        now = time.time() if now is None else now
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now - second) * 1000):03d}Z"


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
