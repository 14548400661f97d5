"""ringway: a self-hosted, wire-compatible communications-applications platform."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ringway.client import Client, RingwayError

__version__ = "0.1.0"

__all__ = ["Client", "RingwayError", "__version__"]


def __getattr__(name: str) -> Any:
    """``Client`` and ``RingwayError`` import the client (httpx, pydantic) when first used, so
    the ``ringway`` command does not pay for them when it runs no client."""
    if name in ("Client", "RingwayError"):
        from ringway import client

        return getattr(client, name)
    raise AttributeError(f"module 'ringway' has no attribute {name!r}")
