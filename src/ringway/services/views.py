"""What the API makes of records the read cache hands out, made once while the cache keeps them.

Until anything is written, the read cache hands out the same record and page objects again, and
rendering them (a page of ten applications is 7 kB of JSON) cost more than the rest of a list
request. So each rendering is kept with the object it was made from, found again by that
object's identity: an entry holds its object, so the ``id`` it is found by stays that object's.
Everything is forgotten when the cache forgets anything (a write, by any process), or past
``limit``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
S = TypeVar("S")


class Views:
    def __init__(self, generation: Callable[[], int], limit: int = 4096) -> None:
        """``generation``: the read cache's count of the times it forgot anything."""
        self._generation = generation
        self._seen = generation()
        self._limit = limit
        self._entries: dict[tuple[int, Hashable], tuple[object, Any]] = {}

    def get(self, source: object, key: Hashable, make: Callable[[], T]) -> T:
        """What ``make`` makes of ``source`` (an object from the read cache) as ``key`` names
        it, made once while the cache keeps ``source``."""
        generation = self._generation()
        if generation != self._seen:
            self._entries.clear()
            self._seen = generation
        known = self._entries.get((id(source), key))
        if known is not None and known[0] is source:
            made: T = known[1]
            return made
        if len(self._entries) >= self._limit:
            self._entries.clear()
        made = make()
        self._entries[id(source), key] = (source, made)
        return made

    def render(self, view: Callable[[S], T], item: S) -> T:
        """``view(item)``, made once while the cache keeps ``item``."""
        return self.get(item, view, lambda: view(item))
