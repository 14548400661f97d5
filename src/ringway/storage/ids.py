"""Keys for the busiest tables."""

from __future__ import annotations

import os
import time


def ordered_uuid() -> str:
    """A version 7 UUID (RFC 9562): the Unix time in milliseconds, then random bits.

    Calls are keyed by these, so each new row of ``calls`` and ``call_entries`` lands at the
    end of its indexes; random (version 4) keys touched a random page of every index per row,
    which made the engine's writes slower as the tables grew."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
