"""The voice engine: places simulated calls, rings destinations, posts every request a leg
makes (wire §5), and takes live control of running legs."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from ringway.domain.applications import Application
from ringway.domain.calls import EARLY_ENDS, Leg, Status, timestamp
from ringway.domain.ncco import Action, Connect, Record, WebsocketEndpoint, machine_detection
from ringway.domain.outcomes import hook_name
from ringway.domain.simulation import Person, Phone
from ringway.engine import sound
from ringway.engine.answer import NccoFetch, fetch_ncco
from ringway.engine.clock import Clock
from ringway.engine.conversations import Conversations
from ringway.engine.journal import Journal
from ringway.engine.mixer import rerouting
from ringway.engine.recorder import Recording
from ringway.engine.recordings import Recordings
from ringway.engine.runner import drive
from ringway.engine.session import CallLeg, Hooks, Session
from ringway.engine.webhooks import (
    Attempt,
    FaultPicker,
    Faults,
    Signer,
    SocketFailure,
    Target,
    WebhookClient,
)
from ringway.observe.webhooks import webhook_attempt
from ringway.storage.ids import ordered_uuid

if TYPE_CHECKING:
    from ringway.engine.audio import Samples
    from ringway.engine.websocket import Socket  # imported with aiohttp, when a socket opens

# Statuses whose event may answer with an NCCO for the calling leg (synchronous connect).
NCCO_STATUSES = frozenset(
    {Status.TIMEOUT, Status.FAILED, Status.REJECTED, Status.UNANSWERED, Status.BUSY}
)
RING_BEFORE_REFUSAL = 1.0  # seconds a busy or rejecting phone rings first
KEEP_FINISHED = 5.0  # seconds a finished call stays in memory (the journal stores it first)
SOCKET_OPENING = 10.0  # seconds a WebSocket has to accept the connection (at most the ringing)


class Directory(Protocol):
    """What the engine looks up: provided by the call service over storage."""

    async def destination(self, number: str) -> Application | None:
        """The voice application a number on ringway rings, if any."""

    async def phone(self, account_id: str, address: str, endpoint_type: str) -> Phone: ...

    async def signer(self, application: Application, always: bool = False) -> Signer | None:
        """What signs the application's callbacks, if it signs them (``always``: even if
        not, for a WebSocket's ``vonage`` authorization)."""

    async def any_number(self, account_id: str) -> str | None:
        """One of the account's numbers, for ``randomFromNumber``."""

    async def application(self, app_id: str) -> Application | None: ...

    async def app_leg(self, leg: CallLeg) -> None:
        """A leg to an app user moved on (its rtc events)."""


@dataclass(frozen=True)
class Dial:
    """A destination: its address and endpoint type."""

    address: str
    endpoint_type: str
    socket: WebsocketEndpoint | None = None  # a WebSocket endpoint's settings


