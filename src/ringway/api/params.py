"""Query-parameter parsing for list endpoints."""

from __future__ import annotations

from starlette.requests import Request

from ringway.domain.errors import InvalidParameter, list_invalid


def int_params(request: Request, spec: dict[str, tuple[int, int, int]]) -> dict[str, int]:
    """Integer query parameters, ``{name: (default, minimum, maximum)}``; 400 names each fault."""
    values: dict[str, int] = {}
    faults: list[InvalidParameter] = []
    for name, (default, low, high) in spec.items():
        raw = request.query_params.get(name)
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
        raise list_invalid(faults)
    return values
