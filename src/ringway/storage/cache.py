"""A per-process read-through cache for the hot reads, kept coherent across processes.

Before each read the cache asks the database's change watcher whether anyone committed a
write; if so it forgets everything. A value read from the database is only kept if no change
was signalled while it was being read. It holds at most ``max_rows`` rows (an entry counts as
the rows it may hold) and forgets everything when it would hold more.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from ringway.storage.database import ChangeWatcher

_MISSING = object()


class ReadCache:
    def __init__(self, watcher: ChangeWatcher, max_rows: int = 100_000) -> None:
        self._watcher = watcher
        self._entries: dict[Hashable, Any] = {}
        self._rows = 0
        self._generation = 0
        self._max_rows = max_rows

    def get(self, key: Hashable, load: Callable[[], Any], rows: int = 1) -> Any:
        """The cached value for ``key``, calling ``load`` (a database read) on a miss.

        ``rows`` is how many rows the value may hold (a page's limit). A ``None`` (no such row)
        is not kept: keys are what requests name, and every guessed api_key or id would
        otherwise stay in memory.
        """
        self._sync()
        value = self._entries.get(key, _MISSING)
        if value is not _MISSING:
            return value
        generation = self._generation
        value = load()
        self._sync()
        if generation == self._generation and value is not None:
            if self._rows + rows > self._max_rows:
                self._forget()
            self._entries[key] = value
            self._rows += rows
        return value

    @property
    def generation(self) -> int:
        """How many times the cache has forgotten everything for a write."""
        return self._generation

    def invalidate(self) -> None:
        self._forget()
        self._generation += 1

    def _forget(self) -> None:
        self._entries.clear()
        self._rows = 0

    def close(self) -> None:
        self._watcher.close()

    def _sync(self) -> None:
        if self._watcher.changed():
            self.invalidate()
