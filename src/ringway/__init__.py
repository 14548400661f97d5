"""ringway: a self-hosted, wire-compatible communications-applications platform."""

from ringway.client import Client, RingwayError

__version__ = "0.1.0"

__all__ = ["Client", "RingwayError", "__version__"]
