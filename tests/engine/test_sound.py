"""Calls that carry real audio: talk and what a caller says in a split recording, streams whose
length is their audio's, a conversation's recording as members are muted, a WebSocket agent
that hears the caller and is heard in the recording, and spoken answers to speech input."""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from ringway.domain.simulation import Person
from ringway.domain.timeline import summary
from ringway.domain.voice import CallUpdate, StreamRequest
from ringway.engine import media, speech
from ringway.engine.audio import RATE
from ringway.engine.session import CallLeg
from tests.agents import agent
from tests.engine.test_actions import loudness, talked
from tests.engine.world import World, play, talk
from tests.receivers import Reply

WORDS = "I would like to speak to someone about my order please."
PROMPT = "Welcome to the shop. Please say what you would like."


def recorded(w: World, event: dict[str, Any]) -> tuple[np.ndarray, str]:
    """The samples of a recording (frames by channels) and its file's suffix."""
    path = w.platform.calls.recording(w.account_id, event["recording_uuid"])
    assert path is not None and path.stat().st_size == event["size"]
    audio, rate = soundfile.read(path, dtype="int16", always_2d=True)
    assert rate == RATE
    return audio, path.suffix


def stretch(samples: np.ndarray, start: float, end: float) -> float:
    """The loudness of ``samples`` from ``start`` to ``end`` seconds."""
    return loudness(samples[round(start * RATE) : round(end * RATE)])


def marks(leg: CallLeg, source: str) -> list[dict[str, Any]]:
    return [e.data for e in leg.session.entries if e.kind == "audio" and e.data["source"] == source]


def tone(seconds: float, hz: float = 440) -> np.ndarray:
    n = np.arange(round(seconds * RATE))
    return (8000 * np.sin(2 * np.pi * hz * n / RATE)).astype(np.int16)


