"""Paging links shared by the list endpoints: by page number (HAL, applications) and by
``record_index`` (calls, messages, deliveries)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import urlencode


def page_count(total_items: int, page_size: int) -> int:
    return math.ceil(total_items / page_size)


def page_links(
    path: str, page_param: str, page_size: int, index: int, last_index: int, first_index: int
) -> dict[str, dict[str, str]]:
    """``self``, ``first``, ``last`` and, where they exist, ``prev`` and ``next``.

    ``index`` counts from ``first_index`` (1 for v2 ``page``, 0 for v1 ``page_index``);
    ``last_index`` is the index of the last page that holds items (``first_index`` when none do).
    ``first`` carries no page parameter.
    """

    def href(at: int | None) -> dict[str, str]:
        query = f"page_size={page_size}" + ("" if at is None else f"&{page_param}={at}")
        return {"href": f"{path}?{query}"}

    links = {"self": href(index), "first": href(None), "last": href(last_index)}
    if index > first_index:
        links["prev"] = href(min(index - 1, last_index))
    if index < last_index:
        links["next"] = href(index + 1)
    return links


def record_links(
    path: str,
    size: int,
    index: int,
    total: int,
    kept: Mapping[str, str],
    after: tuple[str | None, str | None] = (None, None),
) -> dict[str, dict[str, str]]:
    """``self`` and, where they exist, ``prev`` and ``next`` of a list paged by ``record_index``
    (as ``GET /v1/calls`` pages), each keeping the ``kept`` parameters (filters, order), so that
    following them pages through the same list. ``after`` is the ``after`` parameter (the last
    item before a page, for a keyset seek) of this page and of the next one."""

    filters = f"&{urlencode(kept)}" if kept else ""

    def href(at: int, last: str | None = None) -> dict[str, str]:
        seek = "" if last is None else f"&{urlencode({'after': last})}"
        return {"href": f"{path}?page_size={size}&record_index={at}{filters}{seek}"}

    links = {"self": href(index, after[0])}
    if index + size < total:
        links["next"] = href(index + size, after[1])
    if index > 0:
        links["prev"] = href(max(index - size, 0))
    return links
