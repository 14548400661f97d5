"""Audio files in and out of a call: any file libsndfile reads (WAV, MP3, OGG, FLAC, …) decoded
to the call's 16-bit mono samples at ``audio.RATE``, and a call's channels encoded as MP3, WAV
or OGG Vorbis."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ringway.engine.audio import RATE

if TYPE_CHECKING:
    import numpy

FORMATS = {"mp3": ("MP3", "MPEG_LAYER_III"), "wav": ("WAV", "PCM_16"), "ogg": ("OGG", "VORBIS")}
# Constant 40 kbit/s at 16 kHz: the lowest rate at which the encoder still writes the header
# that tells decoders the exact length (at the platform's 32 kbit/s a file plays ~90 ms long).
MP3_LEVEL = 0.8
MAX_SECONDS = 3600  # the longest audio decoded
MAX_FILE_BYTES = 32 * 1024 * 1024  # the largest file fetched to be played


class Undecodable(ValueError):
    """Bytes that hold no audio this can read."""


def decode(data: bytes) -> numpy.ndarray:
    """The audio in ``data`` (any format, rate and channels libsndfile reads) as int16 mono
    samples at ``RATE``, its channels mixed down. Raises ``Undecodable`` with the reason."""
    import numpy
    import soundfile
    import soxr

    if not data:
        raise Undecodable("the file is empty")
    parts = []
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as sound:
            rate = sound.samplerate
            if sound.frames > MAX_SECONDS * rate:  # a small file may hold hours (of silence)
                raise Undecodable(f"it lasts longer than the {MAX_SECONDS} s allowed")
            stream = soxr.ResampleStream(rate, RATE, 1, dtype="int16") if rate != RATE else None
            # A second at a time, so that beside the result only a second of the file's frames
            # is held; MP3 at once (libsndfile's decoder garbles frames across reads).
            block_frames = max(sound.frames, 1) if sound.format == "MP3" else rate
            for block in sound.blocks(block_frames, dtype="int16", always_2d=True):
                mono = block.mean(axis=1, dtype=numpy.float32).round().astype(numpy.int16)
                parts.append(stream.resample_chunk(mono) if stream else mono)
            if stream:
                parts.append(stream.resample_chunk(numpy.zeros(0, numpy.int16), last=True))
    except soundfile.SoundFileError as exc:
        raise Undecodable(_reason(getattr(exc, "error_string", str(exc)))) from None
    samples = numpy.concatenate(parts) if parts else numpy.zeros(0, numpy.int16)
    if not len(samples):
        raise Undecodable("the file holds no audio")
    return samples


def _reason(error: str) -> str:
    if "not recognised" in error or "does not exist" in error:
        return "not an audio file in a known format (WAV, MP3, OGG, FLAC, …)"
    return f"the audio is malformed ({error.rstrip('.')})"


def encode(channels: Sequence[numpy.ndarray], fmt: str) -> bytes:
    """A file of format ``fmt`` ("mp3", "wav" or "ogg") holding ``channels`` (one, or two for
    stereo in that order) of int16 samples at ``RATE``; a shorter channel is padded with
    silence."""
    import numpy
    import soundfile

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if not 1 <= len(channels) <= 2:
        raise ValueError(f"one or two channels, not {len(channels)}")
    length = max(len(c) for c in channels)
    frames = numpy.zeros((length, len(channels)), numpy.int16)
    for i, channel in enumerate(channels):
        frames[: len(channel), i] = channel
    container, subtype = FORMATS[fmt]
    out = io.BytesIO()
    if fmt == "mp3":
        # libsndfile garbles stereo 16-bit writes to MP3; floats it encodes faithfully
        soundfile.write(out, frames.astype(numpy.float32) / 32768, RATE, subtype, format=container,
                        bitrate_mode="CONSTANT", compression_level=MP3_LEVEL)  # fmt: skip
    else:
        soundfile.write(out, frames, RATE, subtype, format=container)
    return out.getvalue()
