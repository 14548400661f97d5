"""Text to speech with espeak-ng: the platform's talk languages spoken by its voices.

``synthesize`` runs ``espeak-ng --stdout`` as a subprocess and hands back 16-bit mono samples
at the call's rate (``audio.RATE``), resampled with soxr. Results are kept in memory, bounded
by bytes. Without espeak-ng installed a talk is silence of the estimated length, with one
warning in the log, so a plain ``pip install`` still runs calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING

from ringway.domain.simulation import talk_seconds
from ringway.engine.audio import RATE

if TYPE_CHECKING:
    import numpy

log = logging.getLogger(__name__)

CACHE_BYTES = 64 * 2**20  # of synthesized samples kept in memory
# The platform's talk languages (its SDKs' list) and the espeak-ng voice speaking each, named as
# its voice file (only that name takes a variant); a region without a voice of its own gets its
# language's, and a language espeak-ng lacks the nearest it has (``APPROXIMATE``).
VOICES = {
    "af-ZA": "af", "ar": "ar", "bg-BG": "bg", "bn-IN": "bn", "ca-ES": "ca", "cmn-CN": "cmn",
    "cmn-TW": "cmn", "cs-CZ": "cs", "cy-GB": "cy", "da-DK": "da", "de-AT": "de", "de-DE": "de",
    "de-ET": "de", "el-GR": "el", "en-AU": "en", "en-GB": "en", "en-GB-SCT": "en-gb-scotland",
    "en-GB-WLS": "en", "en-IE": "en", "en-IN": "en", "en-NZ": "en", "en-US": "en-us",
    "en-ZA": "en", "es-CO": "es-419", "es-ES": "es", "es-MX": "es-419", "es-US": "es-419",
    "eu-ES": "eu", "fi-FI": "fi", "fil-PH": "id", "fr-CA": "fr", "fr-FR": "fr", "gl-ES": "es",
    "gu-IN": "gu", "he-IL": "he", "hi-IN": "hi", "hu-HU": "hu", "id-ID": "id", "is-IS": "is",
    "it-IT": "it", "ja-JP": "ja", "kn-IN": "kn", "ko-KR": "ko", "lv-LV": "lv", "ml-IN": "ml",
    "ms-MY": "ms", "nb-NO": "nb", "nl-BE": "nl", "nl-NL": "nl", "no-NO": "nb", "pa-IN": "pa",
    "pl-PL": "pl", "pt-BR": "pt-br", "pt-PT": "pt", "ro-RO": "ro", "ru-RU": "ru", "sk-SK": "sk",
    "sr-RS": "sr", "sv-SE": "sv", "ta-IN": "ta", "te-IN": "te", "th-TH": "th", "tr-TR": "tr",
    "uk-UA": "uk", "vi-VN": "vi", "yue-CN": "yue",
}  # fmt: skip
APPROXIMATE = frozenset({"fil-PH", "gl-ES"})
# A style is one of espeak-ng's voice variants, laid over the language's voice; style 0 is the
# voice as it is, and styles past the last one wrap round.
VARIANTS = ("", "f1", "m1", "f2", "m2", "f3", "m3", "f4", "m4", "f5", "m5", "m6")
_BY_KEY = {code.casefold(): voice for code, voice in VOICES.items()}


class UnknownLanguage(ValueError):
    """A talk language the platform does not speak."""


Key = tuple[str, str, int, bool]  # text, language (casefolded), style, ssml


class _Cache:
    """Synthesized speech by (text, language, style, ssml), the least recently used dropped
    first once the samples kept pass ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[Key, numpy.ndarray] = OrderedDict()

    def get(self, key: Key) -> numpy.ndarray | None:
        samples = self._items.get(key)
        if samples is not None:
            self._items.move_to_end(key)
        return samples

    def put(self, key: Key, samples: numpy.ndarray) -> None:
        self._items[key] = samples
        self.size += samples.nbytes
        while self.size > self.limit and self._items:
            self.size -= self._items.popitem(last=False)[1].nbytes


cache = _Cache(CACHE_BYTES)
_flights: dict[tuple[asyncio.AbstractEventLoop, Key], asyncio.Task[numpy.ndarray]] = {}
_warned = False  # that espeak-ng is missing, once


def voice(language: str, style: int = 0) -> str:
    """The espeak-ng voice speaking ``language`` (a platform code, any case) in ``style``."""
    try:
        base = _BY_KEY[language.casefold()]
    except KeyError:
        raise UnknownLanguage(f"language {language!r} is not a supported talk language; "
                              "use one of " + ", ".join(VOICES)) from None  # fmt: skip
    if style < 0:
        raise ValueError(f"style must be 0 or more, not {style}")
    variant = VARIANTS[style % len(VARIANTS)]
    return f"{base}+{variant}" if variant else base


async def synthesize(
    text: str, language: str = "en-US", style: int = 0, ssml: bool = False
) -> numpy.ndarray:
    """``text`` spoken in ``language`` and ``style`` (SSML when ``ssml``): read-only int16 mono
    samples at ``RATE``. Raises ``UnknownLanguage`` for a language the platform lacks."""
    name = voice(language, style)
    key = (text, language.casefold(), style, ssml)
    samples = cache.get(key)
    if samples is not None:
        return samples
    # The same words asked for while they are being synthesized share the one espeak-ng run
    # (every leg of a conversation hears the same talk); a caller that gives up leaves it to
    # finish for the others and the cache.
    flight = (asyncio.get_running_loop(), key)
    task = _flights.get(flight)
    if task is None:
        task = _flights[flight] = asyncio.create_task(_speak(key, name))
        task.add_done_callback(lambda _: _flights.pop(flight, None))
    return await asyncio.shield(task)


async def _speak(key: Key, name: str) -> numpy.ndarray:
    import numpy

    text, _, _, ssml = key
    wav = await _espeak(text, name, ssml) if text.strip() else b""
    if wav is None:  # no espeak-ng: silence, not cached, so installing it is heard at once
        samples = numpy.zeros(round(talk_seconds(text) * RATE), numpy.int16)
    else:
        samples = _samples(wav) if wav else numpy.zeros(0, numpy.int16)
        cache.put(key, samples)
    samples.flags.writeable = False
    return samples


async def _espeak(text: str, name: str, ssml: bool) -> bytes | None:
    """espeak-ng's WAV output for ``text``, or None when it is not installed."""
    global _warned
    args = ["--stdout", "--stdin", "-v", name, *(["-m"] if ssml else [])]
    try:
        process = await asyncio.create_subprocess_exec(
            "espeak-ng", *args, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    except FileNotFoundError:
        if not _warned:
            _warned = True
            log.warning("espeak-ng is not installed, so talk is silent: install it "
                        "(make speech, or apt-get install espeak-ng) to hear speech")  # fmt: skip
        return None
    try:
        out, err = await process.communicate(text.encode())
    except BaseException:  # cancelled (the server stops): leave no process behind
        process.kill()
        await process.wait()
        raise
    if process.returncode:
        raise RuntimeError(f"espeak-ng failed ({process.returncode}): {err.decode().strip()}")
    return out


def _samples(wav: bytes) -> numpy.ndarray:
    """The samples of espeak-ng's streamed WAV (its sizes unset), resampled to ``RATE``."""
    import numpy
    import soxr

    rate = int.from_bytes(wav[24:28], "little")
    start = wav.index(b"data") + 8
    end = start + (len(wav) - start) // 2 * 2
    samples = numpy.frombuffer(wav[start:end], "<i2")
    if rate == RATE:
        return samples.copy()
    resampled: numpy.ndarray = soxr.resample(samples, rate, RATE)
    return resampled
