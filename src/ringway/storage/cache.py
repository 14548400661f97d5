"""A per-process read-through cache for the hot reads, kept coherent across processes.

Before each read the cache asks the database's change watcher whether anyone committed a
write; if so it forgets everything. A value read from the database is only kept if no change
was signalled while it was being read.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from ringway.storage.database import ChangeWatcher

_MISSING = object()


class ReadCache:
    def __init__(self, watcher: ChangeWatcher, max_entries: int = 100_000) -> None:
        self._watcher = watcher
        self._entries: dict[Hashable, Any] = {}
        self._generation = 0
        self._max_entries = max_entries

    def get(self, key: Hashable, load: Callable[[], Any], *, keep_none: bool = True) -> Any:
        """The cached value for ``key``, calling ``load`` (a database read) on a miss.

        ``keep_none=False`` does not remember a ``None`` (so that failed guesses, such as wrong
        credentials, cannot crowd out useful entries).
        """
        self._sync()
        value = self._entries.get(key, _MISSING)
        if value is not _MISSING:
            return value
        generation = self._generation
        value = load()
        self._sync()
        if generation == self._generation and (keep_none or value is not None):
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = value
        return value

    def invalidate(self) -> None:
        self._entries.clear()
        self._generation += 1

    def close(self) -> None:
        self._watcher.close()

    def _sync(self) -> None:
        if self._watcher.changed():
            self.invalidate()
