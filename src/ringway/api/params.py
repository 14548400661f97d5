"""Integer parameters of list endpoints, checked against their ranges."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ringway.domain.errors import InvalidParameter


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
