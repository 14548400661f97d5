"""The simulated people at the far end of a call: what a caller or callee does, and how a
virtual phone answers. Times are virtual seconds."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from ringway.domain.choices import PhoneBehaviour as Behaviour

Keys = Annotated[str, Field(pattern=r"^[0-9*#]*$", max_length=64)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
TALK_CHARACTERS_PER_SECOND = 15.0
DIGIT_GAP = 0.25
MESSAGE = "Hello, this is a message left by a simulated caller. Please call me back."


class Saying(BaseModel):
    """Words a person says ``at`` seconds after the call is answered."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=1500)
    at: StrictFloat = Field(ge=0, le=86_400)
    language: Language = "en-US"


def says_from_lines(text: str) -> list[dict[str, object]]:
    """``says`` as typed one a line, ``SECONDS: words`` (a line without its seconds is left
    without ``at``, for validation to refuse)."""
    says: list[dict[str, object]] = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        at, colon, words = line.partition(":")
        try:
            says.append({"at": float(at), "text": words.strip()} if colon else {"text": line})
        except ValueError:
            says.append({"text": line})
    return says


def says_as_lines(says: list[dict[str, object]]) -> str:
    return "\n".join(f"{s['at']:g}: {s['text']}" for s in says)


class Person(BaseModel):
    """How a simulated person behaves once connected: at each ``input`` that asks for DTMF
    they key the next entry of ``dtmf`` (an empty entry: nothing), at each one that asks for
    speech they say the next entry of ``speech``; they say each of ``says`` at its time after
    the answer; they hang up ``hangup_after`` seconds after the call is answered (never, when
    unset). A person with nothing in ``says`` leaves a message at a ``record`` action: they
    speak for ``message_seconds``."""

    model_config = ConfigDict(extra="forbid")

    dtmf: list[Keys] = Field(default_factory=list, max_length=100)
    speech: list[str] = Field(default_factory=list, max_length=100)
    says: list[Saying] = Field(default_factory=list, max_length=100)
    hangup_after: StrictFloat | None = Field(default=None, ge=0, le=86_400)
    message_seconds: StrictFloat = Field(default=5.0, ge=0, le=7200)


class Phone(Person):
    """A virtual phone, the destination of outbound legs that leave ringway. By default it
    rings for ``answer_after`` = 3 seconds and answers, as a person who stays until the other
    side hangs up."""

    behaviour: Behaviour = "answer"
    answer_after: StrictFloat = Field(default=3.0, ge=0, le=600)


def talk_seconds(text: str) -> float:
    """How long speaking ``text`` takes (about 150 words a minute), at least half a second:
    the length of speech when no text-to-speech engine is installed."""
    return max(0.5, round(len(text) / TALK_CHARACTERS_PER_SECOND, 3))
