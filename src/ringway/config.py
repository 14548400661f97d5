"""Settings, read from the environment (prefix ``RINGWAY_``) and from command-line flags."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    # RSA key pairs kept ready so that creating an application never waits on key generation.
    key_pool_size: int = Field(default=32, ge=0)
    # Threads refilling the pool (default: one per core, at most four).
    key_pool_threads: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 4), ge=1)

    @property
    def resolved_database_url(self) -> str:
        """The database URL: the configured one, or SQLite under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ringway.db').resolve()}"