class VoiceEngine:
    def __init__(
        self,
        webhooks: WebhookClient,
        journal: Journal,
        recordings: Recordings,
        directory: Directory,
        public_url: Callable[[], str],
        setups: int,
        owner: str = "",
        faults: FaultPicker | None = None,
    ) -> None:
        self.owner = owner  # the id of this process, on the calls it runs
        self.faults = faults  # (account, kind, url): the fault to inject into a request
        self.webhooks = webhooks
        self.journal = journal
        self.recordings = recordings
        self.directory = directory
        self.public_url = public_url
        self.conversations = Conversations()
        self.legs: dict[str, CallLeg] = {}
        self.sessions: dict[str, Session] = {}
        self._setups = SetupLimits(setups)

    async def stop(self) -> int:
        """Hang up every call still running, let them end, store everything; how many calls
        were running."""
        # Calls whose last requests outlast 5 s are cut short; they are stored as they are,
        # and another process (or the next start) ends them (see ``engine/orphans``).
        running = [session for session in self.sessions.values() if not session.done.is_set()]
        await self.end(list(self.sessions.values()), 5)
        await self.journal.stop()
        await self.webhooks.close()
        return len(running)

    async def end(self, sessions: list[Session], grace: float) -> None:
        """Hang up every leg of these calls, give them ``grace`` seconds to end (their last
        events, their recordings), then cut short whatever still runs."""
        for session in sessions:
            for leg in list(session.legs.values()):
                leg.hang_up("platform")
        running = [asyncio.ensure_future(s.done.wait()) for s in sessions if not s.done.is_set()]
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for waiter in late:
                waiter.cancel()
        await asyncio.gather(*(s.cancel() for s in sessions))

    def unstore(self, sessions: list[Session]) -> None:
        """Store nothing more of these calls, not even what waits for the journal's next
        batch (a reset has wiped them, or is about to)."""
        for session in sessions:
            session.discard()
            self.journal.forget(session.uuid, list(session.legs))

    async def discard(self, sessions: list[Session], grace: float) -> list[tuple[str, str]]:
        """End these calls as ``end`` does, storing nothing more of them, and forget them at
        once; the recordings they made, as (account, recording uuid). On return no write of
        theirs is under way: a batch being written when they were unstored is done."""
        self.unstore(sessions)
        await self.end(sessions, grace)
        made = [(s.account_id, recording.uuid) for s in sessions for leg in s.legs.values()
                for recording in leg.recordings]  # fmt: skip
        for session in sessions:
            self._forget(session)
        await self.journal.stored()
        return made

    # -- placing calls -------------------------------------------------------------------

    def session(self, account_id: str, clock: Clock) -> Session:
        session = Session(account_id, clock, self.journal, self._forget_later, self.owner)
        self.sessions[session.uuid] = session
        return session

    def _forget_later(self, session: Session) -> None:
        asyncio.get_running_loop().call_later(KEEP_FINISHED, self._forget, session)

    def _forget(self, session: Session) -> None:
        self.sessions.pop(session.uuid, None)
        # A session and its legs refer to each other, as do a leg and the leg it rang or is
        # bridged to. Letting go of those frees the call at once; otherwise it waited for a
        # scan of the oldest generation, which the engine's collector thresholds make rare,
        # and the server grew by about 15 KB a call till then.
        for leg in session.legs.values():
            self.legs.pop(leg.uuid, None)
            leg.far = leg.peer = None
        session.legs.clear()

    async def call_in(
        self,
        application: Application,
        session: Session,
        from_: str,
        to: str,
        *,
        person: Person | None = None,
        endpoint_type: str = "phone",
        custom_data: dict[str, Any] | None = None,
    ) -> CallLeg:
        """A call arriving at ``application`` (through its number ``to``): it rings, the answer
        URL gives the NCCO, and the NCCO runs."""
        hooks = replace(
            await self.hooks_of(application), answer=_hook(application, "answer_url", 5000)
        )
        leg = self._leg(session, "inbound", from_, to, endpoint_type, hooks, person, application)
        leg.custom_data = custom_data
        session.spawn(self._answer_inbound(leg))
        return leg

    async def call_out(
        self,
        application: Application,
        session: Session,
        dial: Dial,
        from_: str,
        hooks: Hooks,
        *,
        ncco: list[Action] | None,
        ringing_timer: float,
        length_timer: float,
        machine_detection: str | None = None,
    ) -> CallLeg:
        """An outbound call made through the Voice API: ring, and when answered, run the given
        NCCO or the one the answer URL returns."""
        leg = self._leg(session, "outbound", from_, dial.address, dial.endpoint_type, hooks,
                        None, application)  # fmt: skip

        async def run() -> None:
            if await self.ring(leg, dial, ringing_timer, leg, machine_detection):
                self._limit(leg, length_timer)
                script = ncco
                if script is None and leg.hooks.answer is not None:
                    fields = {**leg.fields(), "endpoint_type": dial.endpoint_type,
                              "region_url": self.public_url()}  # fmt: skip
                    fetched = await self.fetch(leg, "answer", leg.hooks.answer, fields, "answer")
                    script = fetched.ncco
                    if script is None:
                        await self.error(leg, fetched.reason or "no NCCO")
                if script is not None:
                    await drive(self, leg, script)
            await self.finish(leg)

        session.spawn(run())
        return leg

    def _leg(
        self,
        session: Session,
        direction: str,
        from_: str,
        to: str,
        endpoint_type: str,
        hooks: Hooks,
        person: Person | None,
        application: Application | None,
        conversation_uuid: str | None = None,
    ) -> CallLeg:
        core = Leg(ordered_uuid(), conversation_uuid or f"CON-{ordered_uuid()}", direction,
                   from_, to)  # fmt: skip
        leg = CallLeg(session, core, endpoint_type=endpoint_type, hooks=hooks, person=person,
                      application=application)  # fmt: skip
        self.legs[leg.uuid] = leg
        session.save(leg)
        return leg

    async def _answer_inbound(self, leg: CallLeg) -> None:
        async with self._setups.slot(leg.session.account_id):
            got = await self._set_up(leg)
        if got is not None and got.ncco is not None and not leg.over:
            await self.status(leg, Status.ANSWERED)
            self._person(leg)
            await drive(self, leg, got.ncco)
        elif got is not None and not leg.over:
            await self.error(leg, got.reason or "no NCCO")
            await self.status(leg, Status.FAILED, detail="internal_error")
        await self.finish(leg)

    async def _set_up(self, leg: CallLeg) -> NccoFetch | None:
        """Ring the application, and get its NCCO from the answer URL."""
        await self.status(leg, Status.STARTED)
        await self.status(leg, Status.RINGING)
        fields = {**leg.fields(), "endpoint_type": leg.endpoint_type,
                  "region_url": self.public_url()}  # fmt: skip
        if leg.custom_data is not None:
            fields["custom_data"] = leg.custom_data
        if leg.endpoint_type == "app":
            fields["from_user"] = leg.leg.from_
        if leg.hooks.answer is None or leg.over:
            return None
        return await self.fetch(leg, "answer", leg.hooks.answer, fields, "answer")

    def _person(self, leg: CallLeg) -> None:
        """The far end (just answered) says what its script says when it says so, and hangs
        up when it says so."""
        if leg.person.says:
            leg.session.spawn(sound.script(leg, leg.person.says))
        after = leg.person.hangup_after
        if after is None:
            return

        async def hang_up_later() -> None:
            if not await leg.clock.wait(leg.ended, after):
                leg.hang_up("user")

        leg.session.spawn(hang_up_later())

    def _limit(self, leg: CallLeg, seconds: float) -> None:
        async def cut_off() -> None:
            if not await leg.clock.wait(leg.ended, seconds, real=True):
                leg.hang_up("platform")

        leg.session.spawn(cut_off())

    # -- ringing -------------------------------------------------------------------------

    async def ring(
        self,
        leg: CallLeg,
        dial: Dial,
        timeout: float,
        watch: CallLeg,
        machine_detection: str | None = None,
    ) -> bool:
        """Ring ``dial`` for the outbound ``leg``; ``True`` once answered. A hang-up of
        ``watch`` (the leg waiting for this one) cancels the ringing."""
        if dial.socket is not None:
            leg.headers = dial.socket.headers
        await self.status(leg, Status.STARTED)
        if dial.socket is not None:
            return await self._open_socket(leg, dial.socket, timeout, watch)
        application = (
            await self.directory.destination(dial.address)
            if dial.endpoint_type == "phone"
            else None
        )
        if application is not None:
            return await self._ring_application(leg, application, timeout, watch)
        phone = await self.directory.phone(leg.session.account_id, dial.address, dial.endpoint_type)
        leg.note("phone", address=dial.address, **phone.model_dump(mode="json"))
        if phone.behaviour == "fail":
            await self.status(leg, Status.FAILED, detail="cannot_route")
            return False
        await self.status(leg, Status.RINGING)
        refused = phone.behaviour in ("busy", "reject", "unavailable")
        rings = RING_BEFORE_REFUSAL if refused else phone.answer_after
        if phone.behaviour == "no-answer":
            rings = timeout
        if not await watch.pause(min(rings, timeout)):
            await self.status(leg, Status.CANCELLED)
            return False
        if phone.behaviour == "busy":
            await self.status(leg, Status.BUSY, detail="busy")
            return False
        if phone.behaviour == "reject":
            await self.status(leg, Status.REJECTED, detail="declined")
            return False
        if phone.behaviour == "unavailable":
            await self.status(leg, Status.UNANSWERED, detail="unavailable")
            return False
        if phone.behaviour == "no-answer" or rings > timeout:
            await self.status(leg, Status.TIMEOUT)
            return False
        leg.meet(phone)
        await self.status(leg, Status.ANSWERED)
        self._person(leg)
        if machine_detection is not None:
            machine = phone.behaviour == "machine"
            await self.post(leg, "event", leg.hooks.event, {
                **leg.fields(), "call_uuid": leg.uuid, "status": "machine" if machine else "human",
                "timestamp": timestamp(leg.clock.now())})  # fmt: skip
            if machine and machine_detection == "hangup":
                leg.hang_up("platform")
        return True

    async def _ring_application(
        self, leg: CallLeg, application: Application, timeout: float, watch: CallLeg
    ) -> bool:
        """A number on ringway: its application gets an inbound call of its own."""
        far_session = self.session(application.account_id, leg.clock)
        far = await self.call_in(application, far_session, leg.leg.from_, leg.leg.to)
        deadline = leg.clock.elapsed() + timeout
        rang = False
        while True:
            if far.leg.status is Status.RINGING and not rang:
                rang = True
                await self.status(leg, Status.RINGING)
            if far.leg.status is Status.ANSWERED:
                break
            left = deadline - leg.clock.elapsed()
            if far.over or watch.interrupted or left <= 0:
                far.hang_up("user")
                ending = Status.CANCELLED if watch.interrupted else Status.TIMEOUT
                if far.over and not watch.interrupted and left > 0:
                    ending = Status.FAILED
                if leg.leg.status is Status.STARTED and ending is not Status.FAILED:
                    await self.status(leg, Status.RINGING)
                await self.status(leg, ending)
                return False
            await leg.clock.wait(far.signal(), left, real=True)
        leg.far, far.far = far, leg
        await self.status(leg, Status.ANSWERED)
        return True

    async def _open_socket(
        self, leg: CallLeg, endpoint: WebsocketEndpoint, timeout: float, watch: CallLeg
    ) -> bool:
        """Open the WebSocket at the far end of ``leg``; ``True`` once open. A server that
        refuses the upgrade leaves the leg ``unanswered``; one that cannot be reached,
        ``failed``."""
        await self.status(leg, Status.RINGING)
        headers = {}
        if endpoint.authorization is not None and endpoint.authorization.type == "custom":
            headers["Authorization"] = endpoint.authorization.value or ""
        elif endpoint.authorization is not None and leg.application is not None:
            signer = await self.directory.signer(leg.application, always=True)
            if signer is not None:
                headers["Authorization"] = f"Bearer {signer(b'')}"
        await asyncio.to_thread(importlib.import_module, "numpy")  # off the loop, the first time
        try:
            ws = await self.webhooks.open_socket(endpoint.uri, headers,
                                                 min(timeout, SOCKET_OPENING))  # fmt: skip
        except SocketFailure as failure:
            leg.note("websocket", event="failed", uri=endpoint.uri, outcome=failure.outcome)
            if failure.outcome.startswith("http-"):
                await self.status(leg, Status.UNANSWERED, detail="unavailable")
            else:
                await self.status(leg, Status.FAILED, detail="cannot_route")
            return False
        from ringway.engine.websocket import Socket

        socket = Socket(ws, leg, endpoint)
        if watch.interrupted:
            await socket.close()
            await self.status(leg, Status.CANCELLED)
            return False
        leg.socket = socket
        await self.status(leg, Status.ANSWERED)
        leg.session.spawn(self._carry(leg, socket))
        return True

    async def _carry(self, leg: CallLeg, socket: Socket) -> None:
        """Run the socket; when its server closes it, post ``disconnected`` (an NCCO in the
        answer is kept for the connecting leg) and end the leg."""
        await socket.run()
        leg.socket = None
        if socket.closed_by != "server" or leg.over:
            return
        event = {**leg.fields(), "status": "disconnected", "direction": leg.leg.direction,
                 **({"headers": leg.headers} if leg.headers else {}),
                 "timestamp": timestamp(leg.clock.now())}  # fmt: skip
        if leg.hooks.event is None:
            await self.post(leg, "event", None, event)
        else:
            leg.replacement = await self.ask(leg, "event", leg.hooks.event, event)
        leg.hang_up("user")

    async def connect(self, leg: CallLeg, action: Connect) -> list[Action] | None:
        """Ring the endpoint from ``leg``; when it answers, bridge the two until one hangs up."""
        dial = dial_of(action.endpoint[0].model_dump(mode="json", by_alias=True))
        hooks = await self.hooks_of(leg.application) if leg.application else Hooks()
        if action.eventUrl is not None:
            hooks = replace(hooks, event=self.action_target(leg, action.eventUrl,
                                                            action.eventMethod))  # fmt: skip
        caller = action.from_ or leg.leg.to
        if action.randomFromNumber:
            caller = await self.directory.any_number(leg.session.account_id) or caller
        other = self._leg(leg.session, "outbound", caller, dial.address, dial.endpoint_type,
                          hooks, None, leg.application, leg.leg.conversation_uuid)  # fmt: skip
        sync = action.eventType == "synchronous"
        other.sync = sync
        detection = machine_detection(action.machineDetection, action.advancedMachineDetection)
        answered = await self.ring(other, dial, action.timeout, leg, detection)
        if not answered:
            replacement = other.replacement
            await self.finish(other)
            return replacement
        on_answer = getattr(action.endpoint[0], "onAnswer", None)
        if on_answer is not None:
            fetched = await self.fetch(other, "answer", Target(on_answer.url, "GET"),
                                       other.fields(), "answer")  # fmt: skip
            if fetched.ncco is not None:
                await drive(self, other, fetched.ncco, hang_up_at_end=False)
        with rerouting(leg, other):
            leg.peer, other.peer = other, leg
        self._limit(other, action.limit)
        while not other.over and not leg.interrupted:
            await leg.idle()
        with rerouting(leg, other):
            leg.peer = other.peer = None
        if leg.over:
            other.hang_up("platform")
        await self.finish(other)
        return other.replacement

    # -- requests ------------------------------------------------------------------------

    async def status(self, leg: CallLeg, status: Status, **extra: Any) -> None:
        """Move the leg on and post the event; for a synchronous connect's failures, an NCCO
        in the answer is kept for the calling leg."""
        event = leg.leg.advance(status, leg.clock.now(), **extra)
        if leg.headers:
            event["headers"] = leg.headers
        leg.note("status", status=str(status), direction=leg.leg.direction)
        if status in EARLY_ENDS or status is Status.REJECTED:
            leg.ending = (str(status), extra.get("detail"))
        if leg.endpoint_type == "app":
            await self.directory.app_leg(leg)
        leg.session.save(leg)
        leg.wake()
        if leg.far is not None:
            leg.far.wake()
        if leg.sync and status in NCCO_STATUSES and leg.hooks.event is not None:
            leg.replacement = await self.ask(leg, "event", leg.hooks.event, event)
        else:
            await self.post(leg, "event", leg.hooks.event, event)

    async def error(self, leg: CallLeg, reason: str) -> None:
        await self.post(leg, "event", leg.hooks.event, {
            "reason": reason, "conversation_uuid": leg.leg.conversation_uuid,
            "timestamp": timestamp(leg.clock.now())})  # fmt: skip

    async def post(
        self, leg: CallLeg, purpose: str, target: Target | None, fields: dict[str, Any]
    ) -> None:
        if target is None:
            leg.note("event", purpose=purpose, body=fields, sent=False)
            return
        await self.webhooks.deliver(target, fields, leg.hooks.signer, self._observer(leg, purpose),
                                    self.faults_of(leg.session.account_id))  # fmt: skip

    async def ask(
        self, leg: CallLeg, purpose: str, target: Target, fields: dict[str, Any]
    ) -> list[Action] | None:
        """A mid-call request that may answer with an NCCO (target, then the fallback)."""
        return (await self.fetch(leg, purpose, target, fields, "event")).ncco

    async def fetch(
        self, leg: CallLeg, purpose: str, target: Target, fields: dict[str, Any], kind: str
    ) -> NccoFetch:
        result = await fetch_ncco(self.webhooks, target, leg.hooks.fallback, fields,
                                  leg.hooks.signer, kind, self._observer(leg, purpose),
                                  self.faults_of(leg.session.account_id),
                                  hook_name(purpose))  # fmt: skip
        if result.ncco is None and result.reason:
            leg.note("error", purpose=purpose, reason=result.reason)
            leg.problems.extend(result.problems)
        elif result.problems:
            leg.rescued = leg.rescued or result.problems[0]
        return result

    def faults_of(self, account_id: str) -> Faults | None:
        """What picks the faults to inject into the account's requests."""
        return None if self.faults is None else functools.partial(self.faults, account_id)

    def _observer(self, leg: CallLeg, purpose: str) -> Callable[[Attempt], None]:
        def observe(attempt: Attempt) -> None:
            leg.session.add(leg.leg.uuid, "request", attempt_view(attempt, purpose))
            webhook_attempt(purpose, attempt, "call", leg.leg.uuid)

        return observe

    async def audio_of(self, leg: CallLeg, url: str) -> Samples | None:
        """The audio of the file at ``url`` (read up to ``media.MAX_FILE_BYTES``, not the cap of
        an NCCO), decoded; ``None`` (noted in the timeline) when it cannot be fetched, is larger
        or cannot be decoded: the stream then plays nothing (never a piece of a file)."""
        from ringway.engine import media

        target = Target(url, "GET", max_bytes=media.MAX_FILE_BYTES)
        attempt = await self.webhooks.send(target, {}, None, 1,
                                           self.faults_of(leg.session.account_id))  # fmt: skip
        data = attempt.response_body
        shown = f"[{len(data)} bytes of audio{' and more, unread' if attempt.oversized else ''}]"
        if attempt.oversized and attempt.succeeded:
            attempt.outcome = "too-large"
        self._observer(leg, "stream")(replace(attempt, response_body=shown.encode()))
        reason = None
        if attempt.outcome == "too-large":
            reason = f"the file is larger than {media.MAX_FILE_BYTES >> 20} MiB"
        elif attempt.succeeded:
            try:
                return await asyncio.to_thread(media.decode, data)
            except media.Undecodable as exc:
                reason = str(exc)
        if reason is not None:
            leg.note("stream", event="undecodable", url=url, reason=reason)
        return None

    # -- targets -------------------------------------------------------------------------

    async def hooks_of(self, application: Application) -> Hooks:
        return Hooks(
            fallback=_hook(application, "fallback_answer_url", 5000),
            event=_hook(application, "event_url", 10_000),
            signer=await self.directory.signer(application),
        )

    def action_target(self, leg: CallLeg, urls: list[str] | None, method: str) -> Target:
        """An action's ``eventUrl`` (or the leg's event URL) with the event webhook timeouts."""
        base = leg.hooks.event or Target("", "POST")
        if urls is None:
            return base
        return replace(base, url=urls[0], method=method)

    def with_event(self, leg: CallLeg, urls: list[str], method: str) -> Hooks:
        return replace(leg.hooks, event=self.action_target(leg, urls, method))

    def recorder(self, leg: CallLeg, action: Record | None, whole_room: bool = False) -> Recording:
        target = self.action_target(
            leg, action.eventUrl if action else None, action.eventMethod if action else "POST"
        )
        if action is None:
            room = leg.member.room if whole_room and leg.member else None
            return Recording(self, leg, target, room=room)
        return Recording(self, leg, target, fmt=action.format, channels=action.channels,
                         split=action.split == "conversation")  # fmt: skip

    # -- the end -------------------------------------------------------------------------

    async def finish(self, leg: CallLeg) -> None:
        """Post the events that end the leg: recordings, then completed (or cancelled)."""
        leg.hung_up_by = leg.hung_up_by or "platform"
        with rerouting(leg):
            self.conversations.leave(leg)
        if leg.socket is not None:
            await leg.socket.close()
        for recording in leg.recordings:
            await recording.finish()
        if leg.peer is not None:
            leg.peer.wake()
        if leg.far is not None:
            leg.far.hang_up("user")
        if leg.leg.status in (Status.STARTED, Status.RINGING):
            await self.status(leg, Status.CANCELLED)
        if not leg.leg.ended:
            await self.status(leg, Status.COMPLETED, disconnected_by=leg.hung_up_by)
        if not leg.ended.done():
            leg.ended.set_result(None)

    # -- live control --------------------------------------------------------------------

    async def transfer(self, leg: CallLeg, ncco: list[Action] | None, url: str | None) -> None:
        """Replace the leg's NCCO with ``ncco``, or the one ``url`` answers with."""
        if url is not None:
            fields = {**leg.fields(), "timestamp": timestamp(leg.clock.now())}
            ncco = (await self.fetch(leg, "transfer", Target(url, "GET"), fields, "event")).ncco
        if ncco is None:
            return
        room = leg.member.room.id if leg.member else leg.leg.conversation_uuid
        await self.post(leg, "event", leg.hooks.event, {
            "conversation_uuid_from": room, "conversation_uuid_to": leg.leg.conversation_uuid,
            "uuid": leg.uuid, "status": "transfer",
            "timestamp": timestamp(leg.clock.now())})  # fmt: skip
        leg.transfer = ncco
        leg.wake()

    async def talk(
        self, leg: CallLeg, text: str, loop: int, language: str, style: int, level: float
    ) -> None:
        """Speech into a leg from the Voice API, over whatever it is doing."""
        audio = await sound.spoken(leg, text, language, style, level)
        self.play(leg, "talk", audio, loop, {"text": text})

    async def stream(self, leg: CallLeg, url: str, loop: int, level: float) -> None:
        """A file into a leg from the Voice API (nothing, when it cannot be played)."""
        audio = await self.audio_of(leg, url)
        if audio is not None:
            self.play(leg, "stream", sound.louder(audio, level), loop, {"stream_url": url})

    def play(
        self, leg: CallLeg, kind: str, audio: Samples, loop: int, detail: dict[str, Any]
    ) -> None:
        """Audio into a leg from the Voice API (talk or stream), in place of the last of its
        kind."""
        playing = leg.playing.pop(kind, None)
        if playing is not None:
            playing.cancel()
        if leg.over:
            return
        leg.note(kind, event="started", **detail)

        async def run() -> None:
            if await sound.play(leg, audio, loop, kind, ncco=False, **detail):
                leg.playing.pop(kind, None)
                leg.note(kind, event="done")

        leg.playing[kind] = leg.session.spawn(run())

    def silence(self, leg: CallLeg, kind: str) -> bool:
        playing = leg.playing.pop(kind, None)
        if playing is None:
            return False
        playing.cancel()
        leg.note(kind, event="stopped")
        return True

    def report_keys(self, leg: CallLeg, url: str | None) -> None:
        """Real-time DTMF: each key pressed on ``leg`` is posted to ``url`` as it comes, one
        request a key, in order (``None``: no more)."""
        leg.note("dtmf", event="subscribed" if url else "unsubscribed", url=url)
        if url is None:
            leg.on_key = None
            return
        target = self.action_target(leg, [url], "POST")
        sent: list[asyncio.Task[None]] = []

        def report(key: str) -> None:
            before = sent.pop() if sent else None
            fields = {**leg.fields(), "dtmf": {"digits": key, "timed_out": False},
                      "timestamp": timestamp(leg.clock.now())}  # fmt: skip

            async def post() -> None:
                if before is not None:
                    await asyncio.wait([before])
                await self.post(leg, "input", target, fields)

            sent.append(leg.session.spawn(post()))

        leg.on_key = report

    def send_dtmf(self, leg: CallLeg, digits: str) -> None:
        """Keys sent into the call: the far end hears them (a ringway number's leg takes them
        as input)."""
        leg.note("dtmf", event="sent", digits=digits)
        far = leg.far or leg.peer
        leg.played.keys(leg.clock.elapsed(), digits)
        if leg.socket is not None:
            for key in digits.replace("p", ""):
                leg.socket.key(key)
        elif far is not None:
            for key in digits.replace("p", ""):
                far.give("dtmf", key)


