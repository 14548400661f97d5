"""Applications: create, read, list, replace and delete, for one account at a time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from ringway.domain.applications import (
    Application,
    ApplicationIn,
    capabilities_dump,
)
from ringway.domain.errors import InvalidParameter, not_found, payload_invalid
from ringway.domain.pagination import page_count
from ringway.security.keys import KeyPool, normalize_public_key
from ringway.storage.repositories import ApplicationRepository, utcnow


@dataclass(frozen=True)
class Page:
    items: list[Application]
    page: int
    page_size: int
    total_items: int

    @property
    def total_pages(self) -> int:
        return page_count(self.total_items, self.page_size)


class ApplicationService:
    def __init__(self, applications: ApplicationRepository, key_pool: KeyPool) -> None:
        self._applications = applications
        self._key_pool = key_pool

    def create(
        self, account_id: str, spec: ApplicationIn, app_id: str | None = None
    ) -> tuple[Application, str | None]:
        """Store a new application (with a fresh id unless given); the private key is returned
        when ringway made the pair."""
        private_key = None
        public_key = _public_key(spec)
        if public_key is None:
            private_key, public_key = self._key_pool.take()
        app = Application(
            id=app_id or str(uuid.uuid4()),
            account_id=account_id,
            name=spec.name,
            public_key=public_key,
            capabilities=capabilities_dump(spec.capabilities),
            improve_ai=spec.privacy.improve_ai,
            created_at=utcnow(),
        )
        self._applications.add(app)
        return app, private_key

    def find(self, app_id: str) -> Application | None:
        """Any account's application, for authenticating its tokens."""
        return self._applications.get(app_id)

    def get(self, account_id: str, app_id: str) -> Application:
        app = self._applications.get(app_id)
        if app is None or app.account_id != account_id:
            raise not_found("ID", app_id)
        return app

    def list(self, account_id: str, page: int, page_size: int, name: str = "") -> Page:
        total, items = self._applications.page(account_id, (page - 1) * page_size, page_size, name)
        return Page(items, page, page_size, total)

    def replace(self, account_id: str, app_id: str, spec: ApplicationIn) -> Application:
        """Full replacement; the key is kept unless a new public key is given."""
        current = self.get(account_id, app_id)
        app = replace(
            current,
            name=spec.name,
            public_key=_public_key(spec) or current.public_key,
            capabilities=capabilities_dump(spec.capabilities),
            improve_ai=spec.privacy.improve_ai,
        )
        if not self._applications.replace(app):
            raise not_found("ID", app_id)
        return app

    def revise(
        self, account_id: str, app_id: str, change: Callable[[Application], ApplicationIn]
    ) -> Application:
        """Replace an application with what ``change`` makes of it (the v1 update keeps what
        its shape cannot express)."""
        return self.replace(account_id, app_id, change(self.get(account_id, app_id)))

    def new_key_pair(self, account_id: str, app_id: str) -> tuple[Application, str]:
        """Give the application a fresh key pair; the private key is returned, once."""
        private_key, public_key = self._key_pool.take()
        return self._rekey(account_id, app_id, public_key), private_key

    def set_public_key(self, account_id: str, app_id: str, public_key: str) -> Application:
        """Use the caller's own key pair: only its public key is stored."""
        return self._rekey(account_id, app_id, _normalized(public_key))

    def _rekey(self, account_id: str, app_id: str, public_key: str) -> Application:
        app = replace(self.get(account_id, app_id), public_key=public_key)
        if not self._applications.replace(app):
            raise not_found("ID", app_id)
        return app

    def delete(self, account_id: str, app_id: str) -> None:
        self.get(account_id, app_id)
        if not self._applications.delete(account_id, app_id):
            raise not_found("ID", app_id)


def _public_key(spec: ApplicationIn) -> str | None:
    if spec.keys is None or not spec.keys.public_key:
        return None
    return _normalized(spec.keys.public_key)


def _normalized(public_key: str) -> str:
    try:
        return normalize_public_key(public_key)
    except ValueError as exc:
        raise payload_invalid([InvalidParameter("keys.public_key", str(exc))]) from None
