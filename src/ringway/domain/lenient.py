"""Values as clients write them: the platform takes ``"true"`` for true, ``"3"`` for 3 and
``"0.4"`` for 0.4 in NCCOs and Voice API bodies (Vonage's own snippets and the Node SDK send
strings), and ``null`` for an optional field as if it were left out."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat, StrictInt

_INTEGER = re.compile(r"\s*[+-]?\d{1,18}\s*")


def _bool(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _int(value: object) -> object:
    return int(value) if isinstance(value, str) and _INTEGER.fullmatch(value) else value


def _float(value: object) -> object:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _written(kind: type, pattern: str) -> Any:
    """What the schema shows: the value, or the string that spells it."""
    return kind | Annotated[str, Field(pattern=pattern)]


TextBool = Annotated[
    StrictBool, BeforeValidator(_bool, json_schema_input_type=_written(bool, r"^(true|false)$"))
]
TextInt = Annotated[
    StrictInt, BeforeValidator(_int, json_schema_input_type=_written(int, r"^[+-]?\d{1,18}$"))
]
TextFloat = Annotated[
    StrictFloat,
    BeforeValidator(_float, json_schema_input_type=_written(float, r"^[+-]?(\d+\.?\d*|\.\d+)$")),
]


def without_nulls(data: Any) -> Any:
    """An object's fields without those that are ``null`` (absent, as the platform reads them)."""
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if value is not None}
    return data
