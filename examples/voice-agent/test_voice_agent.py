"""The voice agent's tests: a call placed through ringway reaches the agent's WebSocket, the
caller is greeted with speech, and what the caller's side makes heard is said back (a key's
tone, or the caller's words, heard again in a recording of the call), with the ``ringway``
pytest plugin (``pip install ringway``)."""

from __future__ import annotations

import io
import ssl
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import numpy
import pytest
from agent import (
    BEFORE,
    CALLS,
    CONTENT_TYPE,
    END,
    FRAME,
    GREETING,
    GREETING_AUDIO,
    LONGEST,
    RATE,
    START,
    TAIL,
    Listener,
    make_app,
)
from aiohttp import web

from ringway.security.jwt import mint
from ringway.testing.receiver import WebhookReceiver
from ringway.testing.served import ServedApp

CALLER = "447700900123"  # a fictional number the simulated caller rings from
WORDS = "Hello there"  # what a caller says, once the agent's greeting is over
T = TypeVar("T")


@dataclass
class Agent:
    app: web.Application
    url: str
    number: str  # linked to an application whose answer URL is the agent's


@pytest.fixture
def agent(ringway: Any, request: pytest.FixtureRequest) -> Iterator[Agent]:
    """The agent, served on a free port of 127.0.0.1 for the length of a test, with an
    application of its own and a number; a short greeting keeps the test short (a test
    parametrized indirectly gives another)."""
    app = make_app(greeting=getattr(request, "param", "Hello."))
    with ServedApp(app) as served:
        application = ringway.create_application(name="voice agent", capabilities={"voice": {
            "webhooks": {"answer_url": {"address": f"{served.url}/answer", "http_method": "GET"},
                         "event_url": {"address": f"{served.url}/event"}}}})  # fmt: skip
        yield Agent(app, served.url, ringway.buy_number(application_id=application.id))


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 10.0) -> T:
    """What ``probe`` returns once it returns something."""
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.02)
    return found


def loudness(audio: bytes) -> float:
    samples = numpy.frombuffer(audio, "<i2").astype(numpy.float64)
    return float(numpy.sqrt(numpy.mean(samples**2)))


def test_the_answer_connects_the_caller_to_the_agents_socket(agent: Agent) -> None:
    ncco = httpx.get(f"{agent.url}/answer", params={"from": CALLER}).json()
    host = agent.url.removeprefix("http://")
    assert ncco == [{"action": "connect", "endpoint": [{
        "type": "websocket", "uri": f"ws://{host}/socket", "content-type": CONTENT_TYPE,
        "headers": {"caller": CALLER}}]}]  # fmt: skip


