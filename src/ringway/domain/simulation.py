"""The simulated people at the far end of a call: what a caller or callee does, and how a
virtual phone answers. Times are virtual seconds."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from ringway.domain.choices import PhoneBehaviour as Behaviour

Keys = Annotated[str, Field(pattern=r"^[0-9*#]*$", max_length=64)]
SPEECH_WORDS_PER_SECOND = 2.5
TALK_CHARACTERS_PER_SECOND = 15.0
DIGIT_GAP = 0.25


class Person(BaseModel):
    """How a simulated person behaves once connected: at each ``input`` that asks for DTMF
    they key the next entry of ``dtmf`` (an empty entry: nothing), at each one that asks for
    speech they say the next entry of ``speech``; they hang up ``hangup_after`` seconds after
    the call is answered (never, when unset); a recording hears ``message_seconds`` of them."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    dtmf: list[Keys] = Field(default_factory=list, max_length=100)
    speech: list[str] = Field(default_factory=list, max_length=100)
    hangup_after: StrictFloat | None = Field(default=None, ge=0, le=86_400)
    message_seconds: StrictFloat = Field(default=5.0, ge=0, le=7200)


class Phone(Person):
    """A virtual phone, the destination of outbound legs that leave ringway. By default it
    rings for ``answer_after`` = 3 seconds and answers, as a person who stays until the other
    side hangs up."""

    behaviour: Behaviour = "answer"
    answer_after: StrictFloat = Field(default=3.0, ge=0, le=600)


def talk_seconds(text: str) -> float:
    """How long speaking ``text`` takes (about 150 words a minute), at least half a second."""
    return max(0.5, round(len(text) / TALK_CHARACTERS_PER_SECOND, 3))


def speech_seconds(text: str) -> float:
    return max(0.5, round(len(text.split()) / SPEECH_WORDS_PER_SECOND, 3))
