"""Signing in with an API key and secret (the APIs' Basic and legacy credentials, the
dashboard), with a limit on failures.

Each failure counts against its api_key and against the client's address. Once either has
failed ``limit`` times within a window of ``window`` seconds, every attempt it makes is a 429
until that window ends, right secret or not (else the answer would tell a right guess from a
wrong one). The counts live in this process: with several workers, each counts on its own.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from ringway.domain.accounts import AccountRow
from ringway.domain.errors import throttled
from ringway.services.accounts import AccountService
from ringway.storage.database import Database


class Failures:
    """Failures by name within fixed windows, for at most ``capacity`` names: when more fail,
    the name whose window began first is forgotten (memory stays bounded, whatever attackers
    send)."""

    def __init__(
        self,
        limit: int,
        window: float,
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._capacity = capacity
        self._clock = clock
        self._counts: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()  # by window end

    def __bool__(self) -> bool:
        return bool(self._counts)

    def wait(self, name: Hashable) -> float:
        """Seconds before ``name`` may try again: 0 unless it reached the limit."""
        now = self._expire()
        ends, count = self._counts.get(name, (now, 0))
        return ends - now if count >= self._limit else 0.0

    def add(self, name: Hashable) -> None:
        now = self._expire()
        ends, count = self._counts.get(name, (now + self._window, 0))
        if not count and len(self._counts) >= self._capacity:
            self._counts.popitem(last=False)
        self._counts[name] = (ends, count + 1)  # a new name goes last: its window ends last

    def _expire(self) -> float:
        now = self._clock()
        while self._counts and next(iter(self._counts.values()))[0] <= now:
            self._counts.popitem(last=False)
        return now


class SignIns:
    def __init__(
        self,
        db: Database,
        accounts: AccountService,
        limit: int,
        window: float,
        capacity: int = 10_000,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._keys = Failures(limit, window, capacity)
        self._addresses = Failures(limit, window, capacity)

    async def account(self, api_key: str, api_secret: str, address: str) -> AccountRow | None:
        """The account of these credentials, ``None`` for wrong ones, or a 429 (a
        ``ProblemError``) while the key or the address is over the limit."""
        if self._keys or self._addresses:  # none failed lately: all a sign-in costs here
            wait = max(self._keys.wait(hash(api_key)), self._addresses.wait(address))
            if wait:
                raise throttled(math.ceil(wait))
        account = await self._db.run(self._accounts.authenticate, api_key, api_secret)
        if account is None:
            self._keys.add(hash(api_key))  # a guessed key may be of any size, its hash is not
            self._addresses.add(address)
        return account
