"""The call page's sound: the browser's microphone and speakers on a live call (a WebSocket at
``/calls/{uuid}/audio``), and the call's recordings.

The socket is the dashboard's like its forms: opened from a page of this origin (its
``Origin``, which browsers always send on a WebSocket) by a signed-in browser (the session
cookie); anything else is refused before the upgrade (403). Then binary frames carry 16-bit
little-endian mono PCM at 16 kHz, 20 ms a frame, both ways (``engine/browser``), and text
frames say what happens: ``{"event": "ended", "reason": …}`` when the call ends, ``{"error": …}``
when it cannot be joined (then the code is 4409), each in words for people.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.responses import FileResponse, Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ringway.api.auth import platform_of
from ringway.api.voice import call_uuid
from ringway.dashboard.pages import View, page
from ringway.dashboard.session import BadToken, check_origin, current_session
from ringway.domain.errors import ProblemError, not_found
from ringway.engine.recordings import MEDIA_TYPES

REFUSED = 4409  # the closing code when the call cannot be joined (the text frame says why)


async def call_audio(ws: WebSocket) -> None:
    platform = platform_of(ws)
    try:
        check_origin(ws, required=True)
    except BadToken:
        await ws.close()  # before the upgrade: a 403
        return
    session = await current_session(ws, platform)
    if session is None:
        await ws.close()
        return
    await ws.accept()
    try:
        uuid = call_uuid(ws)
        ended = await platform.calls.join(session.account.id, uuid, _frames(ws), _sender(ws))
    except ProblemError as error:
        await ws.send_json({"error": error.detail})
        await ws.close(REFUSED)
        return
    if ended == "call":
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await ws.send_json({"event": "ended", "reason": "The call ended."})
            await ws.close()


async def _frames(ws: WebSocket) -> AsyncIterator[bytes]:
    """The binary frames the browser sends, until it goes (text frames are ignored)."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data is not None:
            yield data


def _sender(ws: WebSocket) -> Callable[[bytes], Awaitable[None]]:
    async def send(frame: bytes) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await ws.send_bytes(frame)  # a browser gone is seen by ``_frames``

    return send


async def recording(view: View) -> Response:
    """A recording of the account's, for the call page's player."""
    recording_uuid = view.request.path_params["uuid"]
    path = view.platform.calls.recording(view.account.id, recording_uuid)
    if path is None:
        raise not_found("recording", recording_uuid.replace("\x00", ""))
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])


routes = [
    WebSocketRoute("/calls/{uuid}/audio", call_audio),
    page("/recordings/{uuid}", GET=recording),
]
