"""The HTTP protocol ``ringway serve`` runs: uvicorn's httptools protocol with a limit on the
request head.

httptools buffers a request line or header however long it is, so a single 16 MiB header would
be held whole before any of ringway's code could refuse it. This protocol counts the head's bytes
as they arrive and answers a 431 as soon as they pass the limit, which it takes from uvicorn's
own setting for it (``h11_max_incomplete_event_size``, named for its other HTTP implementation).

It also ignores an unframed body: bytes that follow a request without a body and cannot begin
a request (``{}`` after a DELETE's head with neither Content-Length nor chunking, as the Node SDK
2.x in the Vonage CLI 1.x sends it). httptools takes them for a malformed next request: uvicorn
would answer 400 and close the connection, often before the request they follow is answered.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httptools
import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from ringway.domain.errors import header_too_large
from ringway.observe.watch import new_id

DEFAULT_MAX_HEAD = 65_536
INVALID = "Invalid HTTP request received."


class HttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_head = config.h11_max_incomplete_event_size or DEFAULT_MAX_HEAD
        self.head_room: int | None = self.max_head  # None while a body comes
        self.no_body = False  # the last complete request had none

    def data_received(self, data: bytes) -> None:
        room = self.head_room
        if room is None or len(data) <= room:
            if room is not None:
                self.head_room = room - len(data)
            self._parse(data)
            return
        self._parse(data[:room])  # the head may end within the limit
        if self.transport.is_closing():
            return
        if self.head_room is None:
            self.data_received(data[room:])
        else:
            self._refuse()

    def _parse(self, data: bytes) -> None:
        """uvicorn's own ``data_received``, except that an unframed body is skipped."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.no_body and not self.url:  # not even a request line began
                self._skip_unframed_body()
            else:
                self.logger.warning(INVALID)
                self.send_400_response(INVALID)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _skip_unframed_body(self) -> None:
        """Forget the bytes that failed to parse, with the parser they broke."""
        self.parser = httptools.HttpRequestParser(self)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.head_room = self.max_head
        if self.cycle.response_complete and not self.pipeline:  # they stopped its idle timer
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.head_room = None

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.parser.should_upgrade() and self._should_upgrade():
            return  # a WebSocket's: the connection is handed over (it may have no cycle yet)
        self.head_room = self.max_head
        self.no_body = not self.cycle.body

    def _refuse(self) -> None:
        body = orjson.dumps(header_too_large(self.max_head).body(str(uuid.uuid4())))
        head = [STATUS_LINE[431], b"x-request-id: %s\r\n" % new_id()]
        head += [b"%s: %s\r\n" % header for header in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n",
                 b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n"]  # fmt: skip
        self.transport.write(b"".join(head) + body)
        self.transport.close()
