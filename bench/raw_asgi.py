"""The baseline: a raw ASGI callable answering fixed JSON bytes, with nothing in between.

Run as ``uvicorn bench.raw_asgi:app``; ``RAW_BODY_FILE`` names the file whose bytes it serves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BODY = Path(os.environ["RAW_BODY_FILE"]).read_bytes()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
