"""Ringway Tours' phone menu: a small voice application (aiohttp) to copy.

A caller hears the menu; 1 puts them through to sales, 2 hears the opening hours, anything
else hears the menu once more. Messages sent to the number are taken and kept. Run it with
``python ivr.py`` (port 3000, or ``PORT``) and point an application's answer URL at
http://localhost:3000/answer, its event URL at http://localhost:3000/event, and, for messages,
its inbound and status URLs at http://localhost:3000/inbound and http://localhost:3000/status.
"""

from __future__ import annotations

import os

from aiohttp import web

SALES = os.environ.get("SALES_NUMBER", "447700900999")  # a fictional number
BASE_URL = web.AppKey("base_url", str)  # where the platform sends the IVR's requests
EVENTS = web.AppKey("events", list)  # every call event the platform posted
MESSAGES = web.AppKey("messages", list)  # every inbound message and message status
MENU = "Welcome to Ringway Tours. Press 1 for sales, or 2 for our opening hours."
HOURS = "We are open from nine to five, Monday to Friday. Goodbye."


def menu(base_url: str) -> list[dict[str, object]]:
    return [
        {"action": "talk", "text": MENU, "bargeIn": True},
        {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1, "timeOut": 5},
         "eventUrl": [f"{base_url}/input"]},
    ]  # fmt: skip


async def answer(request: web.Request) -> web.Response:
    return web.json_response(menu(request.app[BASE_URL]))


async def choice(request: web.Request) -> web.Response:
    """What the caller keyed: an NCCO for what happens next."""
    result = await request.json()
    digits = result.get("dtmf", {}).get("digits", "")
    if digits == "1":
        return web.json_response([
            {"action": "talk", "text": "Putting you through to sales."},
            {"action": "connect", "endpoint": [{"type": "phone", "number": SALES}]},
        ])  # fmt: skip
    if digits == "2":
        return web.json_response([{"action": "talk", "text": HOURS}])
    return web.json_response(menu(request.app[BASE_URL]))


async def event(request: web.Request) -> web.Response:
    request.app[EVENTS].append(await request.json())
    return web.Response()


async def message(request: web.Request) -> web.Response:
    """An inbound message or a message's status: kept, and acknowledged with a 200."""
    request.app[MESSAGES].append(await request.json())
    return web.Response()


def make_app(base_url: str) -> web.Application:
    """The application, telling the platform to send its requests to ``base_url``."""
    app = web.Application()
    app[BASE_URL], app[EVENTS], app[MESSAGES] = base_url.rstrip("/"), [], []
    app.add_routes([web.get("/answer", answer), web.post("/input", choice),
                    web.post("/event", event), web.post("/inbound", message),
                    web.post("/status", message)])  # fmt: skip
    return app


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "3000"))
    web.run_app(make_app(f"http://localhost:{port}"), host="127.0.0.1", port=port)
