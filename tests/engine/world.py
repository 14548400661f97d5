"""A platform with a running voice engine and a real receiver for its webhooks, in one event
loop: applications, numbers and simulated calls made in a line each."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ringway.config import Settings
from ringway.domain.applications import Application, parse_application
from ringway.domain.numbers import Routing
from ringway.domain.simulation import Person
from ringway.domain.voice import SimulatedCall
from ringway.engine.session import CallLeg
from ringway.services.accounts import Credentials
from ringway.services.platform import Platform
from tests.receivers import Receiver, Reply, receiver

_numbers = itertools.count(447700900100)


@dataclass
class World:
    platform: Platform
    receiver: Receiver
    account: Credentials
    apps: list[Application] = field(default_factory=list)

    def tenant(self) -> World:
        """Another account on the same platform and receiver (give its applications a
        ``prefix`` of their own)."""
        return World(self.platform, self.receiver, self.platform.accounts.create())

    @property
    def account_id(self) -> str:
        return self.platform.accounts.get(self.account.api_key).id

    def application(
        self,
        *answer: Reply,
        method: str = "GET",
        fallback: list[Reply] | None = None,
        signed: bool = False,
        event_method: str = "POST",
        prefix: str = "",
        socket_timeout: int = 5000,
    ) -> tuple[Application, str]:
        """An application whose answer URL replies ``answer``, linked to a new number."""
        webhooks: dict[str, Any] = {
            "answer_url": {"address": self.receiver.answer(f"{prefix}/answer", *answer),
                           "http_method": method, "socket_timeout": socket_timeout},
            "event_url": {"address": self.receiver.answer(f"{prefix}/event", Reply()),
                          "http_method": event_method},
        }  # fmt: skip
        if fallback:
            webhooks["fallback_answer_url"] = {
                "address": self.receiver.answer(f"{prefix}/fallback", *fallback)
            }
        spec = parse_application({"name": "app", "capabilities": {
            "voice": {"webhooks": webhooks, "signed_callbacks": signed}}})  # fmt: skip
        app, _ = self.platform.applications.create(self.account_id, spec)
        number = str(next(_numbers))
        self.platform.numbers.buy(self.account_id, "GB", number)
        self.platform.numbers.update(self.account_id, "GB", number, Routing(app_id=app.id))
        self.apps.append(app)
        return app, number

    async def call(self, to: str, caller: Person | None = None, **more: Any) -> CallLeg:
        """A simulated call from 447700900001 to ``to``, run to its end."""
        leg = await self.start(to, caller, **more)
        await leg.session.done.wait()
        return leg

    async def start(self, to: str, caller: Person | None = None, **more: Any) -> CallLeg:
        request = SimulatedCall.model_validate(
            {"from": "447700900001", "to": to, "caller": caller or Person(), **more}
        )
        return await self.platform.calls.simulate(self.account_id, request)

    def events(self, path: str = "/event") -> list[dict[str, Any]]:
        """The bodies (or query) of every request to ``path``, in order."""
        return [orjson.loads(r.body) if r.body else dict(r.query) for r in self.receiver.on(path)]

    def statuses(self, path: str = "/event", leg: str | None = None) -> list[str]:
        return [e["status"] for e in self.events(path)
                if "status" in e and (leg is None or e.get("uuid") == leg)]  # fmt: skip


@asynccontextmanager
async def world(
    tmp_path: Path, database_url: str | None = None, **settings: Any
) -> AsyncIterator[World]:
    platform = Platform.open(
        Settings(data_dir=tmp_path, database_url=database_url, key_pool_size=0, **settings)
    )
    try:
        await platform.start_engine()
        async with receiver() as rec:
            try:
                yield World(platform, rec, platform.accounts.create())
            finally:
                await platform.stop_engine()
    finally:
        platform.close()


def play(tmp_path: Path, test: Callable[[World], Awaitable[None]], **settings: Any) -> None:
    """Run ``test`` against a fresh world, in an event loop of its own."""

    async def main() -> None:
        async with world(tmp_path, **settings) as w:
            await test(w)

    asyncio.run(main())


def at(value: str) -> datetime:
    """A wire timestamp as a datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def talk(text: str = "Hello", **more: Any) -> dict[str, Any]:
    return {"action": "talk", "text": text, **more}
