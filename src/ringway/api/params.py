"""Parameters of list endpoints: integers checked against their ranges, and paging by
``record_index`` as ``GET /v1/calls`` pages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request

from ringway.api.auth import platform_of
from ringway.api.http import reject_unstorable
from ringway.api.operations import query
from ringway.domain.errors import InvalidParameter, list_invalid
from ringway.domain.pagination import record_links

PAGING = ("page_size", "record_index", "after")
FAILED_ONLY = query("failed", {"type": "string", "enum": ["0", "1", "false", "true"]},
                    description="1: only failures")  # fmt: skip


def int_params(
    source: Mapping[str, str],
    spec: dict[str, tuple[int, int, int]],
    fail: Callable[[list[InvalidParameter]], Exception],
) -> dict[str, int]:
    """``{name: (default, minimum, maximum)}`` read from ``source``; ``fail`` names each fault."""
    values: dict[str, int] = {}
    faults: list[InvalidParameter] = []
    for name, (default, low, high) in spec.items():
        raw = source.get(name)
        if raw is None:
            values[name] = default
            continue
        try:
            value = int(raw)
        except ValueError:
            faults.append(InvalidParameter(name, "must be an integer"))
            continue
        if not low <= value <= high:
            faults.append(InvalidParameter(name, f"must be between {low} and {high}"))
        values[name] = value
    if faults:
        raise fail(faults)
    return values


def one_of(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of ``allowed`` when given, or a 400 saying so."""
    value = request.query_params.get(name)
    if value is not None and value not in allowed:
        raise list_invalid([InvalidParameter(name, f"must be one of {', '.join(allowed)}")])
    return value


def record_paging(request: Request, default_size: int) -> tuple[int, int]:
    """``page_size`` (1 to 100) and ``record_index``, or a 400 naming what is wrong."""
    params = dict(request.query_params)  # a dict's get, not a miss raised and caught
    reject_unstorable(params)
    paging = int_params(params, {"page_size": (default_size, 1, 100),
                                 "record_index": (0, 0, 2**31 - 1)}, list_invalid)  # fmt: skip
    return paging["page_size"], paging["record_index"]


def public(request: Request, path: str) -> str:
    """``path`` as an absolute URL at the server's public address, as the platform writes the
    links of its calls, users and conversations lists (the Node SDK reads them with ``new
    URL(href)``)."""
    return platform_of(request).settings.public_url.rstrip("/") + path


def record_page(
    request: Request, total: int, index: int, size: int, name: str, items: list[Any],
    absolute: bool = False, after: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:  # fmt: skip
    """A page as ``GET /v1/calls`` answers: ``count``, ``page_size``, ``record_index``, links to
    this page and its neighbours (``absolute`` URLs, or paths; ``after`` as ``record_links``
    takes it), and the items under ``_embedded.<name>``."""
    kept = {key: value for key, value in request.query_params.items() if key not in PAGING}
    path = request.scope["path"]  # (``request.url`` would parse the whole URL first)
    path = public(request, path) if absolute else path
    links = record_links(path, size, index, total, kept, after)
    return {"count": total, "page_size": size, "record_index": index, "_links": links,
            "_embedded": {name: items}}  # fmt: skip
