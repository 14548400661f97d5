"""Every NCCO action as the engine runs it (wire-contract §6), against real receivers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import soundfile

from ringway.domain.simulation import Person
from ringway.engine import speech
from ringway.engine.audio import RATE
from ringway.engine.session import CallLeg
from tests.engine.world import World, at, play, talk
from tests.receivers import Reply, wav


def talked(w: World) -> float:
    """Seconds between answered and completed."""
    events = {e["status"]: e for e in w.events() if "status" in e}
    return (
        at(events["completed"]["timestamp"]) - at(events["answered"]["timestamp"])
    ).total_seconds()


def said(leg: CallLeg) -> list[str]:
    """The texts of the talk actions the leg ran, in order."""
    actions = [e.data["action"] for e in leg.session.entries if e.kind == "action"]
    return [a["text"] for a in actions if a["action"] == "talk"]


def loudness(samples: np.ndarray) -> float:
    """The root mean square of ``samples``."""
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def input_action(w: World, **more: Any) -> dict[str, Any]:
    return {"action": "input", "eventUrl": [w.receiver.url + "/input"], **more}


def test_talk_lasts_as_long_as_its_text_takes_to_say_times_loop(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        text = "Thank you for calling. All our agents are busy."
        _, number = w.application(Reply(body=[talk(text, loop=3)]))
        await w.call(number)
        seconds = len(await speech.synthesize(text)) / RATE
        assert seconds > 2
        assert 3 * seconds - 0.05 < talked(w) < 3 * seconds + 0.5  # its speech, three times

    play(tmp_path, test)


def test_stream_fetches_the_audio_and_plays_it_for_its_length(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        url = w.receiver.answer("/hold.wav", Reply(body=wav(4)))
        _, number = w.application(Reply(body=[{"action": "stream", "streamUrl": [url], "loop": 2}]))
        await w.call(number)
        assert len(w.receiver.on("/hold.wav")) == 1
        assert 7.9 < talked(w) < 8.5

    play(tmp_path, test)


def test_wait_waits_in_real_time_for_the_voice_api(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[{"action": "wait", "timeout": 1.5}]))
        started = time.monotonic()
        await w.call(number)
        assert 1.45 < talked(w) < 2.2
        assert time.monotonic() - started >= 1.45

    play(tmp_path, test)


def test_input_collects_dtmf_up_to_max_digits_and_the_answer_replaces_the_ncco(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        w.receiver.answer("/input", Reply(body=[talk("You chose sales")]))
        ncco = [input_action(w, type=["dtmf"], dtmf={"maxDigits": 2}), talk("never said")]
        _, number = w.application(Reply(body=ncco))
        leg = await w.call(number, Person(dtmf=["123"]))
        (result,) = w.events("/input")
        assert result["dtmf"] == {"digits": "12", "timed_out": False}
        assert result["uuid"] == leg.uuid and "speech" not in result
        assert said(leg) == ["You chose sales"]

    play(tmp_path, test)


def test_input_submit_on_hash_ends_at_the_hash(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        dtmf = {"maxDigits": 10, "submitOnHash": True}
        _, number = w.application(Reply(body=[input_action(w, type=["dtmf"], dtmf=dtmf)]))
        await w.call(number, Person(dtmf=["42#9"]))
        assert w.events("/input")[0]["dtmf"] == {"digits": "42", "timed_out": False}

    play(tmp_path, test)


def test_input_times_out_after_the_last_digit(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        dtmf = {"maxDigits": 4, "timeOut": 5}
        _, number = w.application(Reply(body=[input_action(w, type=["dtmf"], dtmf=dtmf)]))
        await w.call(number, Person(dtmf=["7"]))
        result = w.events("/input")[0]
        assert result["dtmf"] == {"digits": "7", "timed_out": True}
        # 0.25 s to key the digit, then five seconds of silence.
        answered = next(e for e in w.events() if e.get("status") == "answered")
        waited = (at(result["timestamp"]) - at(answered["timestamp"])).total_seconds()
        assert 5.2 <= waited < 5.6

    play(tmp_path, test)


def test_input_with_nothing_said_times_out_empty(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[input_action(w, type=["dtmf", "speech"])]))
        started = time.monotonic()
        await w.call(number, Person(dtmf=[""]))  # scripted to key nothing: time is skipped
        assert time.monotonic() - started < 5  # the 10 s start timeout was not waited out
        result = w.events("/input")[0]
        assert result["dtmf"] == {"digits": "", "timed_out": True}
        assert result["speech"] == {"timeout_reason": "start_timeout", "results": []}

    play(tmp_path, test)


def test_an_input_nobody_is_scripted_to_answer_waits_in_real_time(tmp_path: Path) -> None:
    """Nobody here will key anything, but a Voice API request could: its timer is not skipped."""

    async def test(w: World) -> None:
        action = input_action(w, type=["dtmf"], dtmf={"timeOut": 1})
        _, number = w.application(Reply(body=[action]))
        started = time.monotonic()
        await w.call(number)
        assert time.monotonic() - started >= 0.95
        assert w.events("/input")[0]["dtmf"] == {"digits": "", "timed_out": True}

    play(tmp_path, test)


def test_input_hears_speech(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        speech = {"endOnSilence": 1, "language": "en-GB"}
        _, number = w.application(Reply(body=[input_action(w, type=["speech"], speech=speech)]))
        await w.call(number, Person(speech=["I want sales"]))
        result = w.events("/input")[0]
        assert result["speech"]["timeout_reason"] == "end_on_silence_timeout"
        assert result["speech"]["results"][0]["text"] == "I want sales"
        assert "dtmf" not in result

    play(tmp_path, test)


def test_each_input_takes_the_next_entry_of_the_script(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        first = input_action(w, type=["dtmf"], dtmf={"maxDigits": 1})
        w.receiver.answer("/input", Reply(body=[{**first, "eventUrl": [w.receiver.url + "/two"]}]))
        _, number = w.application(Reply(body=[first]))
        await w.call(number, Person(dtmf=["1", "2"]))
        assert w.events("/input")[0]["dtmf"]["digits"] == "1"
        assert w.events("/two")[0]["dtmf"]["digits"] == "2"

    play(tmp_path, test)


def test_an_empty_answer_to_input_continues_the_ncco(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        ncco = [input_action(w, type=["dtmf"]), talk("still here")]
        _, number = w.application(Reply(body=ncco))
        w.receiver.answer("/input", Reply(body=b""))
        leg = await w.call(number, Person(dtmf=["1234"]))
        assert said(leg) == ["still here"]
        assert not w.receiver.on("/fallback")

    play(tmp_path, test)


def test_a_failed_input_request_goes_to_the_fallback_as_an_event(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        ncco = [input_action(w, type=["dtmf"]), talk("the rest")]
        _, number = w.application(Reply(body=ncco), fallback=[Reply(body=[talk("fallback")])])
        w.receiver.answer("/input", Reply(503))
        leg = await w.call(number, Person(dtmf=["1234"]))
        assert len(w.receiver.on("/input")) == 2
        (fallback,) = w.receiver.on("/fallback")
        assert orjson.loads(fallback.query["original_request"])["type"] == "event"
        assert said(leg) == ["fallback"]

    play(tmp_path, test)


def test_barge_in_cuts_the_talk_when_the_caller_keys(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        ncco = [talk("x" * 600, bargeIn=True), input_action(w, type=["dtmf"])]
        _, number = w.application(Reply(body=ncco))
        leg = await w.call(number, Person(dtmf=["1234"]))
        assert w.events("/input")[0]["dtmf"]["digits"] == "1234"
        assert talked(w) < 10  # the talk alone would take 40 s
        assert any(e.kind == "barge-in" for e in leg.session.entries)

    play(tmp_path, test)


def test_record_writes_an_mp3_of_the_message_and_posts_where_it_is(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        record = {"action": "record", "endOnSilence": 3, "beepStart": True,
                  "eventUrl": [w.receiver.url + "/recording"]}  # fmt: skip
        _, number = w.application(Reply(body=[record]))
        await w.call(number, Person(message_seconds=4))
        (event,) = w.events("/recording")
        assert set(event) >= {"start_time", "end_time", "recording_url", "recording_uuid",
                              "size", "conversation_uuid", "timestamp"}  # fmt: skip
        assert event["recording_url"].endswith("/v1/files/" + event["recording_uuid"])
        path = w.platform.calls.recording(w.account_id, event["recording_uuid"])
        assert path is not None and path.stat().st_size == event["size"]
        assert path.suffix == ".mp3"
        audio, rate = soundfile.read(path, dtype="int16")
        assert rate == RATE and 6.9 < len(audio) / RATE < 7.2  # four seconds of message, three
        assert loudness(audio[: 4 * RATE]) > 300 and loudness(audio[-2 * RATE :]) < 30  # silent

    play(tmp_path, test)


def test_record_without_an_end_condition_records_until_hangup(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        text = "Please hold while we record this call for training purposes."
        ncco = [{"action": "record"}, talk(text)]
        _, number = w.application(Reply(body=ncco))
        await w.call(number)
        events = w.events()
        recording = next(i for i, e in enumerate(events) if "recording_url" in e)
        assert events[-1]["status"] == "completed" and recording == len(events) - 2
        seconds = at(events[recording]["end_time"]) - at(events[recording]["start_time"])
        spoken = len(await speech.synthesize(text)) / RATE
        assert spoken - 0.05 < seconds.total_seconds() < spoken + 0.5

    play(tmp_path, test)


def test_notify_posts_its_payload_and_may_return_an_ncco(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        notify = {"action": "notify", "payload": {"step": "menu"},
                  "eventUrl": [w.receiver.url + "/notify"]}  # fmt: skip
        w.receiver.answer("/notify", Reply(body=[talk("from notify")]))
        leg = await w.call(w.application(Reply(body=[notify, talk("replaced")]))[1])
        assert w.events("/notify") == [{"step": "menu"}]
        assert said(leg) == ["from notify"]

    play(tmp_path, test)
