"""A per-process read-through cache for the hot reads, kept coherent across processes.

Before each read the cache asks the database's change watcher whether anyone committed a write;
if so it forgets everything. After a write of ``CALLS`` of this process's own (the engine's
journal, many a second) that the watcher can tell is the only commit since it last looked, the
cache forgets only what it holds of calls. A value read from the database is only kept if
nothing it may depend on was signalled changed while it was being read. It holds at most
``max_rows`` rows (an entry counts as the rows it may hold) and forgets everything when it
would hold more.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from ringway.storage.database import CALLS, EVERYTHING, ChangeWatcher, Signal

_MISSING = object()


class ReadCache:
    def __init__(self, watcher: ChangeWatcher, max_rows: int = 100_000) -> None:
        self._watcher = watcher
        self._entries: dict[Hashable, Any] = {}
        self._calls: dict[Hashable, int] = {}  # entries read from the calls' tables: their rows
        self._rows = 0
        self._generations = {CALLS: 0, EVERYTHING: 0}
        self._max_rows = max_rows

    def get(
        self, key: Hashable, load: Callable[[], Any], rows: int = 1, calls: bool = False
    ) -> Any:
        """The cached value for ``key``, calling ``load`` (a database read) on a miss.

        ``rows`` is how many rows the value may hold (a page's limit); ``calls``: the value is
        read from the calls' tables, which the journal's writes change. A ``None``
        (no such row) is not kept: keys are what requests name, and every guessed api_key or id
        would otherwise stay in memory.
        """
        self._sync()
        value = self._entries.get(key, _MISSING)
        if value is not _MISSING:
            return value
        kind = CALLS if calls else EVERYTHING
        generations = self._generations[kind], self._generations[EVERYTHING]
        value = load()
        self._sync()
        if generations == (self._generations[kind], self._generations[EVERYTHING]) and (
            value is not None
        ):
            if self._rows + rows > self._max_rows:
                self._forget()
            self._entries[key] = value
            self._rows += rows
            if calls:
                self._calls[key] = rows
        return value

    @property
    def generation(self) -> int:
        """How many times the cache has forgotten anything for a write (everything, or what it
        held of calls)."""
        return self._generations[CALLS] + self._generations[EVERYTHING]

    def committed(self, changes: int, signal: Signal) -> None:
        """After a write of this process's own (``Database.on_commit``)."""
        if changes == CALLS and self._watcher.adopt(signal):
            self.invalidate(CALLS)
        else:
            self.invalidate()

    def invalidate(self, changes: int = EVERYTHING) -> None:
        """Forget what a write of ``changes`` (``CALLS`` or ``EVERYTHING``) may have changed."""
        if changes >= EVERYTHING:
            self._forget()
            self._generations[EVERYTHING] += 1
        elif changes == CALLS and self._calls:
            for key, rows in self._calls.items():
                del self._entries[key]
                self._rows -= rows
            self._calls.clear()
        if changes >= CALLS:
            self._generations[CALLS] += 1

    def _forget(self) -> None:
        self._entries.clear()
        self._calls.clear()
        self._rows = 0

    def close(self) -> None:
        self._watcher.close()

    def _sync(self) -> None:
        if self._watcher.changed():
            self.invalidate()
