"""Reset: wipe everything an account holds but its credentials (``storage/account_data``), after
ending its running calls so that none of them writes into the wiped account."""

from __future__ import annotations

import asyncio
from collections import Counter

from ringway.services.calls import CallService
from ringway.storage.account_data import AccountData
from ringway.storage.database import Database


class ResetService:
    def __init__(self, db: Database, calls: CallService, data: AccountData) -> None:
        self._db = db
        self._calls = calls
        self._data = data

    async def reset(self, account_id: str) -> Counter[str]:
        """End the account's calls (here and in other processes), wipe its rows and its
        recordings; the rows touched, by table. Idempotent."""
        await self._calls.end_for_reset(account_id)
        wiped = await self._db.run(self._data.wipe, account_id)
        await asyncio.to_thread(self._calls.remove_recordings, account_id)
        return wiped
