"""The platform: storage, caches and services wired together once per process."""

from __future__ import annotations

from dataclasses import dataclass

from ringway.config import Settings
from ringway.security.jwt import PublicKeyCache
from ringway.security.keys import KeyPool
from ringway.services.accounts import AccountService
from ringway.services.applications import ApplicationService
from ringway.services.numbers import NumberService
from ringway.storage.cache import ReadCache
from ringway.storage.database import Database
from ringway.storage.numbers import NumberRepository
from ringway.storage.repositories import AccountRepository, ApplicationRepository


@dataclass
class Platform:
    settings: Settings
    db: Database
    cache: ReadCache
    key_pool: KeyPool
    accounts: AccountService
    applications: ApplicationService
    numbers: NumberService
    public_keys: PublicKeyCache

    @classmethod
    def open(cls, settings: Settings, migrate: bool = True) -> Platform:
        db = Database(settings.resolved_database_url)
        if migrate:
            db.migrate()
        cache = ReadCache(db.change_watcher())
        db.on_commit(cache.invalidate)
        key_pool = KeyPool(settings.key_pool_size, settings.key_pool_threads)
        application_repository = ApplicationRepository(db, cache)
        numbers = NumberService(NumberRepository(db, cache), application_repository)
        if migrate:
            numbers.stock_default_inventory()
        return cls(
            settings=settings,
            db=db,
            cache=cache,
            key_pool=key_pool,
            accounts=AccountService(AccountRepository(db, cache)),
            applications=ApplicationService(application_repository, key_pool),
            numbers=numbers,
            public_keys=PublicKeyCache(),
        )

    def close(self) -> None:
        self.key_pool.stop()
        self.cache.close()
        self.db.dispose()
