"""Everything an account holds but its credentials: what a reset wipes, in one transaction.

``WIPED`` lists each table with the rows of an account it holds, children before parents (so
no foreign key is relied on to cascade); a table added later that holds an account's rows is
one more line. Numbers are not deleted but
put back on sale (``release``), before the applications they may be linked to go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa

from ringway.storage.database import Database
from ringway.storage.numbers import ROUTING
from ringway.storage.tables import (
    accounts,
    applications,
    call_commands,
    call_entries,
    call_timelines,
    calls,
    deliveries,
    delivery_attempts,
    faults,
    messages,
    numbers,
    phones,
    recipients,
    rtc_conversations,
    rtc_events,
    rtc_members,
    rtc_users,
)

Where = Callable[[str], sa.ColumnElement[bool]]


def _owned(table: sa.Table) -> Where:
    """The rows of a table with an ``account_id`` column."""
    return lambda account_id: table.c.account_id == account_id


def _of_calls(column: sa.Column[str], key: str) -> Where:
    """Rows keyed by a leg or a session of the account's calls."""
    return lambda account_id: column.in_(
        sa.select(calls.c[key]).where(calls.c.account_id == account_id)
    )


def _of_apps(table: sa.Table) -> Where:
    return lambda account_id: table.c.application_id.in_(
        sa.select(applications.c.id).where(applications.c.account_id == account_id)
    )


def _in_conversations(table: sa.Table) -> Where:
    return lambda account_id: table.c.conversation_id.in_(
        sa.select(rtc_conversations.c.id).where(_of_apps(rtc_conversations)(account_id))
    )


WIPED: tuple[tuple[sa.Table, Where], ...] = (
    (call_commands, _of_calls(call_commands.c.leg, "uuid")),
    (call_entries, _of_calls(call_entries.c.session, "session")),
    (call_timelines, _of_calls(call_timelines.c.session, "session")),
    (calls, _owned(calls)),
    (delivery_attempts, lambda account_id: delivery_attempts.c.delivery_id.in_(
        sa.select(deliveries.c.id).where(deliveries.c.account_id == account_id))),
    (deliveries, _owned(deliveries)),
    (messages, _owned(messages)),
    (rtc_events, _in_conversations(rtc_events)),
    (rtc_members, _in_conversations(rtc_members)),
    (rtc_conversations, _of_apps(rtc_conversations)),
    (rtc_users, _of_apps(rtc_users)),
    (phones, _owned(phones)),
    (recipients, _owned(recipients)),
    (faults, _owned(faults)),
    (numbers, lambda account_id: numbers.c.account_id == account_id),  # released, not deleted
    (applications, _owned(applications)),
)  # fmt: skip


class AccountData:
    def __init__(self, db: Database) -> None:
        self._db = db

    def wipe(self, account_id: str) -> Counter[str]:
        """Delete everything of the account but its row (numbers go back on sale); the rows
        touched, by table."""
        wiped: Counter[str] = Counter()
        with self._db.write() as conn:
            for table, where in WIPED:
                if table is numbers:
                    statement: sa.Executable = (
                        sa.update(numbers)
                        .where(where(account_id))
                        .values(account_id=None, **dict.fromkeys(ROUTING))
                    )
                else:
                    statement = sa.delete(table).where(where(account_id))
                wiped[table.name] = conn.execute(statement).rowcount
            conn.execute(
                sa.update(accounts).where(accounts.c.id == account_id).values(application_count=0)
            )
        return wiped
