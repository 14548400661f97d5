"""Application validation rules and defaults, without HTTP (wire-contract §1)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringway.domain.applications import ApplicationIn, capabilities_dump, parse_application
from ringway.domain.errors import ProblemError


def names(body: Any) -> set[str]:
    with pytest.raises(ProblemError) as caught:
        parse_application(body)
    assert caught.value.status == 400
    return {p.name for p in caught.value.invalid_parameters}


def test_a_body_must_be_an_object() -> None:
    assert names([]) == {"body"}
    assert names("x") == {"body"}


def test_absent_capabilities_stay_absent_and_present_ones_get_defaults() -> None:
    spec = parse_application({"name": "n", "capabilities": {"rtc": {}}})
    assert capabilities_dump(spec.capabilities) == {
        "rtc": {"webhooks": {}, "signed_callbacks": False}
    }


@given(st.integers(300, 1000), st.integers(1000, 5000))
def test_every_timeout_in_range_is_kept(connect: int, socket: int) -> None:
    hook = {"address": "http://h/a", "connect_timeout": connect, "socket_timeout": socket}
    spec = ApplicationIn.model_validate(
        {"name": "n", "capabilities": {"voice": {"webhooks": {"fallback_answer_url": hook}}}}
    )
    dumped = capabilities_dump(spec.capabilities)
    assert dumped["voice"]["webhooks"]["fallback_answer_url"]["connect_timeout"] == connect
    assert dumped["voice"]["webhooks"]["fallback_answer_url"]["socket_timeout"] == socket


@given(st.integers().filter(lambda n: not 300 <= n <= 1000))
def test_every_connect_timeout_out_of_range_is_refused(connect: int) -> None:
    hook = {"address": "http://h/a", "connect_timeout": connect}
    body = {"name": "n", "capabilities": {"voice": {"webhooks": {"answer_url": hook}}}}
    assert names(body) == {"capabilities.voice.webhooks.answer_url.connect_timeout"}


def test_several_faults_are_all_named() -> None:
    body = {
        "name": 1,
        "capabilities": {"messages": {"version": "v9"}, "voice": {"region": "x"}},
        "extra": True,
    }
    assert names(body) == {
        "name",
        "capabilities.messages.version",
        "capabilities.voice.region",
        "extra",
    }


def test_keys_may_echo_a_private_key() -> None:
    spec = parse_application({"name": "n", "keys": {"public_key": "p", "private_key": "s"}})
    assert spec.keys is not None
    assert spec.keys.public_key == "p"
