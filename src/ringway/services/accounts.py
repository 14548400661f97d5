"""Accounts: creation, credentials and authentication."""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from decimal import Decimal

from ringway.domain.accounts import EURO, AccountRow, SecretRow
from ringway.security import secrets
from ringway.storage.repositories import AccountRepository, utcnow


@dataclass(frozen=True)
class Credentials:
    """An account's credentials in clear, as shown once at creation."""

    account_id: str
    api_key: str
    api_secret: str
    signature_secret: str


def _secret_matches(row: SecretRow, secret: str) -> bool:
    return secrets.secret_matches(secret, row.salt, row.hash)


class AccountError(Exception):
    """A request about accounts that cannot be carried out (the message says why)."""


class AccountService:
    def __init__(self, accounts: AccountRepository) -> None:
        self._accounts = accounts

    def create(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        signature_secret: str | None = None,
    ) -> Credentials:
        api_key = api_key or secrets.new_api_key()
        if self._accounts.by_api_key(api_key) is not None:
            raise AccountError(f"an account with api_key {api_key!r} already exists")
        credentials = Credentials(
            account_id=str(uuid.uuid4()),
            api_key=api_key,
            api_secret=api_secret or secrets.new_api_secret(),
            signature_secret=signature_secret or secrets.new_signature_secret(),
        )
        salt = secrets.new_salt()
        self._accounts.add(
            AccountRow(
                id=credentials.account_id,
                api_key=credentials.api_key,
                secret_salt=salt,
                secret_hash=secrets.hash_secret(credentials.api_secret, salt),
                signature_secret=credentials.signature_secret,
                created_at=utcnow(),
            )
        )
        return credentials

    def create_first(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        signature_secret: str | None = None,
    ) -> Credentials | None:
        """Create an account if there is none yet; ``None`` when one already exists."""
        if self._accounts.count():
            return None
        return self.create(api_key, api_secret, signature_secret)

    def list(self) -> list[AccountRow]:
        return self._accounts.all()

    def find(self, api_key: str) -> AccountRow | None:
        return self._accounts.by_api_key(api_key)

    def find_id(self, account_id: str) -> AccountRow | None:
        return self._accounts.by_id(account_id)

    def get(self, api_key: str) -> AccountRow:
        account = self.find(api_key)
        if account is None:
            raise AccountError(f"no account has api_key {api_key!r}")
        return account

    def rotate_secret(self, api_key: str, new_secret: str | None = None) -> str:
        """Replace the account's API secret and return the new one (shown once)."""
        account = self.get(api_key)
        secret = new_secret or secrets.new_api_secret()
        salt = secrets.new_salt()
        self._accounts.set_secret(account.id, salt, secrets.hash_secret(secret, salt))
        return secret

    def add_secret(self, account_id: str, secret: str) -> SecretRow | None:
        """One more API secret (``None``: the account has the most it may)."""
        salt = secrets.new_salt()
        return self._accounts.add_secret(account_id, salt, secrets.hash_secret(secret, salt))

    def secrets(self, account_id: str) -> builtins.list[SecretRow]:
        return self._accounts.secrets(account_id)

    def revoke_secret(self, account_id: str, secret_id: str) -> bool | None:
        """``True`` revoked, ``False`` refused (the last one), ``None`` no such secret."""
        return self._accounts.revoke_secret(account_id, secret_id)

    def set_sms_settings(self, account_id: str, **values: str | None) -> AccountRow:
        """The SMS API's default webhooks (``mo_callback_url``, ``dr_callback_url``) or its
        signing method (``sms_signature_method``); ``None`` unsets."""
        self._accounts.set_sms_settings(account_id, **values)
        account = self._accounts.by_id(account_id)
        assert account is not None
        return account

    def balance(self, account_id: str) -> int:
        """The balance now, in hundred-millionths of a euro."""
        return self._accounts.balance(account_id)

    def top_up(self, api_key: str, euros: Decimal) -> Decimal:
        """Add to the account's balance; the new balance in euros."""
        return Decimal(self._accounts.top_up(self.get(api_key).id, round(euros * EURO))) / EURO

    def set_signature_secret(self, api_key: str, signature_secret: str) -> None:
        self._accounts.set_signature_secret(self.get(api_key).id, signature_secret)

    def authenticate(self, api_key: str, api_secret: str) -> AccountRow | None:
        if "\x00" in api_key:
            return None
        return self._accounts.verified(api_key, api_secret, _secret_matches)
