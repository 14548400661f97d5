"""The HTTP protocol ``ringway serve`` runs: uvicorn's httptools protocol with a limit on the
request head.

httptools buffers a request line or header however long it is, so a single 16 MiB header would
be held whole before any of ringway's code could refuse it. This protocol counts the head's bytes
as they arrive and answers a 431 as soon as they pass the limit, which it takes from uvicorn's
own setting for it (``h11_max_incomplete_event_size``, named for its other HTTP implementation).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from ringway.domain.errors import header_too_large
from ringway.observe.watch import new_id

DEFAULT_MAX_HEAD = 65_536


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

    def data_received(self, data: bytes) -> None:
        room = self.head_room
        if room is None or len(data) <= room:
            if room is not None:
                self.head_room = room - len(data)
            super().data_received(data)
            return
        super().data_received(data[:room])  # the head may end within the limit
        if self.transport.is_closing():
            return
        if self.head_room is None:
            self.data_received(data[room:])
        else:
            self._refuse()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.head_room = None

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.head_room = self.max_head

    def _refuse(self) -> None:
        body = orjson.dumps(header_too_large(self.max_head).body(str(uuid.uuid4())))
        head = [STATUS_LINE[431], b"x-request-id: %s\r\n" % new_id()]
        head += [b"%s: %s\r\n" % header for header in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n",
                 b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n"]  # fmt: skip
        self.transport.write(b"".join(head) + body)
        self.transport.close()
