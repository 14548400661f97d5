"""Recordings: real WAV files (8 kHz, 16-bit, mono) the engine writes for ``record`` actions.
What the simulated person says is a soft tone, the rest is silence."""

from __future__ import annotations

import math
import re
import shutil
import wave
from array import array
from pathlib import Path

RATE = 8000
_TONE = array("h", (int(2000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE)))
_SILENCE = array("h", bytes(2 * RATE))
_UUID = re.compile(r"^[0-9a-f-]{36}$")


class Recordings:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, account_id: str, recording_uuid: str) -> Path | None:
        """Where a recording of the account is, if the id is well formed."""
        if not _UUID.match(recording_uuid) or not _UUID.match(account_id):
            return None
        return self.folder / account_id / f"{recording_uuid}.wav"

    def remove(self, account_id: str, recording_uuid: str) -> None:
        """Delete a recording, if there is one."""
        path = self.path(account_id, recording_uuid)
        if path is not None:
            path.unlink(missing_ok=True)

    def remove_account(self, account_id: str) -> None:
        """Delete every recording of the account."""
        if _UUID.match(account_id):
            shutil.rmtree(self.folder / account_id, ignore_errors=True)

    def write(self, account_id: str, recording_uuid: str, seconds: float, voiced: float) -> int:
        """Write ``seconds`` of audio, the first ``voiced`` of them speech; returns the size."""
        path = self.path(account_id, recording_uuid)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        frames = round(seconds * RATE)
        loud = min(round(voiced * RATE), frames)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            _write(out, _TONE, loud)
            _write(out, _SILENCE, frames - loud)
        return path.stat().st_size


def _write(out: wave.Wave_write, second: array[int], frames: int) -> None:
    while frames > 0:
        chunk = min(frames, RATE)
        out.writeframes(second[:chunk].tobytes())
        frames -= chunk