def test_a_split_recording_holds_the_caller_on_one_side_and_the_talk_on_the_other(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        record = {"action": "record", "split": "conversation", "format": "wav",
                  "eventUrl": [w.receiver.url + "/recording"]}  # fmt: skip
        ncco = [record, talk(PROMPT), {"action": "conversation", "name": "hold"}]
        _, number = w.application(Reply(body=ncco))
        says = [{"text": WORDS, "at": 5.0}]
        leg = await w.call(number, Person(says=says, hangup_after=10.0))  # type: ignore[arg-type]
        prompt = len(await speech.synthesize(PROMPT)) / RATE
        words = len(await speech.synthesize(WORDS)) / RATE
        assert 2 < prompt < 4.5 and 2 < words < 4.5
        (event,) = w.events("/recording")
        audio, suffix = recorded(w, event)
        assert suffix == ".wav" and audio.shape[1] == 2
        assert 9.9 < len(audio) / RATE < 10.2  # from the answer to the hang-up
        (says_mark,) = marks(leg, "says")
        (talk_mark,) = marks(leg, "talk")
        assert says_mark["seconds"] == pytest.approx(words, abs=0.01)
        assert talk_mark["seconds"] == pytest.approx(prompt, abs=0.01)
        line = summary({"kind": "audio", **says_mark})
        start, seconds = says_mark["start"], says_mark["seconds"]
        assert line.startswith(f"audio says from {start} s for {seconds} s")
        assert "I would like" in line
        (answered,) = [e.at for e in leg.session.entries
                       if e.kind == "status" and e.data["status"] == "answered"]  # fmt: skip
        answered_at = (answered - leg.clock.start).total_seconds()  # on the call's clock
        assert says_mark["start"] - answered_at == pytest.approx(5.0, abs=0.05)
        start = leg.recordings[0].start  # type: ignore[attr-defined]
        spoke, talked = says_mark["start"] - start, talk_mark["start"] - start  # in the recording
        caller, heard = audio[:, 0], audio[:, 1]
        assert stretch(heard, talked + 0.1, talked + prompt - 0.3) > 300  # the talk, heard
        assert stretch(heard, talked + prompt + 0.1, 10) < 10
        assert stretch(caller, 0, spoke - 0.1) < 10  # the caller, silent till they speak
        assert stretch(caller, spoke + 0.2, spoke + words - 0.3) > 300
        assert stretch(caller, spoke + words + 0.1, 10) < 10

    play(tmp_path, test)


def test_a_recording_is_mp3_by_default_and_mono(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        record = {"action": "record", "eventUrl": [w.receiver.url + "/recording"]}
        _, number = w.application(Reply(body=[record, talk(PROMPT)]))
        await w.call(number, Person(says=[{"text": WORDS, "at": 0.5}]))  # type: ignore[list-item]
        (event,) = w.events("/recording")
        audio, suffix = recorded(w, event)
        assert suffix == ".mp3" and audio.shape[1] == 1
        prompt = len(await speech.synthesize(PROMPT)) / RATE
        assert prompt - 0.1 < len(audio) / RATE < prompt + 0.3
        assert stretch(audio[:, 0], 0.6, prompt - 0.5) > 300

    play(tmp_path, test)


def _wav(samples: np.ndarray, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(samples[:: RATE // rate].astype("<i2").tobytes())
    return out.getvalue()


@pytest.mark.parametrize(("kind", "seconds"), [("wav", 1.5), ("mp3", 2.5), ("junk", 0.0)])
def test_a_stream_plays_for_the_length_of_its_audio(
    tmp_path: Path, kind: str, seconds: float
) -> None:
    files = {"wav": lambda: _wav(tone(1.5)), "mp3": lambda: media.encode([tone(2.5)], "mp3"),
             "junk": lambda: b"<html>not audio</html>"}  # fmt: skip

    async def test(w: World) -> None:
        body = files[kind]()
        url = w.receiver.answer(f"/hold.{kind}", Reply(body=body))
        stream = {"action": "stream", "streamUrl": [url], "loop": 2}
        _, number = w.application(Reply(body=[stream]))
        leg = await w.call(number)
        assert 2 * seconds - 0.05 < talked(w) < 2 * seconds + 1.5  # and its requests' time
        (fetched,) = [e.data for e in leg.session.entries
                      if e.kind == "request" and e.data["purpose"] == "stream"]  # fmt: skip
        assert fetched["response"] == f"[{len(body)} bytes of audio]"  # not the bytes themselves
        undecodable = [e.data for e in leg.session.entries
                       if e.kind == "stream" and e.data.get("event") == "undecodable"]  # fmt: skip
        if kind == "junk":
            assert undecodable[0]["url"] == url and "not an audio file" in undecodable[0]["reason"]
            assert marks(leg, "stream") == []
        else:
            assert not undecodable and marks(leg, "stream")[0]["seconds"] == pytest.approx(
                2 * seconds, abs=0.05)  # fmt: skip

    play(tmp_path, test)


@pytest.mark.parametrize("by", ["ncco", "voice api"])
def test_a_long_stream_plays_whole(tmp_path: Path, by: str) -> None:
    """A file far past the 256 KiB an NCCO is read to (40 s of 8 kHz WAV, 640 kB) plays its
    full length, from an NCCO or the Voice API (``PUT …/stream``, at 100 times real time)."""

    async def test(w: World) -> None:
        body = _wav(tone(40))
        assert len(body) > 2 * 256 * 1024
        url = w.receiver.answer("/long.wav", Reply(body=body))
        if by == "ncco":
            _, number = w.application(Reply(body=[{"action": "stream", "streamUrl": [url]}]))
            leg = await w.call(number)
            assert 40 - 0.05 < talked(w) < 40 + 1.5
        else:
            _, number = w.application(Reply(body=[{"action": "conversation", "name": "hold"}]))
            leg = await w.start(number, Person(hangup_after=60), speed=100)
            while not leg.leg.answered_at:
                await asyncio.sleep(0.005)
            request = StreamRequest.model_validate({"stream_url": [url]})
            await w.platform.calls.stream(w.account_id, leg.uuid, request)
            await leg.session.done.wait()
            assert [e.data["event"] for e in leg.session.entries if e.kind == "stream"] == [
                "started", "done"]  # fmt: skip
        (fetched,) = [e.data for e in leg.session.entries
                      if e.kind == "request" and e.data["purpose"] == "stream"]  # fmt: skip
        assert marks(leg, "stream")[0]["seconds"] == pytest.approx(40, abs=0.01)
        assert fetched["response"] == f"[{len(body)} bytes of audio]"

    play(tmp_path, test)


def test_a_stream_past_the_largest_file_plays_nothing(tmp_path: Path) -> None:
    """A file over ``media.MAX_FILE_BYTES`` is not played cut short: it plays nothing, and the
    timeline says why."""

    async def test(w: World) -> None:
        out = io.BytesIO()
        with wave.open(out, "wb") as audio:  # 35 minutes of 8 kHz silence: short enough
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            audio.writeframes(bytes(media.MAX_FILE_BYTES + 2))
        url = w.receiver.answer("/huge.wav", Reply(body=out.getvalue()))
        ncco = [{"action": "stream", "streamUrl": [url]}, talk("Goodbye.")]
        _, number = w.application(Reply(body=ncco))
        leg = await w.call(number)
        (fetched,) = [e.data for e in leg.session.entries
                      if e.kind == "request" and e.data["purpose"] == "stream"]  # fmt: skip
        assert fetched["outcome"] == "too-large"
        (refused,) = [e.data for e in leg.session.entries
                      if e.kind == "stream" and e.data.get("event") == "undecodable"]  # fmt: skip
        assert refused["url"] == url
        assert refused["reason"] == f"the file is larger than {media.MAX_FILE_BYTES >> 20} MiB"
        assert marks(leg, "stream") == [] and len(marks(leg, "talk")) == 1

    play(tmp_path, test)


def test_a_conversation_recording_lacks_a_member_while_muted(tmp_path: Path) -> None:
    """Three callers in one conversation, each speaking all along in a voice of their own;
    the middle one is muted for about two seconds (calls at ten times real time)."""

    async def test(w: World) -> None:
        room = {"action": "conversation", "name": "team"}
        _, number = w.application(Reply(body=[{**room, "record": True}]), Reply(body=[room]))
        talkers = []
        for hz in (300, 1000, 2500):
            talkers.append(await w.start(number, speed=10))
            talkers[-1].voice.add(talkers[-1].clock.elapsed(), tone(60, hz), "caller")
            await asyncio.sleep(0.02)
        first, middle = talkers[0], talkers[1]
        while not first.recordings:
            await asyncio.sleep(0.01)
        (recording,) = first.recordings

        async def control(action: str) -> float:
            """Send ``action`` to the middle leg; when, on the recording."""
            update = CallUpdate.model_validate({"action": action})
            await w.platform.calls.update(w.account_id, middle.uuid, update)
            return first.clock.elapsed() - recording.start  # type: ignore[attr-defined]

        while not all(leg.member for leg in talkers):
            await asyncio.sleep(0.01)
        joined = first.clock.elapsed() - recording.start  # type: ignore[attr-defined]
        await asyncio.sleep(0.15)
        muted = await control("mute")
        await asyncio.sleep(0.2)
        unmuted = await control("unmute")
        await asyncio.sleep(0.15)
        for leg in talkers:
            await w.platform.calls.caller(w.account_id, leg.uuid, "hangup")
            await leg.session.done.wait()
        assert muted > joined + 1 and unmuted > muted + 1
        (event,) = [e for e in w.events() if "recording_url" in e]
        audio, _ = recorded(w, event)
        mix = audio[:, 0].astype(np.float64)

        def has(hz: float, start: float, end: float) -> bool:
            piece = mix[round(start * RATE) : round(end * RATE)]
            n = np.arange(len(piece))
            power = abs(np.dot(piece, np.exp(-2j * np.pi * hz * n / RATE))) / len(piece)
            return bool(power > 500)

        heard = {hz: [has(hz, s / 4, s / 4 + 0.25) for s in range(round(len(mix) / RATE * 4))]
                 for hz in (300, 1000, 2500)}  # fmt: skip
        said = (muted, unmuted, heard)
        assert all(has(300, s, s + 0.5) for s in (joined, muted, unmuted)), said
        assert all(has(2500, s, s + 0.5) for s in (joined, muted, unmuted)), said
        assert has(1000, joined, muted - 0.2) and has(1000, unmuted + 0.2, unmuted + 0.7)
        assert not has(1000, muted + 0.1, unmuted - 0.1)  # muted

    play(tmp_path, test)


def test_a_websocket_agent_hears_the_caller_and_the_recording_hears_the_agent(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        async with agent(echo=True) as server:
            record = {"action": "record", "split": "conversation",
                      "eventUrl": [w.receiver.url + "/recording"]}  # fmt: skip
            connect = {
                "action": "connect",
                "endpoint": [
                    {"type": "websocket", "uri": server.url, "content-type": "audio/l16;rate=8000"}
                ],
            }
            _, number = w.application(Reply(body=[record, connect]))
            says = [{"text": "Hello agent", "at": 0.2}]
            leg = await w.call(number, Person(says=says, hangup_after=2.0))  # type: ignore[arg-type]
            accepted = server.accepted[0]
        words = len(await speech.synthesize("Hello agent")) / RATE
        loud = [at for at, frame in accepted.frames
                if loudness(np.frombuffer(frame, dtype="<i2")) > 300]  # fmt: skip
        assert len(loud) > 0.5 * words * 50  # the caller's words reached the agent, 20 ms a frame
        (event,) = w.events("/recording")
        audio, _ = recorded(w, event)
        caller, heard = audio[:, 0], audio[:, 1]
        start = np.argmax(abs(caller) > 1000) / RATE  # where the caller starts speaking
        assert 0.1 < start < 0.6
        assert stretch(caller, start, start + words - 0.2) > 300
        assert stretch(heard, start + 0.2, start + words - 0.1) > 300  # the agent's echo
        assert stretch(heard, 0, start) < 10
        (socket_leg,) = [other for other in leg.session.legs.values() if other is not leg]
        assert marks(socket_leg, "socket")

    play(tmp_path, test)


def test_a_speech_input_gets_the_words_the_caller_speaks(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        record = {"action": "record", "eventUrl": [w.receiver.url + "/recording"]}
        ask = {"action": "input", "type": ["speech"], "eventUrl": [w.receiver.url + "/input"],
               "speech": {"endOnSilence": 1, "language": "en-GB"}}  # fmt: skip
        _, number = w.application(Reply(body=[record, ask]))
        leg = await w.call(number, Person(speech=[WORDS], message_seconds=0))
        (result,) = w.events("/input")
        assert result["speech"]["results"] == [{"text": WORDS, "confidence": "0.95"}]
        (spoken,) = marks(leg, "speech")
        start = leg.recordings[0].start  # type: ignore[attr-defined]
        assert spoken["text"] == WORDS and spoken["start"] - start == pytest.approx(0.5, abs=0.05)
        (event,) = w.events("/recording")
        audio, _ = recorded(w, event)
        assert stretch(audio[:, 0], 0.7, 0.5 + spoken["seconds"] - 0.3) > 300
        assert len(audio) / RATE == pytest.approx(0.5 + spoken["seconds"] + 1, abs=0.2)

    play(tmp_path, test)


def test_keys_pressed_and_keys_sent_into_the_call_sound_as_tones(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        record = {"action": "record", "split": "conversation", "format": "wav",
                  "eventUrl": [w.receiver.url + "/recording"]}  # fmt: skip
        ask = {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 2},
               "eventUrl": [w.receiver.url + "/input"]}  # fmt: skip
        _, number = w.application(Reply(body=[record, ask, {"action": "conversation",
                                                            "name": "after"}]))  # fmt: skip
        leg = await w.start(number, Person(dtmf=["12"], message_seconds=0))
        while not w.events("/input"):
            await asyncio.sleep(0.01)
        await w.platform.calls.dtmf(w.account_id, leg.uuid, "9")
        sent = leg.clock.elapsed() - leg.recordings[0].start  # type: ignore[attr-defined]
        await asyncio.sleep(0.4)
        await w.platform.calls.caller(w.account_id, leg.uuid, "hangup")
        await leg.session.done.wait()
        (event,) = w.events("/recording")
        audio, _ = recorded(w, event)
        caller, heard = audio[:, 0], audio[:, 1]
        assert stretch(caller, 0.27, 0.49) > 1000 and stretch(caller, 0.52, 0.74) > 1000
        assert stretch(caller, 0.8, len(audio) / RATE) < 10  # two keys, then nothing
        assert stretch(heard, sent + 0.02, sent + 0.24) > 1000  # the key sent, at its time
        assert stretch(heard, 0, sent - 0.02) < 10

    play(tmp_path, test)


def test_a_record_with_end_on_key_ends_when_the_caller_presses_it_after_their_message(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        record = {"action": "record", "endOnKey": "#", "format": "wav", "beepStart": True,
                  "eventUrl": [w.receiver.url + "/recording"]}  # fmt: skip
        _, number = w.application(Reply(body=[record, talk("Thank you")]))
        leg = await w.call(number, Person(message_seconds=3))
        (event,) = w.events("/recording")
        audio, _ = recorded(w, event)
        assert len(audio) / RATE == pytest.approx(3.5, abs=0.05)  # the beep, then 3 s
        n = np.arange(round(0.5 * RATE))
        beep = abs(np.dot(audio[: len(n), 0], np.exp(-2j * np.pi * 1000 * n / RATE))) / len(n)
        assert beep > 3000  # the beep, at 1 kHz
        assert stretch(audio[:, 0], 0.7, 3.3) > 300  # their message, after it
        keys = [e.data["value"] for e in leg.session.entries if e.kind == "input"]
        assert keys == ["#"]

    play(tmp_path, test)
