"""The read cache and the engine's journal: the journal's own writes (calls, timelines,
balances) leave cached numbers, applications and accounts in place, and no write that matters,
made by this process or another, is ever missed because of that."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ringway.config import Settings
from ringway.domain.applications import Application, ApplicationIn
from ringway.domain.numbers import NumberQuery
from ringway.services.platform import Platform
from ringway.storage.calls import CallRepository
from ringway.storage.database import CALLS
from ringway.storage.ids import ordered_uuid
from ringway.storage.tables import call_commands
from tests.storage.test_calls import record


@pytest.fixture
def other(settings: Settings) -> Iterator[Platform]:
    """A second platform on the same database: another process, as far as the cache knows."""
    platform = Platform.open(settings, migrate=False)
    yield platform
    platform.close()


def journal(platform: Platform, account_id: str, price: str | None = None) -> None:
    """What the engine's journal writes for a call: a finished leg (charged, if ``price``)."""
    leg = replace(record(account_id, ordered_uuid(), ended=True), price=price)
    CallRepository(platform.db).save([leg], [])


def answering(url: str) -> ApplicationIn:
    return ApplicationIn.model_validate({"name": "answers", "capabilities": {"voice": {
        "webhooks": {"answer_url": {"address": url, "http_method": "GET"}}}}})  # fmt: skip


def counted(value: object) -> tuple[Callable[[], object], list[int]]:
    loads: list[int] = []

    def load() -> object:
        loads.append(1)
        return value

    return load, loads


def test_the_journals_writes_leave_what_they_cannot_change_cached(platform: Platform) -> None:
    account = platform.accounts.create().account_id
    cache = platform.cache
    config, config_loads = counted("an application")
    calls, call_loads = counted("a page of calls")
    for _ in range(3):
        assert cache.get(("config",), config) == "an application"
        assert cache.get(("calls",), calls, calls=True) == "a page of calls"
        journal(platform, account)
    assert cache.get(("config",), config) == "an application"
    assert (len(config_loads), len(call_loads)) == (1, 3)  # the calls, read again each time
    platform.applications.create(account, ApplicationIn(name="anything else"))
    assert cache.get(("config",), config) == "an application"
    assert len(config_loads) == 2


def test_the_engine_never_reads_a_stale_number_or_application_after_another_process_writes(
    platform: Platform, other: Platform
) -> None:
    """The number's application, as the engine finds it for a call, after each change made
    through another process, with the journal of this one writing in between."""
    account = platform.accounts.create().account_id
    app, _ = other.applications.create(account, answering("http://127.0.0.1:9/one"))
    msisdn = other.numbers.search(NumberQuery(country="GB"), 1, 1)[1][0].msisdn
    other.numbers.buy(account, "GB", msisdn)
    other.numbers.link(account, "GB", msisdn, app.id)

    def found() -> Application | None:
        journal(platform, account)
        destination = asyncio.run(platform.calls.destination(msisdn))
        journal(platform, account)
        return destination

    def answer_url() -> str | None:
        app = found()
        hook = app.webhook("voice", "answer_url") if app else None
        return hook["address"] if hook else None

    assert answer_url() == "http://127.0.0.1:9/one"
    other.applications.replace(account, app.id, answering("http://127.0.0.1:9/two"))
    assert answer_url() == "http://127.0.0.1:9/two"
    second, _ = other.applications.create(account, answering("http://127.0.0.1:9/three"))
    other.numbers.link(account, "GB", msisdn, second.id)
    assert answer_url() == "http://127.0.0.1:9/three"
    other.applications.delete(account, second.id)
    assert found() is None


def test_a_write_of_another_process_during_the_journals_is_not_missed(
    platform: Platform, other: Platform
) -> None:
    """Another process commits while the journal's transaction is open, before its own
    commit: the journal's commit is then not the only one since the cache last looked."""
    account = platform.accounts.create().account_id
    app, _ = platform.applications.create(account, ApplicationIn(name="before"))
    for name in ("during", "again"):
        assert platform.applications.get(account, app.id).name != name  # cached
        with platform.db.write(CALLS) as conn:
            other.applications.replace(account, app.id, ApplicationIn(name=name))
            conn.execute(sa.insert(call_commands).values(leg="x" * 36, command={}))
        assert platform.applications.get(account, app.id).name == name


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_write_by_another_program_between_the_journals_is_not_missed(
    platform: Platform,
) -> None:
    account = platform.accounts.create().account_id
    app, _ = platform.applications.create(account, ApplicationIn(name="cached"))
    assert platform.applications.get(account, app.id).name == "cached"
    journal(platform, account)
    path = platform.db.url.database
    assert path
    with sqlite3.connect(path) as outsider:
        outsider.execute("UPDATE applications SET name = 'edited' WHERE id = ?", (app.id,))
    journal(platform, account)
    assert platform.applications.get(account, app.id).name == "edited"


def test_the_balance_shows_what_calls_cost_while_the_account_stays_cached(
    platform: Platform,
) -> None:
    credentials = platform.accounts.create()
    account = credentials.account_id
    assert platform.accounts.authenticate(credentials.api_key, credentials.api_secret)
    before = platform.accounts.balance(account)
    journal(platform, account, price="0.25000000")
    assert platform.accounts.authenticate(credentials.api_key, credentials.api_secret)
    assert Decimal(before - platform.accounts.balance(account)) / 10**8 == Decimal("0.25")
