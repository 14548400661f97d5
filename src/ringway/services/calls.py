"""Calls: simulated inbound calls, Voice API calls, live control, timelines and virtual phones.
The engine runs the calls; this layer resolves numbers, applications and accounts for it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ringway.domain.applications import Application
from ringway.domain.calls import CallQuery, CallRecord, Entry
from ringway.domain.errors import (
    InvalidParameter,
    conflict,
    not_found,
    not_live,
    not_routed,
    payload_invalid,
)
from ringway.domain.ncco import machine_detection, ncco_field, parse_ncco
from ringway.domain.numbers import Number, normalize_msisdn
from ringway.domain.simulation import Phone
from ringway.domain.voice import (
    CallRequest,
    CallUpdate,
    SimulatedCall,
    StreamRequest,
    TalkRequest,
)
from ringway.engine.browser import Browsers, Refused, Send
from ringway.engine.clock import Clock
from ringway.engine.session import CallLeg, Session
from ringway.engine.voice import VoiceEngine, dial_of
from ringway.engine.webhooks import Signer, Target
from ringway.security.signing import callback_signer
from ringway.services.conversations import AppLeg, ConversationService
from ringway.services.parties import Parties
from ringway.storage.calls import CallRepository
from ringway.storage.database import Database
from ringway.storage.numbers import NumberRepository
from ringway.storage.repositories import AccountRepository, ApplicationRepository
from ringway.storage.tables import phones

log = logging.getLogger("ringway.calls")
RESET = "reset"  # the command that ends a call a reset wiped, storing nothing more of it
ELSEWHERE = (
    "This call runs in another ringway process (a worker or a node), where its audio "
    "is: the microphone joins only calls of the process it reaches. Run ringway with "
    "one worker to talk on its calls."
)
RESET_GRACE = 2.0  # seconds a reset lets the account's calls end (their last events)
UNANNOUNCED_POLL = 0.05  # seconds between looks for commands where none is announced (SQLite)


class CallService:
    def __init__(
        self,
        db: Database,
        calls: CallRepository,
        numbers: NumberRepository,
        applications: ApplicationRepository,
        accounts: AccountRepository,
        clock_speed: float,
    ) -> None:
        self._db = db
        self._calls = calls
        self.phones = Parties(db, phones, Phone, "phone")
        self._numbers = numbers
        self._applications = applications
        self._accounts = accounts
        self._speed = clock_speed
        self.engine: VoiceEngine | None = None
        self._wiping: set[asyncio.Task[None]] = set()  # calls a reset elsewhere is ending
        self.conversations: ConversationService | None = None  # set once both exist
        self.browsers = Browsers()

    @property
    def _engine(self) -> VoiceEngine:
        assert self.engine is not None, "the voice engine runs inside the server"
        return self.engine

    # -- the directory the engine consults -------------------------------------------------

    async def destination(self, number: str) -> Application | None:
        return await self._answering(await self._db.run(self._numbers.get, number))

    async def _answering(self, record: Number | None) -> Application | None:
        """The application a number is linked to, if it has a voice answer URL."""
        if record is None or record.app_id is None:
            return None
        app = await self._db.run(self._applications.get, record.app_id)
        return app if app is not None and app.webhook("voice", "answer_url") else None

    async def application(self, app_id: str) -> Application | None:
        return await self._db.run(self._applications.get, app_id)

    async def phone(self, account_id: str, address: str, endpoint_type: str) -> Phone:
        return await self._db.run(self.phones.get, account_id, address, Phone())

    async def app_leg(self, leg: CallLeg) -> None:
        if leg.application is None or self.conversations is None:
            return
        user = leg.leg.to if leg.leg.direction == "outbound" else leg.leg.from_
        view = AppLeg(leg.uuid, leg.leg.conversation_uuid, leg.leg.direction, user,
                      str(leg.leg.status), [(str(s), at) for s, at in leg.leg.history])  # fmt: skip
        try:
            await self._db.run(self.conversations.leg_status, leg.application, view)
        except Exception:  # the call goes on whatever becomes of its rtc events
            log.exception("could not record the rtc events of leg %s", leg.uuid)

    async def signer(self, application: Application, always: bool = False) -> Signer | None:
        signed = (application.capabilities.get("voice") or {}).get("signed_callbacks")
        if not (signed or always):
            return None
        account = await self._db.run(self._accounts.by_id, application.account_id)
        if account is None:
            return None
        return callback_signer(account.signature_secret, account.api_key, application.id)

    # -- placing calls -------------------------------------------------------------------

    async def simulate(self, account_id: str, request: SimulatedCall) -> CallLeg:
        """A simulated person calls one of the account's numbers."""
        try:
            number = normalize_msisdn(request.to)
        except ValueError as exc:
            raise payload_invalid([InvalidParameter("to", str(exc))]) from None
        record = await self._db.run(self._numbers.get, number)
        if record is None or record.account_id != account_id:
            raise not_found("number", request.to)
        app = await self._answering(record)
        if app is None:
            raise not_routed(number, "is not linked to an application with a voice answer_url")
        clock = Clock(self._speed if request.speed is None else request.speed)
        session = self._engine.session(account_id, clock)
        caller, endpoint = request.from_.lstrip("+"), "phone"
        if request.from_user is not None:
            caller, endpoint = request.from_user, "app"
        leg = await self._engine.call_in(app, session, caller, number, person=request.caller,
                                         endpoint_type=endpoint,
                                         custom_data=request.custom_data)  # fmt: skip
        await self._engine.journal.stored()  # acknowledged: any process can now find it
        return leg

    async def call_out(self, application: Application, request: CallRequest) -> CallLeg:
        """``POST /v1/calls``."""
        ncco = None
        if request.ncco is not None:
            ncco = ncco_field(request.ncco, "ncco")
        hooks = await self._engine.hooks_of(application)
        if request.answer_url is not None:
            answer = Target(request.answer_url[0], request.answer_method, socket_timeout_ms=5000)
            hooks = replace(hooks, answer=answer)
        if request.event_url is not None:
            event = replace(hooks.event or Target(""), url=request.event_url[0],
                            method=request.event_method)  # fmt: skip
            hooks = replace(hooks, event=event)
        caller = request.from_.number.lstrip("+") if request.from_ else await self._random(
            application.account_id)  # fmt: skip
        dial = dial_of(request.to[0].model_dump(mode="json", by_alias=True))
        session = self._engine.session(application.account_id, Clock(self._speed))
        leg = await self._engine.call_out(application, session, dial, caller, hooks, ncco=ncco,
                                          ringing_timer=request.ringing_timer,
                                          length_timer=request.length_timer,
                                          machine_detection=machine_detection(
                                              request.machine_detection,
                                              request.advanced_machine_detection))  # fmt: skip
        await self._engine.journal.stored()  # acknowledged: any process can now find it
        return leg

    async def any_number(self, account_id: str) -> str | None:
        """The account's lowest number, to call from when any will do."""
        return await self._db.run(self._numbers.first_owned, account_id)

    async def _random(self, account_id: str) -> str:
        owned = await self.any_number(account_id)
        if owned is None:
            raise payload_invalid([InvalidParameter(
                "random_from_number", "the account owns no number to call from")])  # fmt: skip
        return owned

    # -- reading -------------------------------------------------------------------------

    async def get(self, account_id: str, uuid: str) -> CallRecord:
        leg = self._engine.legs.get(uuid) if self.engine else None
        if leg is not None and leg.session.account_id == account_id:
            return leg.record()
        record = await self._db.run(self._calls.get, account_id, uuid)
        if record is None:
            raise not_found("call", uuid)
        return record

    async def page(self, query: CallQuery, offset: int, limit: int) -> tuple[int, list[CallRecord]]:
        """A page of stored calls by offset, and how many match in all."""
        total, records = await self._db.run(self._calls.page, query, offset, limit)
        return total, self._now(records)

    async def window(
        self, query: CallQuery, after: str | None, offset: int, limit: int, horizon: int
    ) -> tuple[int, list[CallRecord]]:
        """A page after the call ``after`` (else from ``offset``), and how many calls match
        from its start on, counted up to ``horizon``; see ``CallRepository.window``."""
        rest, records = await self._db.run(self._calls.window, query, after, offset, limit, horizon)
        return rest, self._now(records)

    def _now(self, records: list[CallRecord]) -> list[CallRecord]:
        """Each call as it is now if it runs here (storage lags by a batch)."""
        legs = self.engine.legs if self.engine else {}
        return [legs[r.uuid].record() if r.uuid in legs else r for r in records]

    async def timeline(
        self, account_id: str, uuid: str, after: int = 0
    ) -> tuple[CallRecord, list[Entry], bool]:
        """The call, its timeline entries after ``after``, and whether it is still running."""
        record = await self.get(account_id, uuid)
        session = self._engine.sessions.get(record.session) if self.engine else None
        if session is not None:
            return record, session.entries[after:], not session.done.is_set()
        entries = await self._db.run(self._calls.timeline, record.session, after)
        return record, entries, record.end_time is None

    # -- live control --------------------------------------------------------------------
    # A command reaches a leg running in this process at once; one running in another
    # process (a worker, a node) through the call_commands table, which that process reads
    # when told of it (PostgreSQL's NOTIFY) and polls besides (see ``relay``).

    async def update(self, account_id: str, uuid: str, update: CallUpdate) -> str:
        """``PUT /v1/calls/{uuid}``."""
        command: dict[str, Any] = {"action": update.action}
        if update.destination is not None:
            if update.destination.ncco is not None:
                ncco_field(update.destination.ncco, "destination.ncco")
            command |= update.destination.model_dump(include={"ncco", "url"})
        return await self._control(account_id, uuid, command)

    async def caller(self, account_id: str, uuid: str, kind: str, value: str = "") -> str:
        """The simulated person on a leg keys digits, speaks, or (``hangup``) hangs up."""
        return await self._control(account_id, uuid, {"action": f"caller-{kind}", "value": value})

    async def talk(self, account_id: str, uuid: str, talk: TalkRequest) -> str:
        return await self._control(account_id, uuid, {"action": "talk", **talk.model_dump()})

    async def stream(self, account_id: str, uuid: str, stream: StreamRequest) -> str:
        return await self._control(account_id, uuid, {"action": "stream", **stream.model_dump()})

    async def silence(self, account_id: str, uuid: str, kind: str) -> str:
        """Stop a talk or stream the Voice API started."""
        return await self._control(account_id, uuid, {"action": "silence", "audio": kind})

    async def dtmf(self, account_id: str, uuid: str, digits: str) -> str:
        return await self._control(account_id, uuid, {"action": "dtmf", "digits": digits})

    async def listen_for_keys(self, account_id: str, uuid: str, url: str | None) -> str:
        """Post each key pressed on the leg to ``url`` (``None``: stop)."""
        return await self._control(account_id, uuid, {"action": "keys-to", "url": url})

    async def _control(self, account_id: str, uuid: str, command: dict[str, Any]) -> str:
        leg = self._engine.legs.get(uuid)
        if leg is not None and leg.session.account_id == account_id:
            if leg.over:
                raise not_live(uuid)
            await self._apply(leg, command)
            return uuid
        record = await self._db.run(self._calls.get, account_id, uuid)
        if record is None or record.end_time is not None:
            raise not_live(uuid)
        await self._db.run(self._calls.send_command, uuid, command)
        return uuid

    async def _apply(self, leg: CallLeg, command: dict[str, Any]) -> None:
        op, engine = command["action"], self._engine
        leg.note("control", **command)
        if op in ("hangup", "caller-hangup"):
            leg.hang_up("user" if op == "caller-hangup" else "platform")
        elif op in ("mute", "unmute"):
            leg.muted = op == "mute"
        elif op in ("earmuff", "unearmuff"):
            leg.earmuffed = op == "earmuff"
        elif op == "transfer":
            ncco = parse_ncco(command["ncco"]) if command.get("ncco") else None
            url = command["url"][0] if command.get("url") else None
            await engine.transfer(leg, ncco, url)
        elif op in ("caller-dtmf", "caller-speech"):
            kind = op.removeprefix("caller-")
            for value in command["value"] if kind == "dtmf" else [command["value"]]:
                leg.give(kind, value)
        elif op == "talk":
            await engine.talk(leg, command["text"], command["loop"], command["language"],
                              command["style"], command["level"])  # fmt: skip
        elif op == "stream":
            await engine.stream(leg, command["stream_url"][0], command["loop"], command["level"])
        elif op == "silence":
            engine.silence(leg, command["audio"])
        elif op == "dtmf":
            engine.send_dtmf(leg, command["digits"])
        elif op == "keys-to":
            engine.report_keys(leg, command["url"])

    async def join(
        self, account_id: str, uuid: str, frames: AsyncIterator[bytes], send: Send
    ) -> str:
        """A browser joins a running leg as its far end, until one of them goes (see
        ``engine/browser``); what ended it, ``call`` or ``browser``. Only a leg running in this
        process can be joined: its audio lives here."""
        leg = self._engine.legs.get(uuid)
        if leg is None or leg.session.account_id != account_id:
            record = await self._db.run(self._calls.get, account_id, uuid)
            if record is None:
                raise not_found("call", uuid)
            if record.end_time is not None:
                raise conflict("The call has ended.")
            raise conflict(ELSEWHERE)
        try:
            return await self.browsers.attach(leg, frames, send)
        except Refused as refused:
            raise conflict(str(refused)) from None

    async def relay(self, poll: float = 1.0, sweep: float = 10.0) -> None:
        """Apply the commands other processes leave for legs running here, until cancelled:
        at once when one is announced (PostgreSQL's NOTIFY, see ``CallRepository.listener``),
        and every ``poll`` seconds in any case, the safety net while the listening connection
        is made again (on SQLite, which announces nothing, every ``UNANNOUNCED_POLL``
        seconds); every ``sweep`` seconds, drop those left for legs that ended first."""
        engine, wake = self._engine, asyncio.Event()
        announced: set[str | None] = set()  # legs told of since the last look; None: any

        def notice(leg: str | None) -> None:
            if leg is None or leg in engine.legs:
                announced.add(leg)
                wake.set()

        listener = self._calls.listener(notice)
        listening = asyncio.create_task(listener.run()) if listener is not None else None
        poll = poll if listener is not None else UNANNOUNCED_POLL
        clock = asyncio.get_running_loop().time
        swept = clock()
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), poll)
                # Before taking: a command announced meanwhile wakes the relay again.
                only = None if None in announced else {str(leg) for leg in announced} or None
                announced.clear()
                wake.clear()
                sweeping = clock() - swept >= sweep
                swept = clock() if sweeping else swept
                await self._take(engine, sweeping, only)
        finally:
            if listening is not None:
                listening.cancel()
                await asyncio.wait([listening])

    async def _take(self, engine: VoiceEngine, sweep: bool, only: set[str] | None) -> None:
        """Apply the commands waiting for legs running here (``only`` those legs': the ones
        just announced), first dropping, if ``sweep``, those left for legs that have ended."""
        legs = engine.legs
        try:
            if sweep:
                await self._db.run(self._calls.drop_stale_commands)
            if only is not None:
                commands = await self._db.run(self._calls.take_announced, only)
            else:
                commands = await self._db.run(self._calls.take_commands, legs) if legs else []
        except Exception:
            log.exception("could not read call commands")
            return
        for uuid, command in commands:
            leg = legs.get(uuid)
            if leg is not None and command["action"] == RESET:
                self._wipe_later(leg.session)
            elif leg is not None and not leg.leg.ended:
                await self._apply(leg, command)

    # -- reset ---------------------------------------------------------------------------
    # A reset ends the account's calls and stores nothing more of them: those running here at
    # once; those running in another process through a ``reset`` command, on which that
    # process does the same, then deletes whatever of them it wrote meanwhile.

    async def end_for_reset(self, account_id: str) -> None:
        """End the account's calls, here and in other processes (waiting up to
        ``RESET_GRACE`` seconds for those to take the command), storing nothing more of
        them. Their recordings stay, for the reset to delete with the others."""
        engine = self._engine
        elsewhere = await self._db.run(self._calls.running_elsewhere, account_id, engine.owner)
        for leg in elsewhere:
            await self._db.run(self._calls.send_command, leg, {"action": RESET})
        here = [s for s in engine.sessions.values() if s.account_id == account_id]
        await engine.discard(here, RESET_GRACE)
        deadline = asyncio.get_running_loop().time() + RESET_GRACE
        while elsewhere and asyncio.get_running_loop().time() < deadline:
            if not await self._db.run(self._calls.commands_pending, elsewhere):
                break
            await asyncio.sleep(0.05)

    async def settle(self) -> None:
        """Wait for the wipes of calls that other processes' resets asked for."""
        await asyncio.gather(*self._wiping, return_exceptions=True)

    def remove_recordings(self, account_id: str) -> None:
        self._engine.recordings.remove_account(account_id)

    def _wipe_later(self, session: Session) -> None:
        if session.discarded:
            return
        self._engine.unstore([session])  # now: nothing more of it reaches the journal
        task = asyncio.create_task(self._wipe(session))
        self._wiping.add(task)
        task.add_done_callback(self._wiping.discard)

    async def _wipe(self, session: Session) -> None:
        """End a call another process's reset wiped, and delete what it stored meanwhile."""
        try:
            made = await self._engine.discard([session], RESET_GRACE)
            await self._db.run(self._calls.delete_sessions, [session.uuid])
            for account_id, recording in made:
                self._engine.recordings.remove(account_id, recording)
        except Exception:
            log.exception("could not wipe call %s", session.uuid)

    def recording(self, account_id: str, recording_uuid: str) -> Path | None:
        path = self._engine.recordings.path(account_id, recording_uuid)
        return path if path is not None and path.is_file() else None
