"""The baseline: a raw ASGI callable answering fixed JSON bytes, with nothing in between.

Run as ``uvicorn bench.raw_asgi:app`` with ``RAW_BODIES`` naming a folder: ``/<name>`` is
answered with the bytes of ``<name>.json`` (201 for POST, 200 otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BODIES = {f"/{p.stem}": p.read_bytes() for p in Path(os.environ["RAW_BODIES"]).glob("*.json")}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["method"] == "POST":
        while (await receive()).get("more_body"):
            pass
    body = BODIES.get(scope["path"], b"{}")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    status = 201 if scope["method"] == "POST" else 200
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
