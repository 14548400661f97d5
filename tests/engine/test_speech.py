"""Text to speech with the real espeak-ng: audio with energy that lasts as long as the text,
the platform's languages and styles, SSML, the cache, and a machine without espeak-ng."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from pathlib import Path
from typing import Any

import numpy
import pytest

from ringway.domain.simulation import talk_seconds
from ringway.engine import speech
from ringway.engine.audio import RATE


def say(text: str, language: str = "en-US", style: int = 0, ssml: bool = False) -> numpy.ndarray:
    return asyncio.run(speech.synthesize(text, language, style, ssml))


def rms(samples: numpy.ndarray) -> float:
    return float(numpy.sqrt(numpy.mean(samples.astype(numpy.float64) ** 2)))


def test_speech_is_16_khz_audio_with_energy_as_long_as_its_text() -> None:
    short = say("Hello.")
    long = say("Hello, and welcome to ringway. Your call is important to us; please hold.")
    assert short.dtype == numpy.int16 and short.ndim == 1
    assert rms(short) > 1000 and rms(long) > 1000  # speech, not silence
    assert 0.3 < len(short) / RATE < 1.5
    assert len(long) > 3 * len(short)
    # spoken at espeak-ng's pace, close to the estimate talk used before it had a voice
    seconds = len(long) / RATE
    assert 0.5 * talk_seconds("x" * 75) < seconds < 2 * talk_seconds("x" * 75)


def test_every_platform_language_has_a_voice_espeak_ng_knows() -> None:
    listed = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True)
    # by its file's name: only that takes a variant (a style) after it
    files = {line.split()[4].rpartition("/")[2].lower() for line in listed.stdout.splitlines()[1:]}
    assert len(speech.VOICES) >= 60
    assert {speech.voice(code) for code in speech.VOICES} <= files
    assert speech.voice("pt-BR") == "pt-br" and speech.voice("en-gb") == "en"  # any case
    assert speech.voice("de-DE", 1) == "de+f1"
    assert speech.voice("de-DE", len(speech.VARIANTS)) == "de"  # styles wrap round


@pytest.mark.parametrize("language", ["de-DE", "ja-JP", "pt-BR", "es-MX", "cmn-CN"])
def test_languages_are_spoken(language: str) -> None:
    assert rms(say("12345", language)) > 1000


@pytest.mark.parametrize("language", ["en-GB", "en-US", "fr-FR", "de-DE"])
def test_styles_speak_with_different_voices(language: str) -> None:
    text = "Thank you for calling."
    plain, other = say(text, language), say(text, language, 1)
    assert rms(other) > 1000
    assert len(plain) != len(other) or not numpy.array_equal(plain, other)


def test_an_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(speech.UnknownLanguage, match=r"'xx-YY' is not a supported talk language"):
        say("Hello", "xx-YY")
    with pytest.raises(ValueError, match="style"):
        say("Hello", "en-US", -1)


def test_ssml_is_spoken_not_read_out() -> None:
    plain = say("Hello world")
    marked = say('<speak>Hello <break time="2s"/> world</speak>', ssml=True)
    assert 1.5 < (len(marked) - len(plain)) / RATE < 2.5  # the pause, and no tags spoken
    assert rms(marked) > 500


def test_the_cache_hands_back_the_same_read_only_samples() -> None:
    first = say("Cached words.", "en-US", 2)
    assert say("Cached words.", "en-us", 2) is first
    assert say("Cached words.", "en-US", 3) is not first
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 1


def test_the_cache_drops_the_least_recently_used_past_its_bytes() -> None:
    cache = speech._Cache(limit=3000)
    a, b, c = (("a", "en-us", 0, False), ("b", "en-us", 0, False), ("c", "en-us", 0, False))
    cache.put(a, numpy.zeros(500, numpy.int16))
    cache.put(b, numpy.zeros(500, numpy.int16))
    assert cache.get(a) is not None  # a used last: b goes first
    cache.put(c, numpy.zeros(1000, numpy.int16))
    assert cache.get(b) is None and cache.get(a) is not None and cache.get(c) is not None
    assert cache.size == 3000


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.subprocess.Process]:
    """Every espeak-ng process the test starts."""
    started: list[asyncio.subprocess.Process] = []
    spawn = asyncio.create_subprocess_exec

    async def recorded(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        started.append(await spawn(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recorded)
    return started


def test_the_same_words_asked_for_at_once_are_synthesized_once(
    spawned: list[asyncio.subprocess.Process],
) -> None:
    async def together() -> list[numpy.ndarray]:
        return await asyncio.gather(*(speech.synthesize("Five legs hear this.") for _ in range(5)))

    first, *others = asyncio.run(together())
    assert len(spawned) == 1 and all(other is first for other in others) and rms(first) > 1000


def test_a_caller_that_gives_up_leaves_the_synthesis_to_the_others(
    spawned: list[asyncio.subprocess.Process],
) -> None:
    async def one_gives_up() -> tuple[numpy.ndarray, numpy.ndarray]:
        text = "One of us hangs up early."
        quitter = asyncio.create_task(speech.synthesize(text))
        stayer = asyncio.create_task(speech.synthesize(text))
        while not spawned:
            await asyncio.sleep(0.001)
        quitter.cancel()
        return await stayer, await speech.synthesize(text)

    heard, cached = asyncio.run(one_gives_up())
    assert rms(heard) > 1000 and cached is heard and len(spawned) == 1


def test_a_synthesis_cut_short_by_shutdown_leaves_no_espeak_ng_running(
    spawned: list[asyncio.subprocess.Process],
) -> None:
    async def stop_while_speaking() -> None:
        talk = asyncio.create_task(speech.synthesize("A long story, never told. " * 50))
        while not spawned:
            await asyncio.sleep(0.001)
        assert not talk.done()
        # returning ends the loop: asyncio.run cancels what still runs

    asyncio.run(stop_while_speaking())
    assert spawned[0].returncode is not None  # killed and reaped, not left running


def test_empty_text_is_no_audio() -> None:
    assert len(say("")) == 0 and len(say("  \n")) == 0
    assert not say("").flags.writeable


def test_without_espeak_ng_talk_is_silence_of_its_length_and_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(speech, "_warned", False)
    text = "Nobody can say this on a machine without espeak-ng."
    with caplog.at_level(logging.WARNING, logger="ringway.engine.speech"):
        first, second = say(text), say(text + " Twice.")
    assert len(first) == round(talk_seconds(text) * RATE) and not first.any()
    assert not second.any()
    warnings = [r for r in caplog.records if r.name == "ringway.engine.speech"]
    assert len(warnings) == 1 and "espeak-ng is not installed" in warnings[0].getMessage()