class SetupLimits:
    """How many inbound calls each account may have being set up (ringing, fetching the NCCO)
    at once; more wait their turn. A flood of calls then runs as a steady stream, which does
    more per second, and one account's slow answer URLs hold up only its own calls."""

    def __init__(self, per_account: int) -> None:
        self._per_account = per_account
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}  # and who holds or waits

    @contextlib.asynccontextmanager
    async def slot(self, account_id: str) -> AsyncIterator[None]:
        semaphore, users = self._slots.get(account_id, (None, 0))
        semaphore = semaphore or asyncio.Semaphore(self._per_account)
        self._slots[account_id] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._slots[account_id]
            if users == 1:
                del self._slots[account_id]
            else:
                self._slots[account_id] = (semaphore, users - 1)


def dial_of(endpoint: dict[str, Any]) -> Dial:
    """The address a connect or Voice API endpoint reaches."""
    kind = endpoint["type"]
    if kind == "phone":
        address = endpoint["number"].lstrip("+")
    elif kind == "app":
        address = endpoint["user"]
    elif kind == "websocket":
        socket = WebsocketEndpoint.model_validate(endpoint)
        return Dial(socket.uri, kind, socket)
    elif kind == "vbc":
        address = endpoint["extension"]
    else:
        address = endpoint.get("uri") or f"sip:{endpoint['user']}@{endpoint['domain']}"
    return Dial(address, kind)


def _hook(application: Application, name: str, socket_default: int) -> Target | None:
    spec = application.webhook("voice", name)
    if spec is None:
        return None
    return Target(
        spec["address"],
        spec.get("http_method", "POST"),
        spec.get("connect_timeout", 1000),
        spec.get("socket_timeout", socket_default),
    )


def attempt_view(attempt: Attempt, purpose: str | None = None) -> dict[str, Any]:
    """An attempt as the delivery log shows it (the signature token is not kept); a call's
    timeline puts what it was for (``purpose``) first."""
    headers = attempt.request_headers
    if "Authorization" in headers:
        headers = {**headers, "Authorization": "Bearer [signed]"}
    return {
        **({"purpose": purpose} if purpose is not None else {}),
        "url": attempt.url,
        "method": attempt.method,
        "attempt": attempt.attempt,
        "request": {"headers": headers, "body": attempt.request_body.decode("utf-8", "replace")},
        "status": attempt.status,
        "outcome": attempt.outcome,
        "latency_ms": round(attempt.latency_ms, 2),
        "response": attempt.response_body[:65_536].decode("utf-8", "replace"),
        **({"injected": attempt.injected} if attempt.injected else {}),
    }
