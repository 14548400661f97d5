"""The platform: storage, caches and services wired together once per process."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass

from ringway.config import Settings
from ringway.domain.stored import Counts
from ringway.engine.journal import Journal
from ringway.engine.orphans import Orphans
from ringway.engine.outbox import Outbox, Schedule
from ringway.engine.recordings import Recordings
from ringway.engine.retention import Pruner
from ringway.engine.voice import VoiceEngine
from ringway.engine.webhooks import WebhookClient
from ringway.security.jwt import PublicKeyCache, VerifiedTokens
from ringway.security.keys import KeyPool
from ringway.services.accounts import AccountService
from ringway.services.applications import ApplicationService
from ringway.services.calls import CallService
from ringway.services.conversations import ConversationService
from ringway.services.deliveries import DeliveryService
from ringway.services.faults import FaultService
from ringway.services.messages import MessageService
from ringway.services.numbers import NumberService
from ringway.services.reset import ResetService
from ringway.services.sessions import SessionService
from ringway.services.sign_ins import SignIns
from ringway.services.sms import SmsService
from ringway.storage.account_data import AccountData
from ringway.storage.cache import ReadCache
from ringway.storage.calls import CallRepository
from ringway.storage.conversations import ConversationRepository
from ringway.storage.database import Database
from ringway.storage.deliveries import DeliveryRepository
from ringway.storage.faults import FaultRepository
from ringway.storage.messages import MessageRepository
from ringway.storage.numbers import NumberRepository
from ringway.storage.processes import ProcessRepository
from ringway.storage.repositories import AccountRepository, ApplicationRepository
from ringway.storage.retention import RetentionRepository
from ringway.storage.sessions import SessionRepository
from ringway.storage.stats import Stats


@dataclass
class Platform:
    settings: Settings
    db: Database
    cache: ReadCache
    key_pool: KeyPool
    accounts: AccountService
    sessions: SessionService  # the dashboard's
    sign_ins: SignIns
    applications: ApplicationService
    numbers: NumberService
    public_keys: PublicKeyCache
    tokens: VerifiedTokens
    calls: CallService
    deliveries: DeliveryService
    messages: MessageService
    sms: SmsService
    conversations: ConversationService
    resets: ResetService
    faults: FaultService
    _relay: asyncio.Task[None] | None = None
    _pruner: Pruner | None = None
    _orphans: Orphans | None = None

    @classmethod
    def open(cls, settings: Settings, migrate: bool = True) -> Platform:
        db = Database(settings.resolved_database_url, settings.database_pool_size,
                      settings.database_max_overflow)  # fmt: skip
        if migrate:
            db.migrate()
        cache = ReadCache(db.change_watcher())
        db.on_commit(cache.invalidate)
        key_pool = KeyPool(settings.key_pool_size, settings.key_pool_threads)
        application_repository = ApplicationRepository(db, cache)
        account_repository = AccountRepository(db, cache)
        number_repository = NumberRepository(db, cache)
        numbers = NumberService(number_repository, application_repository)
        if migrate:
            numbers.stock_default_inventory()
        calls = CallService(db, CallRepository(db, cache), number_repository,
                            application_repository, account_repository,
                            settings.clock_speed)  # fmt: skip
        delivery_repository = DeliveryRepository(db)
        deliveries = DeliveryService(db, delivery_repository, account_repository)
        conversations = ConversationService(ConversationRepository(db, delivery_repository),
                                            deliveries)  # fmt: skip
        calls.conversations = conversations
        accounts = AccountService(account_repository)
        message_repository = MessageRepository(db, delivery_repository)
        messages = MessageService(db, message_repository, number_repository,
                                  application_repository, deliveries)  # fmt: skip
        sms = SmsService(message_repository, number_repository, messages.recipients, deliveries,
                         account_repository)  # fmt: skip
        messages.sms_inbound = sms.receive
        return cls(
            settings=settings,
            db=db,
            cache=cache,
            key_pool=key_pool,
            accounts=accounts,
            sessions=SessionService(SessionRepository(db, cache), accounts),
            sign_ins=SignIns(db, accounts, settings.auth_failure_limit,
                             settings.auth_failure_window),
            applications=ApplicationService(application_repository, key_pool),
            numbers=numbers,
            public_keys=PublicKeyCache(),
            tokens=VerifiedTokens(),
            calls=calls,
            deliveries=deliveries,
            messages=messages,
            sms=sms,
            conversations=conversations,
            resets=ResetService(db, calls, AccountData(db)),
            faults=FaultService(db, FaultRepository(db, cache)),
        )  # fmt: skip

    async def start_engine(self) -> VoiceEngine:
        """Start the voice engine (with this process's heartbeat and the end of calls no process
        runs), the outbox and the pruner (unless everything is kept) in the running event loop
        (the server's lifespan)."""
        journal = Journal(self.db)
        journal.start()
        webhooks = WebhookClient(self.settings.denied_networks)
        recordings = Recordings(self.settings.data_dir / "recordings")
        engine = VoiceEngine(
            webhooks,
            journal,
            recordings,
            self.calls,
            lambda: self.settings.public_url.rstrip("/"),
            self.settings.call_setups,
            str(uuid.uuid4()),
            self.faults.pick,
        )
        self.calls.engine = engine
        processes = ProcessRepository(self.db)
        self._orphans = Orphans(engine, self.db, CallRepository(self.db), processes,
                                self.settings.process_timeout)  # fmt: skip
        await self._orphans.start()
        self._relay = asyncio.create_task(self.calls.relay(self.settings.command_poll))
        schedule = Schedule(self.settings.retry_delays, self.settings.delivery_give_up,
                            self.settings.delivery_lease)  # fmt: skip
        outbox = Outbox(self.deliveries.repository, self.db, webhooks, self.deliveries.signer,
                        schedule, faults=self.faults.pick)  # fmt: skip
        outbox.start()
        self.deliveries.outbox = outbox
        if self.settings.retention:
            self._pruner = Pruner(self.db, RetentionRepository(self.db), recordings,
                                  self.settings.retention)  # fmt: skip
            self._pruner.start()
        return engine

    def storage_answers(self) -> bool:
        return Stats(self.db).answers()

    def counts(self) -> Counts:
        """What is stored, counted for the metrics."""
        return Stats(self.db).counts()

    @property
    def engine_running(self) -> bool:
        """Whether the engine and the outbox run (between ``start_engine`` and ``stop_engine``)."""
        outbox = self.deliveries.outbox
        return self.calls.engine is not None and outbox is not None and outbox.running

    async def stop_engine(self) -> int:
        """Stop what ``start_engine`` started; how many calls it ended."""
        pruner, self._pruner = self._pruner, None
        if pruner is not None:
            await pruner.stop()
        outbox, self.deliveries.outbox = self.deliveries.outbox, None
        if outbox is not None:
            await outbox.stop()
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay
            self._relay = None
        await self.calls.settle()
        orphans, self._orphans = self._orphans, None
        if orphans is not None:
            await orphans.stop()
        engine, self.calls.engine = self.calls.engine, None
        ended = await engine.stop() if engine is not None else 0
        if orphans is not None:
            await orphans.leave()  # what the engine could not end is an orphan from now on
        return ended

    def close(self) -> None:
        """Let go of everything; the database's connections before the change watcher (which
        may hold the last descriptor of SQLite's shared-memory file: see ``IndexHeaders``)."""
        self.key_pool.stop()
        self.db.dispose()
        self.cache.close()
