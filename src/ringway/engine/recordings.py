"""Recordings: the files the engine stores for ``record`` actions and recorded conversations,
MP3, WAV or OGG, one per recording, under the account's folder."""

from __future__ import annotations

import re
import shutil
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ringway.engine.audio import RATE

if TYPE_CHECKING:
    from ringway.engine.audio import Samples

FORMATS = ("mp3", "wav", "ogg")
MEDIA_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg"}
_UUID = re.compile(r"^[0-9a-f-]{36}$")


class Recordings:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, account_id: str, recording_uuid: str) -> Path | None:
        """Where a recording of the account is, if the ids are well formed and it is there."""
        if not _UUID.match(recording_uuid) or not _UUID.match(account_id):
            return None
        for fmt in FORMATS:
            path = self.folder / account_id / f"{recording_uuid}.{fmt}"
            if path.is_file():
                return path
        return None

    def remove(self, account_id: str, recording_uuid: str) -> None:
        """Delete a recording, if there is one."""
        path = self.path(account_id, recording_uuid)
        if path is not None:
            path.unlink(missing_ok=True)

    def remove_account(self, account_id: str) -> None:
        """Delete every recording of the account."""
        if _UUID.match(account_id):
            shutil.rmtree(self.folder / account_id, ignore_errors=True)

    def store(
        self, account_id: str, recording_uuid: str, fmt: str, channels: Sequence[Samples]
    ) -> int:
        """Encode ``channels`` (16-bit samples at ``RATE``) as ``fmt`` and store the file;
        returns its size. More than two channels are always WAV."""
        assert _UUID.match(recording_uuid) and _UUID.match(account_id) and fmt in FORMATS
        folder = self.folder / account_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{recording_uuid}.{fmt}"
        if len(channels) > 2:
            _write_wav(path, channels)
        else:
            from ringway.engine import media

            path.write_bytes(media.encode(channels, fmt))
        return path.stat().st_size


def _write_wav(path: Path, channels: Sequence[Samples]) -> None:
    """A WAV of any number of channels (libsndfile's MP3 and OGG take one or two)."""
    import numpy as np

    frames = np.zeros((max(len(c) for c in channels), len(channels)), dtype="<i2")
    for i, channel in enumerate(channels):
        frames[: len(channel), i] = channel
    with wave.open(str(path), "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames.tobytes())
