"""A simulated call while it runs: its clock, its legs, and its timeline."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from ringway.domain.applications import Application
from ringway.domain.calls import CallRecord, Entry, Leg, Status, Timeline
from ringway.domain.ncco import Action
from ringway.domain.outcomes import INTERNAL, of_call
from ringway.domain.simulation import Person
from ringway.engine.clock import Clock
from ringway.engine.conversations import Member
from ringway.engine.mixer import rerouting
from ringway.engine.tape import Tape
from ringway.engine.webhooks import Signer, Target
from ringway.storage.ids import ordered_uuid

log = logging.getLogger("ringway.engine")


class Recording(Protocol):
    """A recording a leg is making (``voice.Recording``), finished when the leg ends."""

    uuid: str

    async def finish(self) -> None: ...


class Socket(Protocol):
    """The WebSocket at a leg's far end (``websocket.Socket``)."""

    closed_by: str | None

    def key(self, digit: str) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Hooks:
    """Where a leg's requests go: the answer URL and its fallback, and the event URL."""

    answer: Target | None = None
    fallback: Target | None = None
    event: Target | None = None
    signer: Signer | None = None


class Session:
    """One simulated call: the legs that share its clock and its timeline."""

    def __init__(
        self,
        account_id: str,
        clock: Clock,
        journal: Callable[[Any], None],
        on_done: Callable[[Session], None] = lambda _session: None,
        owner: str | None = None,
    ) -> None:
        self.uuid = ordered_uuid()
        self.account_id = account_id
        self.owner = owner  # the process running the call
        self.clock = clock
        self.entries: list[Entry] = []
        self.legs: dict[str, CallLeg] = {}
        self._journal = journal
        self._tasks: set[asyncio.Task[None]] = set()
        self.done = asyncio.Event()  # set when the last task of the call has ended
        self._on_done = on_done
        self.discarded = False  # a reset wiped the call: nothing more of it is stored

    def note(self, leg: str, kind: str, **data: Any) -> Entry:
        """Add a line to the timeline."""
        return self.add(leg, kind, data)

    def add(self, leg: str, kind: str, data: dict[str, Any]) -> Entry:
        """Add a line to the timeline, ``data`` as it is."""
        entry = Entry(self.uuid, len(self.entries) + 1, leg, self.clock.now(), kind, data)
        self.entries.append(entry)
        self._journal(entry)
        return entry

    def save(self, leg: CallLeg) -> None:
        self._journal(leg)

    def discard(self) -> None:
        """Store nothing more of the call (what is noted stays in memory while it runs)."""
        self.discarded = True
        self._journal = _nowhere

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``work`` as a participant of the call's clock."""
        self.clock.join()

        async def participant() -> None:
            try:
                await work
            finally:
                self.clock.leave()

        task = asyncio.create_task(participant())
        self._tasks.add(task)
        task.add_done_callback(self._ended)
        return task

    async def cancel(self) -> None:
        """Stop every task of the call, and wait until they have stopped."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("a task of call %s failed", self.uuid, exc_info=error)
            self.note("", "error", reason=f"internal error: {error!r}")
            for leg in self.legs.values():
                leg.problems.append(INTERNAL)
        if not self._tasks:
            self.done.set()
            self._journal(Timeline(self.uuid, self.entries))  # stored packed from now on
            self._on_done(self)


def _nowhere(_item: object) -> None:
    """The journal of a discarded call."""


class CallLeg:
    """A leg while it runs: what it hears from its far end, what interrupts its NCCO."""

    def __init__(
        self,
        session: Session,
        leg: Leg,
        *,
        endpoint_type: str,
        hooks: Hooks,
        person: Person | None = None,
        application: Application | None = None,
        custom_data: dict[str, Any] | None = None,
    ) -> None:
        self.session = session
        self.leg = leg
        self.endpoint_type = endpoint_type
        self.hooks = hooks
        self.application = application
        self.custom_data = custom_data
        self.created_at = session.clock.now()
        self.inputs: deque[tuple[str, str]] = deque()
        self.primed = False  # the person has already begun answering the next input
        self.scripted = False  # ... from their script (else nobody will answer it here)
        self.meet(person or Person())
        self.hung_up_by: str | None = None
        self.transfer: list[Action] | None = None
        self.peer: CallLeg | None = None  # the leg this one is bridged to by a connect
        self.far: CallLeg | None = None  # the inbound leg of a ringway number this one rang
        self.sync = False  # events may answer with an NCCO for the connecting leg
        self.replacement: list[Action] | None = None
        self.member: Member | None = None
        self._muted = self._earmuffed = False
        self.voice = Tape(session.clock)  # what its far end says into the call
        self.played = Tape(session.clock)  # what the platform plays to its far end
        self.recordings: list[Recording] = []
        # What its outcome is made of: how it ended early (status, detail), the requests for
        # an NCCO that failed it, and a failure the fallback answer URL made good.
        self.ending: tuple[str, str | None] | None = None
        self.problems: list[str] = []
        self.rescued: str | None = None
        self.playing: dict[str, asyncio.Task[None]] = {}  # talk or stream from the Voice API
        self.on_key: Callable[[str], None] | None = None  # real-time DTMF, when subscribed
        self.socket: Socket | None = None  # the WebSocket at its far end, while open
        self.headers: dict[str, Any] | None = None  # a WebSocket endpoint's, echoed in events
        self.ended = asyncio.get_running_loop().create_future()
        self._signal: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        session.legs[leg.uuid] = self

    @property
    def uuid(self) -> str:
        return self.leg.uuid

    @property
    def clock(self) -> Clock:
        return self.session.clock

    @property
    def over(self) -> bool:
        return self.hung_up_by is not None or self.leg.ended

    def note(self, kind: str, **data: Any) -> Entry:
        return self.session.add(self.leg.uuid, kind, data)

    @property
    def muted(self) -> bool:
        """Whether nobody hears what its far end says."""
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        with rerouting(self):
            self._muted = value

    @property
    def earmuffed(self) -> bool:
        """Whether its far end hears nobody (what the platform plays to it, it still hears)."""
        return self._earmuffed

    @earmuffed.setter
    def earmuffed(self, value: bool) -> None:
        with rerouting(self):
            self._earmuffed = value

    def meet(self, person: Person) -> None:
        """Set who is at the far end, and what they will key and say."""
        self.person = person
        self.dtmf_script = deque(person.dtmf)
        self.speech_script = deque(person.speech)

    def signal(self) -> asyncio.Future[None]:
        """A future resolved by the next thing that may change what the leg does."""
        if self._signal.done():
            self._signal = asyncio.get_running_loop().create_future()
        return self._signal

    def wake(self) -> None:
        if not self._signal.done():
            self._signal.set_result(None)

    def hang_up(self, by: str) -> None:
        """End the leg at its next step; ``by`` is ``user`` or ``platform``."""
        if not self.over:
            self.hung_up_by = by
            self.wake()
            if self.peer is not None:
                self.peer.wake()

    def give(self, kind: str, value: str) -> None:
        """Input from the far end: ``dtmf`` keys or ``speech``."""
        if self.over:
            return
        self.inputs.append((kind, value))
        self.note("input", input=kind, value=value)
        if kind == "dtmf":  # heard on the call as its tones
            self.voice.keys(self.clock.elapsed(), value)
        if kind == "dtmf" and self.on_key is not None:
            self.on_key(value)
        if kind == "dtmf":  # a socket on the call gets an event for every key pressed on it
            for party in (self, self.peer):
                if party is not None and party.socket is not None:
                    party.socket.key(value)
        self.wake()

    async def pause(
        self, seconds: float | None, until_input: bool = False, *, real: bool = False
    ) -> bool:
        """Let ``seconds`` pass (``None``: until interrupted); ``False`` when the leg was hung
        up, given a new NCCO, or (``until_input``) given input first. ``real`` seconds wait on
        the outside world and are never skipped (see ``Clock``)."""
        deadline = None if seconds is None else self.clock.elapsed() + seconds
        while True:
            if self.interrupted or (until_input and self.inputs):
                return False
            left = None if deadline is None else deadline - self.clock.elapsed()
            if left is not None and left <= 0:
                return True
            if not await self.clock.wait(self.signal(), left, real=real):
                return True

    async def idle(self) -> None:
        """Wait, in real time, for the next thing that may change what the leg does."""
        await self.clock.wait(self.signal(), None)

    async def next_input(self, timeout: float) -> tuple[str, str] | None:
        """The next input within ``timeout`` seconds, else ``None``; real seconds unless the
        person is scripted to answer."""
        if not self.inputs:
            await self.pause(timeout, until_input=True, real=not self.scripted)
        return self.inputs.popleft() if self.inputs and not self.interrupted else None

    @property
    def interrupted(self) -> bool:
        return self.over or self.transfer is not None

    def fields(self) -> dict[str, Any]:
        """What identifies the leg in every request about it."""
        return {
            "from": self.leg.from_,
            "to": self.leg.to,
            "uuid": self.uuid,
            "conversation_uuid": self.leg.conversation_uuid,
        }

    def record(self) -> CallRecord:
        end = self.leg.ended_at
        seconds, price = self.leg.charges(end) if end else (0, None)
        ending, detail = self.ending or (None, None)
        outcome = of_call(ending, detail, self.problems, self.rescued) if end else None
        return CallRecord(
            uuid=self.uuid,
            session=self.session.uuid,
            account_id=self.session.account_id,
            application_id=self.application.id if self.application else None,
            conversation_uuid=self.leg.conversation_uuid,
            direction=self.leg.direction,
            from_address=self.leg.from_,
            to_address=self.leg.to,
            endpoint_type=self.endpoint_type,
            status=str(self.leg.status or Status.STARTED),
            rate=f"{self.leg.rate:.8f}",
            price=None if price is None else f"{price:.8f}",
            duration=seconds if end else None,
            start_time=self.leg.answered_at,
            end_time=end,
            created_at=self.created_at,
            owner=self.session.owner,
            outcome=outcome.text if outcome else None,
            failed=bool(outcome and outcome.failed),
        )