def test_a_caller_is_greeted_and_hears_back_what_it_made_heard(ringway: Any, agent: Agent) -> None:
    greeting = agent.app[GREETING_AUDIO]
    assert len(greeting) % FRAME == 0 and loudness(greeting) > 1000  # speech, not silence
    placed = ringway.client.calls.simulate(CALLER, agent.number, hangup_after=2.5)
    call = eventually(lambda: agent.app[CALLS] and agent.app[CALLS][0], what="socket")
    connected = eventually(lambda: call.events and call.events[0], what="connected message")
    assert connected == {"event": "websocket:connected", "content-type": CONTENT_TYPE,
                         "caller": CALLER}  # fmt: skip
    eventually(lambda: call.speaker.sent == len(greeting) // FRAME, what="greeting sent")
    eventually(lambda: not call.speaker.talking, what="greeting played")  # no interruption
    # A key's tone is a sound the agent hears and says back, as it does words (the last test).
    ringway.client.calls.dtmf(placed["uuid"], "5")
    eventually(lambda: call.utterances, what="utterance")
    page = eventually(lambda: (p := ringway.client.calls.timeline(placed["uuid"]))["running"]
                      is False and p, what="the end of the call")  # fmt: skip
    assert call.heard > 80  # 20 ms frames for the ~2.5 s the call lasted
    [tone] = call.utterances
    assert 13 * FRAME <= len(tone) <= (13 + 5 + 5 + 2) * FRAME  # 260 ms, and a margin
    assert loudness(tone) > 3000
    closed = next(e for e in page["entries"]
                  if e["kind"] == "websocket" and e.get("event") == "closed")  # fmt: skip
    sent = (len(greeting) + len(tone)) // FRAME
    assert call.speaker.sent == sent
    assert (closed["frames_in"], closed["refused"], closed["dropped"]) == (sent, 0, 0)
    assert closed["played"] == sent  # all of it, before the caller hung up
    assert (closed["by"], closed["code"]) == ("ringway", 1000)


def frames(level: int, count: int) -> list[bytes]:
    samples = (numpy.sin(numpy.arange(FRAME // 2) / 3) * level).astype("<i2").tobytes()
    return [samples] * count


def test_utterances_are_found_by_their_energy() -> None:
    listener = Listener()
    heard = [listener.hear(f) for f in frames(0, 10) + frames(8000, 20) + frames(0, END + 10)]
    [utterance] = [u for u in heard if u is not None]
    # the quiet just before it, the sound, and a tail of quiet
    assert len(utterance) == (BEFORE - START + 20 + TAIL) * FRAME
    quiet = Listener()
    assert all(quiet.hear(f) is None for f in frames(300, 200))  # below the threshold
    endless = Listener()
    heard = [endless.hear(f) for f in frames(8000, LONGEST + 10)]
    assert [len(u) // FRAME for u in heard if u is not None] == [LONGEST]


@pytest.mark.parametrize("agent", [GREETING], indirect=True, ids=["a 5 s greeting"])
def test_a_caller_who_speaks_over_the_agent_interrupts_it(ringway: Any, agent: Agent) -> None:
    """The agent stops talking, and has ringway drop what it queued (``clear``), as soon as the
    caller makes a sound; then it says back what it heard."""
    placed = ringway.client.calls.simulate(CALLER, agent.number, hangup_after=2.5)
    call = eventually(lambda: agent.app[CALLS] and agent.app[CALLS][0], what="socket")
    eventually(lambda: call.speaker.sent > 10, what="greeting started")
    ringway.client.calls.dtmf(placed["uuid"], "5")
    eventually(lambda: call.utterances, what="utterance")
    page = eventually(lambda: (p := ringway.client.calls.timeline(placed["uuid"]))["running"]
                      is False and p, what="the end of the call")  # fmt: skip
    assert {"event": "websocket:cleared"} in call.events
    [tone] = call.utterances
    greeted = call.speaker.sent - len(tone) // FRAME
    assert greeted < len(agent.app[GREETING_AUDIO]) // FRAME / 2  # the rest was never sent
    websocket = [e for e in page["entries"] if e["kind"] == "websocket"]
    assert [e["action"] for e in websocket if e["event"] == "command"] == ["clear"]
    closed = websocket[-1]
    assert closed["frames_in"] == call.speaker.sent
    assert closed["played"] < closed["frames_in"]  # what was queued at the clear never played


def test_a_caller_who_speaks_hears_their_words_said_back(
    ringway: Any, agent: Agent, webhook_receiver: WebhookReceiver
) -> None:
    """The caller speaks after the greeting: the agent hears speech, says back an utterance as
    long, and a recording of the call holds the words on the caller's side and the echo on
    the side they hear (the agent's NCCO behind a ``record``, in an application of the test's
    own)."""
    record = {"action": "record", "split": "conversation", "format": "wav",
              "eventUrl": [webhook_receiver.url + "/recording"]}  # fmt: skip
    connect = httpx.get(f"{agent.url}/answer", params={"from": CALLER}).json()
    answer = webhook_receiver.route("/answer", [record, *connect])
    application = ringway.create_application(name="recorded agent", capabilities={"voice": {
        "webhooks": {"answer_url": {"address": answer, "http_method": "GET"},
                     "event_url": {"address": f"{agent.url}/event"}}}})  # fmt: skip
    number = ringway.buy_number(application_id=application.id)
    says = [{"text": WORDS, "at": 2.0}]  # seconds after the answer: the greeting has ended
    placed = ringway.client.calls.simulate(CALLER, number, says=says, hangup_after=5.5)
    page = eventually(lambda: (p := ringway.client.calls.timeline(placed["uuid"]))["running"]
                      is False and p, what="the end of the call")  # fmt: skip
    [call] = agent.app[CALLS]
    [utterance] = call.utterances  # and no interruption: the greeting was over
    assert {"event": "websocket:cleared"} not in call.events
    assert loudness(utterance) > 1000  # speech, as the agent heard it
    audio = [e for e in page["entries"] if e["kind"] == "audio"]
    [said] = [e for e in audio if e["source"] == "says"]
    assert said["text"] == WORDS
    # espeak-ng's silence before and after the words is not part of the utterance
    assert said["seconds"] - 0.4 < len(utterance) / FRAME / 50 < said["seconds"] + 0.2
    [_, echo] = [e for e in audio if e["source"] == "socket"]  # the greeting, then the echo
    assert echo["seconds"] == pytest.approx(len(utterance) / FRAME / 50, abs=0.021)
    assert echo["start"] > said["start"] + said["seconds"]
    closed = next(e for e in page["entries"]
                  if e["kind"] == "websocket" and e.get("event") == "closed")  # fmt: skip
    assert closed["played"] == closed["frames_in"] == call.speaker.sent  # all of it, played
    [event] = webhook_receiver.wait_for("/recording")
    recording = recorded(ringway, application, event.json["recording_url"])
    assert recording.shape[1] == 2  # split: the caller, then what the caller hears
    caller, heard = recording[:, 0].tobytes(), recording[:, 1].tobytes()
    [words] = utterances(caller)
    assert abs(len(words) - len(utterance)) <= 2 * FRAME  # what the agent heard was the words
    greeting, echoed = utterances(heard)
    [greeted] = utterances(agent.app[GREETING_AUDIO])
    assert abs(len(greeting) - len(greeted)) <= 2 * FRAME
    assert abs(len(echoed) - len(utterance)) <= 2 * FRAME
    assert loudness(echoed) == pytest.approx(loudness(utterance), rel=0.1)  # heard as said


def recorded(ringway: Any, application: Any, url: str) -> numpy.ndarray:
    """The samples (frames by channels) of a WAV recording, downloaded as an application does:
    with a JWT signed with its private key."""
    token = mint(application.id, application.keys.private_key)
    verify = ringway.server.verify
    tls = ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
    answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=tls)
    answer.raise_for_status()
    with wave.open(io.BytesIO(answer.content)) as sound:
        assert (sound.getframerate(), sound.getsampwidth()) == (RATE, 2)
        samples = numpy.frombuffer(sound.readframes(sound.getnframes()), "<i2")
        return samples.reshape(-1, sound.getnchannels())


def utterances(audio: bytes) -> list[bytes]:
    """The utterances the agent finds in ``audio`` (at ``RATE``), followed by silence."""
    listener = Listener()
    audio += bytes(END * FRAME)
    heard = [
        listener.hear(audio[i : i + FRAME]) for i in range(0, len(audio) // FRAME * FRAME, FRAME)
    ]
    return [u for u in heard if u is not None]
