"""Dashboard sessions: which account a signed-in browser acts as (rows in ``storage/sessions``)."""

from __future__ import annotations

import datetime as dt

from ringway.domain.accounts import AccountRow
from ringway.services.accounts import AccountService
from ringway.storage.sessions import SessionRepository


class SessionService:
    def __init__(self, sessions: SessionRepository, accounts: AccountService) -> None:
        self._sessions = sessions
        self._accounts = accounts

    def start(self, account_id: str, lifetime: dt.timedelta, ending: str = "") -> str:
        """A new session of ``account_id`` (its id); the session ``ending`` and every expired
        one end."""
        return self._sessions.start(account_id, lifetime, ending).id

    def account_of(self, session_id: str) -> AccountRow | None:
        """The account the session signed in as, unless the session has ended or expired."""
        row = self._sessions.get(session_id)
        return None if row is None else self._accounts.find_id(row.account_id)

    def end(self, session_id: str) -> None:
        self._sessions.end(session_id)
