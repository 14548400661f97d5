"""The NCCO interpreter: runs a leg's actions one after another on the call's clock (wire §6).

An action may hand back a new NCCO (input, notify and synchronous connect results), which
replaces the rest. A transfer from the Voice API replaces it too, at once. A leg that joins a
conversation stays there; otherwise the platform hangs up when the NCCO runs out.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from ringway.domain.calls import timestamp
from ringway.domain.ncco import (
    Action,
    Connect,
    Conversation,
    Dtmf,
    Input,
    Notify,
    Record,
    Speech,
    Stream,
    Talk,
    Transfer,
    Wait,
)
from ringway.domain.simulation import DIGIT_GAP
from ringway.engine import sound
from ringway.engine.conversations import Conversations
from ringway.engine.mixer import rerouting
from ringway.engine.session import CallLeg, Hooks, Recording
from ringway.engine.webhooks import Target

if TYPE_CHECKING:
    from ringway.engine.audio import Samples


class Engine(Protocol):
    """What running an NCCO asks of the voice engine (a ``VoiceEngine``)."""

    conversations: Conversations

    async def audio_of(self, leg: CallLeg, url: str) -> Samples | None: ...

    def action_target(self, leg: CallLeg, urls: list[str] | None, method: str) -> Target: ...

    def with_event(self, leg: CallLeg, urls: list[str], method: str) -> Hooks: ...

    def recorder(self, leg: CallLeg, action: Record | None, whole_room: bool = False) -> Recording:
        """A recording of what ``leg`` says and hears (``whole_room``: of its conversation)."""

    async def post(
        self, leg: CallLeg, purpose: str, target: Target | None, fields: dict[str, Any]
    ) -> None: ...

    async def ask(
        self, leg: CallLeg, purpose: str, target: Target, fields: dict[str, Any]
    ) -> list[Action] | None: ...

    async def connect(self, leg: CallLeg, action: Connect) -> list[Action] | None: ...


NewNcco = list[Action] | None
SPEECH_CONFIDENCE = "0.95"


async def drive(
    engine: Engine, leg: CallLeg, ncco: list[Action], hang_up_at_end: bool = True
) -> None:
    """Run ``ncco`` on ``leg`` until the leg ends; when the NCCO runs out the platform hangs up
    (unless ``hang_up_at_end`` is false)."""
    queue = deque(ncco)
    while not leg.over:
        if leg.transfer is not None:
            queue, leg.transfer = deque(leg.transfer), None
            with rerouting(leg):
                engine.conversations.leave(leg)
            leg.note("ncco", event="transferred", ncco=_dump(list(queue)))
        elif queue:
            action = queue.popleft()
            leg.note("action", action=_dump([action])[0])
            replacement = await ACTIONS[type(action)](engine, leg, action)
            if replacement is not None and not leg.interrupted:
                queue = deque(replacement)
                leg.note("ncco", event="replaced", ncco=_dump(replacement))
        elif hang_up_at_end:
            leg.hang_up("platform")
        else:
            return


async def talk(engine: Engine, leg: CallLeg, action: Talk) -> NewNcco:
    audio = await sound.spoken(leg, action.text, action.language, action.style, action.level)
    await _play(leg, audio, action.loop, action.bargeIn, "talk", text=action.text)
    return None


async def stream(engine: Engine, leg: CallLeg, action: Stream) -> NewNcco:
    url = action.streamUrl[0]
    audio = await engine.audio_of(leg, url)
    if audio is not None:
        audio = sound.louder(audio, action.level)
        await _play(leg, audio, action.loop, action.bargeIn, "stream", url=url)
    return None


async def _play(
    leg: CallLeg, audio: Samples, loop: int, barge_in: bool, source: str, **detail: Any
) -> None:
    if barge_in:
        _prime(leg, None)
    finished = await sound.play(leg, audio, loop, source, ncco=True, until_input=barge_in,
                                **detail)  # fmt: skip
    if not finished and leg.inputs and not leg.over:
        leg.note("barge-in")


async def wait(engine: Engine, leg: CallLeg, action: Wait) -> NewNcco:
    await leg.pause(action.timeout, real=True)  # a wait for the Voice API
    return None


async def input_(engine: Engine, leg: CallLeg, action: Input) -> NewNcco:
    """Collect keys and speech from the far end; post the result; take an NCCO back."""
    dtmf, speech = action.dtmf or Dtmf(), action.speech or Speech()
    wants_dtmf, wants_speech = "dtmf" in action.type, "speech" in action.type
    if not leg.primed:
        leg.inputs.clear()
        _prime(leg, action, speech.language)
    leg.primed = False
    digits, heard, timed_out, reason = "", None, False, "start_timeout"
    timeout = speech.startTimeout if wants_speech else dtmf.timeOut
    while True:
        got = await leg.next_input(timeout)
        if leg.interrupted:
            return None
        if got is None:
            timed_out, reason = True, ("max_duration" if heard else reason)
            break
        kind, value = got
        if kind == "dtmf" and wants_dtmf and heard is None:
            if dtmf.submitOnHash and value == "#":
                break
            digits += value
            if len(digits) >= dtmf.maxDigits:
                break
            timeout = dtmf.timeOut
        elif kind == "speech" and wants_speech and not digits:
            heard, reason = value, "end_on_silence_timeout"
            if not await leg.pause(speech.endOnSilence):
                return None
            break
    result: dict[str, Any] = {**leg.fields(), "timestamp": timestamp(leg.clock.now())}
    if wants_speech:
        result["speech"] = {"timeout_reason": reason, "results": (
            [{"text": heard, "confidence": SPEECH_CONFIDENCE}] if heard else [])}  # fmt: skip
    if wants_dtmf:
        result["dtmf"] = {"digits": digits, "timed_out": timed_out and not heard}
    target = engine.action_target(leg, action.eventUrl, action.eventMethod)
    if action.mode == "asynchronous":
        await engine.post(leg, "input", target, result)
        return None
    return await engine.ask(leg, "input", target, result)


def _prime(leg: CallLeg, action: Input | None, language: str = "en-US") -> None:
    """The person starts answering the next input: keys its next DTMF entry or says its next
    utterance, whichever the input takes (for a bargeIn prompt, whichever the script has)."""
    types = action.type if action is not None else ["dtmf", "speech"]
    leg.primed = action is None
    leg.scripted = True
    if "dtmf" in types and leg.dtmf_script:
        keys = leg.dtmf_script.popleft()
        leg.session.spawn(_key(leg, keys))
    elif "speech" in types and leg.speech_script:
        words = leg.speech_script.popleft()
        leg.session.spawn(_say(leg, words, language))
    else:
        leg.scripted = False


async def _key(leg: CallLeg, keys: str, at: float | None = None) -> None:
    """The person keys ``keys``, a key every ``DIGIT_GAP`` seconds from now (or ``at``)."""
    if at is not None and await leg.clock.wait(leg.ended, at - leg.clock.elapsed()):
        return
    for key in keys:
        await leg.clock.wait(leg.ended, DIGIT_GAP)
        leg.give("dtmf", key)


async def _say(leg: CallLeg, words: str, language: str) -> None:
    """The person answers a speech input: their words sound on the call, then are heard."""
    start = leg.clock.elapsed() + sound.SPEAKING_AFTER
    seconds = await sound.say(leg, words, language, "speech", start)
    if not await leg.clock.wait(leg.ended, start + seconds - leg.clock.elapsed()):
        leg.give("speech", words)


async def record(engine: Engine, leg: CallLeg, action: Record) -> NewNcco:
    """Synchronous when it has an end condition (endOnSilence, endOnKey, timeOut), otherwise
    it records in the background until the call ends. A person with nothing in ``says``
    leaves a message of ``message_seconds`` (and presses ``endOnKey`` after it)."""
    recording = engine.recorder(leg, action)
    leg.recordings.append(recording)
    start = leg.clock.elapsed()  # when the person starts their message: after any beep
    if action.beepStart:
        clip = leg.played.add(start, sound.beep(), "beep")
        sound.mark(leg, "beep", start, clip.length)
        start = clip.end
    message = 0.0 if leg.person.says else leg.person.message_seconds
    if message:
        leg.session.spawn(sound.message(leg, start, message))
    if not {"endOnSilence", "endOnKey", "timeOut"} & action.model_fields_set:
        return None
    key = action.endOnKey
    if key is not None and message:
        leg.session.spawn(_key(leg, key, start + message - DIGIT_GAP))
    leg.inputs.clear()
    while not leg.interrupted and not _pressed(leg, key):
        ends = [start + action.timeOut]
        if action.endOnSilence is not None:  # silence: nothing said for that long
            ends.append(max(start + message, leg.voice.ends()) + action.endOnSilence)
        left = min(ends) - leg.clock.elapsed()
        if left <= 0:
            break
        scripted = action.endOnSilence is not None or (key is not None and message)
        await leg.pause(left, until_input=key is not None, real=not scripted)
    await recording.finish()
    return None


def _pressed(leg: CallLeg, key: str | None) -> bool:
    """Whether ``key`` was pressed since the last look (what else came is dropped)."""
    came = [value for kind, value in leg.inputs if kind == "dtmf"]
    leg.inputs.clear()
    return key is not None and key in "".join(came)


async def notify(engine: Engine, leg: CallLeg, action: Notify) -> NewNcco:
    target = engine.action_target(leg, action.eventUrl, action.eventMethod)
    return await engine.ask(leg, "notify", target, action.payload)


async def conversation(engine: Engine, leg: CallLeg, action: Conversation) -> NewNcco:
    assert leg.application is not None
    room = engine.conversations.named(leg.application.id, action.name)
    if action.eventUrl is not None:
        leg.hooks = engine.with_event(leg, action.eventUrl, action.eventMethod)
    with rerouting(leg, room=room):
        engine.conversations.join(leg, room, action.startOnEnter, end_on_exit=action.endOnExit,
                                  can_hear=action.canHear, can_speak=action.canSpeak,
                                  mute=action.mute)  # fmt: skip
    if not room.started:
        music = action.musicOnHoldUrl[0] if action.musicOnHoldUrl else "default"
        leg.note("conversation", event="music-on-hold", conversation=room.name, music=music)
    if action.record:
        leg.recordings.append(engine.recorder(leg, None, whole_room=True))
    return await _stay(leg)


async def _stay(leg: CallLeg) -> NewNcco:
    """A leg in a conversation stays there, past the rest of its NCCO, until it hangs up, the
    conversation ends, or the Voice API transfers it."""
    while leg.member is not None and not leg.interrupted:
        await leg.idle()
    return None


async def transfer(engine: Engine, leg: CallLeg, action: Transfer) -> NewNcco:
    owner = leg.application.id if leg.application else ""
    room = engine.conversations.by_id(owner, action.conversationId)
    if room is None:  # another application's room is as unknown as one that never existed
        leg.note("error", reason=f"no conversation has the id {action.conversationId}")
        return None
    with rerouting(leg, room=room):
        engine.conversations.join(leg, room, True, can_hear=action.canHear,
                                  can_speak=action.canSpeak, mute=action.mute)  # fmt: skip
    return await _stay(leg)


async def connect(engine: Engine, leg: CallLeg, action: Connect) -> NewNcco:
    return await engine.connect(leg, action)


ACTIONS: dict[type[Any], Any] = {
    Talk: talk,
    Stream: stream,
    Wait: wait,
    Input: input_,
    Record: record,
    Notify: notify,
    Conversation: conversation,
    Transfer: transfer,
    Connect: connect,
}


def _dump(actions: list[Action]) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json", by_alias=True, exclude_unset=True) for a in actions]
