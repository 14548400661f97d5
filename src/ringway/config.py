"""Settings, read from the environment (prefix ``RINGWAY_``) and from command-line flags."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

NETWORK_KEYWORDS = {
    "private": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "fc00::/7",
                "::1/128"],
    "link-local": ["169.254.0.0/16", "fe80::/10"],
}  # fmt: skip
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


class Settings(BaseSettings):
    """Everything a ringway server needs to start; built by the app factory, never at import."""

    model_config = SettingsConfigDict(env_prefix="RINGWAY_", extra="ignore")

    # Where the SQLite database and the TLS files live.
    data_dir: Path = Path(".ringway")
    # SQLAlchemy URL of the database (postgresql://… uses psycopg 3); unset, SQLite in data_dir.
    database_url: str | None = None
    # PostgreSQL connections each server process keeps open for its requests and engine, and
    # how many more it may open for a burst (closed again once returned); a process also holds
    # two connections of its own: one to see other processes' writes, one listening for the
    # commands they leave for its calls. SQLite ignores both.
    database_pool_size: int = Field(default=10, ge=1, le=1000)
    database_max_overflow: int = Field(default=10, ge=0, le=1000)
    # Seconds between a PostgreSQL process's checks for commands other processes left for its
    # calls, besides the notification each brings at once: the safety net while its listening
    # connection is made again. On SQLite, which has no notifications, a process checks every
    # 0.05 s.
    command_poll: float = Field(default=1.0, ge=0.01, le=3600)
    # Credentials of the account created on an empty database (random when unset).
    api_key: str | None = None
    api_secret: SecretStr | None = None
    signature_secret: SecretStr | None = None
    # Whoever sends it as a Bearer token may create accounts over HTTP (POST
    # /_ringway/accounts); unset, nobody may. The test kit sets a random one.
    operator_token: SecretStr | None = None
    # Largest request body accepted, in bytes; larger bodies get a 413.
    max_body_bytes: int = 1_048_576
    # Largest request line and headers accepted together, in bytes; larger get a 431.
    max_header_bytes: int = Field(default=65_536, ge=1024)
    # Seconds an idle keep-alive connection is kept open (``serve``): longer than clients keep
    # theirs, so that none reuses a connection the server is closing at that moment.
    keep_alive: int = Field(default=75, ge=1, le=3600)
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
    # Inbound calls of one account set up (ringing, fetching the answer URL) at once; more
    # wait their turn.
    call_setups: int = Field(default=32, ge=1)
    # Seconds without a heartbeat after which a server process is taken for dead, and its
    # running calls are ended by a live one (a process beats five times in that time).
    process_timeout: float = Field(default=15, ge=0.5, le=3600)
    # Asynchronous deliveries (messages, rtc): seconds before each retry, comma separated (the
    # last repeats); seconds after which they are given up; how long a process holds one it
    # is sending before another may take it over (an attempt lasts at most half of it).
    delivery_retries: str = Field(default="5,60,300,900", pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$")
    delivery_give_up: float = Field(default=86_400, gt=0)
    delivery_lease: float = Field(default=60, gt=0)
    # Networks webhooks may not reach, comma separated: CIDRs, or "private" (RFC 1918, RFC 4193
    # and loopback) and "link-local". Empty: any.
    webhook_deny: str = ""
    # How long finished calls (with their timelines and recordings), messages and deliveries
    # are kept: seconds, or a number with a unit (s, m, h, d). 0 keeps everything.
    retention: float = Field(default=7 * 86_400, ge=0, le=100 * 365 * 86_400)
    # The log on stderr: lines of this level and above (info: a line for every API request
    # and webhook attempt), as readable text or JSON lines.
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("retention", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _DURATION.fullmatch(value.strip().lower())
            if match is None:
                raise ValueError("must be seconds or a number with a unit: 7d, 12h, 90m, 30s")
            return float(match[1]) * UNITS[match[2] or "s"]
        return value

    @field_validator("retention")
    @classmethod
    def _not_too_short(cls, value: float) -> float:
        """Shorter than a minute could prune a call whose last timeline lines are still on
        their way to the database."""
        if 0 < value < 60:
            raise ValueError("must be 0 (keep everything) or at least a minute")
        return value

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
