"""Settings, read from the environment (prefix ``RINGWAY_``) and from command-line flags."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

NETWORK_KEYWORDS = {
    "private": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "fc00::/7",
                "::1/128"],
    "link-local": ["169.254.0.0/16", "fe80::/10"],
}  # fmt: skip


class Settings(BaseSettings):
    """Everything a ringway server needs to start; built by the app factory, never at import."""

    model_config = SettingsConfigDict(env_prefix="RINGWAY_", extra="ignore")

    data_dir: Path = Path(".ringway")
    database_url: str | None = None
    # Credentials of the account created on an empty database (random when unset).
    api_key: str | None = None
    api_secret: SecretStr | None = None
    signature_secret: SecretStr | None = None
    # Largest request body accepted, in bytes; larger bodies get a 413.
    max_body_bytes: int = 1_048_576
    # Largest request line and headers accepted together, in bytes; larger get a 431.
    max_header_bytes: int = Field(default=65_536, ge=1024)
    # Failed sign-ins (API credentials, the dashboard) allowed per api_key and per client
    # address within a window of this many seconds; past the limit, 429 until the window ends.
    auth_failure_limit: int = Field(default=20, ge=1)
    auth_failure_window: float = Field(default=60, gt=0)
    # RSA key pairs kept ready so that creating an application never waits on key generation.
    key_pool_size: int = Field(default=32, ge=0)
    # Threads refilling the pool (default: one per core, at most four).
    key_pool_threads: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 4), ge=1)
    # The address webhooks and recording URLs use to reach this server (serve sets it).
    public_url: str = "http://127.0.0.1:8000"
    # Virtual clock speed of calls: 0 runs them as fast as possible, 1 in real time, 10 ten
    # times faster. A simulated call may ask for its own.
    clock_speed: float = Field(default=0.0, ge=0, le=1000)
    # Inbound calls set up (ringing, fetching the answer URL) at once; more wait their turn.
    call_setups: int = Field(default=32, ge=1)
    # Asynchronous deliveries (messages, rtc): seconds before each retry, comma separated (the
    # last repeats); seconds after which they are given up; how long a process holds one it
    # is sending before another may take it over (longer than an attempt can last).
    delivery_retries: str = Field(default="5,60,300,900", pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$")
    delivery_give_up: float = Field(default=86_400, gt=0)
    delivery_lease: float = Field(default=60, gt=0)
    # Networks webhooks may not reach, comma separated: CIDRs, or "private" (RFC 1918, RFC 4193
    # and loopback) and "link-local". Empty: any.
    webhook_deny: str = ""

    @property
    def retry_delays(self) -> list[float]:
        return [float(part) for part in self.delivery_retries.split(",")]

    @property
    def denied_networks(self) -> list[str]:
        """``webhook_deny`` with its keywords spelled out as CIDRs."""
        networks: list[str] = []
        for item in filter(None, (part.strip() for part in self.webhook_deny.split(","))):
            networks.extend(NETWORK_KEYWORDS.get(item, [item]))
        return networks

    @property
    def resolved_database_url(self) -> str:
        """The database URL: the configured one, or SQLite under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ringway.db').resolve()}"
