"""Decoding audio files to the call's samples and encoding a call's channels, with the real
libsndfile: round trips keep duration and energy, stereo keeps its sides, garbage is refused."""

from __future__ import annotations

import io

import numpy
import pytest
import soundfile

from ringway.engine import media
from ringway.engine.audio import RATE

MP3_FRAME = 576  # samples in an MP3 frame at 16 kHz


def sine(hz: float, seconds: float, rate: int = RATE, level: float = 0.3) -> numpy.ndarray:
    t = numpy.arange(round(seconds * rate)) / rate
    return (numpy.sin(2 * numpy.pi * hz * t) * level * 32767).astype(numpy.int16)


def rms(samples: numpy.ndarray) -> float:
    return float(numpy.sqrt(numpy.mean(samples.astype(numpy.float64) ** 2)))


def loudest(samples: numpy.ndarray, rate: int = RATE) -> float:
    """The frequency, in Hz, with the most energy in ``samples``."""
    spectrum = numpy.abs(numpy.fft.rfft(samples.astype(numpy.float64)))
    return float(numpy.fft.rfftfreq(len(samples), 1 / rate)[numpy.argmax(spectrum)])


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg"])
def test_a_round_trip_keeps_duration_and_energy(fmt: str) -> None:
    speech = sine(440, 1.5) // 2 + sine(1200, 1.5) // 2
    back = media.decode(media.encode([speech], fmt))
    assert back.dtype == numpy.int16 and back.ndim == 1
    assert abs(len(back) - len(speech)) <= (MP3_FRAME if fmt == "mp3" else 0)
    assert rms(back) == pytest.approx(rms(speech), rel=0.1)
    assert loudest(back) in (440, 1200)


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg"])
def test_stereo_keeps_each_channel_apart_in_order(fmt: str) -> None:
    left, right = sine(440, 1), sine(1500, 1)[: RATE // 2]  # the shorter padded with silence
    data = media.encode([left, right], fmt)
    sides, rate = soundfile.read(io.BytesIO(data), dtype="int16")
    assert rate == RATE and sides.shape[1] == 2
    assert abs(len(sides) - RATE) <= (MP3_FRAME if fmt == "mp3" else 0)
    assert loudest(sides[:, 0]) == pytest.approx(440, abs=2)
    assert loudest(sides[:, 1]) == pytest.approx(1500, abs=2)
    assert rms(sides[:, 0]) == pytest.approx(rms(left), rel=0.1)
    assert rms(sides[RATE // 2 + MP3_FRAME :, 1]) < rms(right) / 20  # its silence stays silent


def test_an_mp3_decodes_without_the_decoder_complaining(capfd: pytest.CaptureFixture[str]) -> None:
    """libsndfile's MP3 decoder, read a piece at a time, loses bits between frames of loud
    noise (mpg123 prints errors, and samples change): an MP3 is decoded in one read, as
    ``soundfile.read`` reads it (to within one step of rounding)."""
    noise = (numpy.random.default_rng(3).standard_normal(5 * RATE) * 3000).astype(numpy.int16)
    data = media.encode([noise], "mp3")
    samples = media.decode(data)
    assert "error" not in capfd.readouterr().err, "mpg123 complained"
    whole, _ = soundfile.read(io.BytesIO(data), dtype="int16")
    assert numpy.abs(samples.astype(numpy.int32) - whole).max() <= 1


def test_mp3_is_constant_bit_rate() -> None:
    data = media.encode([sine(440, 4)], "mp3")
    kbps = len(data) * 8 / 4 / 1000
    assert 38 < kbps < 44  # 40 kbit/s, the header frame aside


def test_any_rate_and_channel_count_decode_to_16_khz_mono() -> None:
    stereo = numpy.stack([sine(700, 1, 44_100), sine(700, 1, 44_100)], axis=1)
    flac = io.BytesIO()
    soundfile.write(flac, stereo, 44_100, format="FLAC")
    wav8k = io.BytesIO()
    soundfile.write(wav8k, sine(300, 2, 8000), 8000, format="WAV", subtype="PCM_16")
    opus = io.BytesIO()
    soundfile.write(opus, sine(500, 1, 48_000), 48_000, format="OGG", subtype="OPUS")
    for data, seconds, hz in ((flac.getvalue(), 1, 700), (wav8k.getvalue(), 2, 300),
                              (opus.getvalue(), 1, 500)):  # fmt: skip
        samples = media.decode(data)
        assert len(samples) == pytest.approx(seconds * RATE, abs=0.01 * RATE)
        assert loudest(samples) == pytest.approx(hz, abs=2)
        assert rms(samples) == pytest.approx(0.3 * 32767 / 2**0.5, rel=0.05)


def test_garbage_is_undecodable_with_a_reason() -> None:
    wav = media.encode([sine(440, 0.5)], "wav")
    cases = {
        b"": "empty",
        b"<!doctype html><html><body>Not found</body></html>": "not an audio file",
        numpy.random.default_rng(7).bytes(4000): "not an audio file",
        wav[:10]: "not an audio file",
        wav[:20]: "malformed",
        wav[:44]: "no audio",
    }
    for data, reason in cases.items():
        with pytest.raises(media.Undecodable, match=reason):
            media.decode(data)


def test_audio_longer_than_the_limit_is_refused_before_it_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flac = io.BytesIO()
    soundfile.write(flac, numpy.zeros(3 * RATE, numpy.int16), RATE, format="FLAC")
    assert len(flac.getvalue()) < 1000  # seconds of silence take next to nothing
    monkeypatch.setattr(media, "MAX_SECONDS", 2 * 60)
    assert len(media.decode(flac.getvalue())) == 3 * RATE
    monkeypatch.setattr(media, "MAX_SECONDS", 2)
    with pytest.raises(media.Undecodable, match="lasts longer than the 2 s allowed"):
        media.decode(flac.getvalue())


def test_bad_arguments_to_encode_are_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        media.encode([sine(440, 0.1)], "aac")
    with pytest.raises(ValueError, match="channels"):
        media.encode([sine(440, 0.1)] * 3, "wav")
