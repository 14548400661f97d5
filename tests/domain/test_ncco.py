"""NCCO validation (wire-contract §6): each action's rules, the bargeIn rule, clear reasons."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ringway.cli import main
from ringway.domain.ncco import Connect, Input, NccoInvalid, Talk, parse_ncco

URL = ["http://localhost:3000/events"]

VALID: list[dict[str, Any]] = [
    {"action": "talk", "text": "Hello", "bargeIn": False, "loop": 0, "level": -1,
     "language": "en-GB", "style": 2, "premium": True},
    {"action": "talk", "text": "<speak>" + "x" * 3000 + "</speak>"},
    {"action": "stream", "streamUrl": ["http://localhost/music.mp3"], "loop": 3, "level": 0.5},
    {"action": "input", "type": ["dtmf", "speech"], "dtmf": {"timeOut": 10, "maxDigits": 20,
     "submitOnHash": True}, "speech": {"endOnSilence": 0.4, "context": ["sales"],
     "maxDuration": 60, "language": "en-US"}, "eventUrl": URL, "eventMethod": "GET"},
    {"action": "record", "format": "wav", "split": "conversation", "channels": 32,
     "endOnSilence": 3, "endOnKey": "#", "timeOut": 7200, "beepStart": True, "eventUrl": URL},
    {"action": "conversation", "name": "room", "musicOnHoldUrl": ["http://localhost/moh.mp3"],
     "startOnEnter": False, "endOnExit": True, "record": True, "canHear": ["leg-1"]},
    {"action": "connect", "endpoint": [{"type": "phone", "number": "447700900001",
     "dtmfAnswer": "p*123#", "onAnswer": {"url": "http://localhost/whisper"}}],
     "from": "447700900000", "eventType": "synchronous", "timeout": 45, "limit": 60,
     "machineDetection": "hangup", "eventUrl": URL},
    {"action": "connect", "endpoint": [{"type": "app", "user": "alice"}]},
    {"action": "connect", "endpoint": [{"type": "websocket", "uri": "ws://localhost:9000/audio",
     "content-type": "audio/l16;rate=16000", "headers": {"call": "1"}}]},
    {"action": "connect", "endpoint": [{"type": "sip", "uri": "sip:desk@localhost"}]},
    {"action": "connect", "endpoint": [{"type": "sip", "user": "desk", "domain": "localhost"}]},
    {"action": "connect", "endpoint": [{"type": "vbc", "extension": "1234"}],
     "randomFromNumber": True},
    {"action": "notify", "payload": {"step": 1}, "eventUrl": URL},
    {"action": "wait", "timeout": 0.1},
    {"action": "transfer", "conversationId": "CON-1", "canHear": ["a"], "mute": True},
]  # fmt: skip


@pytest.mark.parametrize("action", VALID, ids=[f"{a['action']}-{i}" for i, a in enumerate(VALID)])
def test_every_action_is_accepted_with_its_options(action: dict[str, Any]) -> None:
    assert len(parse_ncco([action])) == 1


def test_a_websocket_takes_content_type_or_contenttype_and_defaults_to_16_khz() -> None:
    def endpoint(**more: Any) -> Any:
        (connect,) = parse_ncco([{"action": "connect", "endpoint": [
            {"type": "websocket", "uri": "ws://localhost/a", **more}]}])  # fmt: skip
        assert isinstance(connect, Connect)
        return connect.endpoint[0]

    assert endpoint().content_type == "audio/l16;rate=16000"
    assert endpoint(contentType="audio/l16;rate=24000").content_type == "audio/l16;rate=24000"
    given = endpoint(authorization={"type": "custom", "value": "Token x"}).authorization
    assert (given.type, given.value) == ("custom", "Token x")
    for wrong in ({"type": "custom"}, {"type": "custom", "value": "caf\u00e9"}, {"type": "x"}):
        with pytest.raises(NccoInvalid, match=r"\[0\]\.endpoint\[0\]\.authorization"):
            endpoint(authorization=wrong)


def test_defaults_are_filled_in() -> None:
    talk, entry, connect = parse_ncco([
        {"action": "talk", "text": "Hi"},
        {"action": "input", "type": ["dtmf"]},
        {"action": "connect", "endpoint": [{"type": "app", "user": "bob"}]},
    ])  # fmt: skip
    assert isinstance(talk, Talk) and (talk.loop, talk.language, talk.bargeIn) == (
        1,
        "en-US",
        False,
    )
    assert isinstance(entry, Input) and entry.eventMethod == "POST"
    assert isinstance(connect, Connect) and connect.timeout == 60


def test_values_written_as_strings_and_nulls_read_as_the_platform_reads_them() -> None:
    """Vonage's own snippets send `"beepStart": "true"` and `"endOnSilence": "3"`."""
    record, room, talk = parse_ncco([
        {"action": "record", "beepStart": "true", "endOnSilence": "3", "channels": "1",
         "eventUrl": None},
        {"action": "conversation", "name": "room", "record": "TRUE", "startOnEnter": "false",
         "canHear": None},
        {"action": "talk", "text": "Hi", "level": "-0.4", "loop": " 2 ", "voice_name": "Amy"},
    ])  # fmt: skip
    assert (record.beepStart, record.endOnSilence, record.channels, record.eventUrl) == (
        True, 3, 1, None)  # fmt: skip
    assert (room.record, room.startOnEnter, room.canHear) == (True, False, None)
    assert (talk.level, talk.loop, talk.voice_name) == (-0.4, 2, "Amy")


INVALID: list[tuple[Any, str]] = [
    ({"action": "talk"}, "[0].text: Field required"),
    ({"action": "talk", "text": "x" * 1501}, "longer than 1500"),
    ({"action": "talk", "text": "x", "level": 2}, "[0].level"),
    ({"action": "talk", "text": "x", "colour": "red"}, "[0].colour: is not a property"),
    ({"action": "stream", "streamUrl": "http://localhost/a.mp3"}, "[0].streamUrl"),
    ({"action": "stream", "streamUrl": ["http://a", "http://b"]}, "[0].streamUrl"),
    ({"action": "input"}, "[0].type: Field required"),
    ({"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 21}}, "[0].dtmf.maxDigits"),
    ({"action": "input", "type": ["dtmf"], "dtmf": {"timeOut": 11}}, "[0].dtmf.timeOut"),
    ({"action": "input", "type": ["speech"], "speech": {"endOnSilence": 0.1}}, "endOnSilence"),
    ({"action": "input", "type": ["speech"], "speech": {"maxDuration": 61}}, "maxDuration"),
    ({"action": "input", "type": ["dtmf"], "speech": {}}, "type does not include speech"),
    ({"action": "input", "type": ["fax"]}, "[0].type[0]"),
    ({"action": "input", "type": ["dtmf"], "mode": "later"}, "[0].mode"),
    ({"action": "record", "channels": 33}, "[0].channels"),
    ({"action": "record", "channels": 2}, "split: conversation"),
    ({"action": "record", "endOnSilence": 2}, "[0].endOnSilence"),
    ({"action": "record", "timeOut": 2}, "[0].timeOut"),
    ({"action": "record", "format": "flac"}, "[0].format"),
    ({"action": "conversation"}, "[0].name: Field required"),
    ({"action": "conversation", "name": "r", "mute": True, "canSpeak": []}, "mute cannot"),
    ({"action": "conversation", "name": "r", "record": "yes"}, "[0].record"),
    ({"action": "record", "endOnSilence": "3.5"}, "[0].endOnSilence"),
    ({"action": "talk", "text": "x", "level": "inf"}, "[0].level"),
    ({"action": "talk", "text": "x", "loop": "many"}, "[0].loop"),
    ({"action": "connect"}, "[0].endpoint: Field required"),
    ({"action": "connect", "endpoint": [{"type": "pigeon"}]}, "[0].endpoint[0]: Input tag"),
    ({"action": "connect", "endpoint": [{"type": "phone", "number": "07700"}]}, "number"),
    ({"action": "connect", "endpoint": [{"type": "sip"}]}, "uri, or user and domain"),
    ({"action": "connect", "endpoint": [{"type": "websocket", "uri": "http://x",
      "content-type": "audio/l16;rate=16000"}]}, "[0].endpoint[0].uri"),
    ({"action": "connect", "endpoint": [{"type": "app", "user": "a"}], "timeout": 200}, "timeout"),
    ({"action": "connect", "endpoint": [{"type": "app", "user": "a"}], "limit": 7201}, "limit"),
    ({"action": "connect", "endpoint": [{"type": "app", "user": "a"}], "from": "447700900000",
      "randomFromNumber": True}, "cannot both"),
    ({"action": "notify", "payload": {}}, "[0].eventUrl: Field required"),
    ({"action": "notify", "eventUrl": URL}, "[0].payload: Field required"),
    ({"action": "wait", "timeout": 7201}, "[0].timeout"),
    ({"action": "transfer"}, "[0].conversationId: Field required"),
    ({"action": "dance"}, "[0].action: must be one of"),
    ("talk", "[0].action: must be one of"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "reason"), INVALID, ids=[r for _, r in INVALID])
def test_each_rule_is_enforced_with_a_reason_naming_the_place(action: Any, reason: str) -> None:
    with pytest.raises(NccoInvalid) as caught:
        parse_ncco([action])
    assert reason in str(caught.value)


@pytest.mark.parametrize("document", [[], {}, "talk", None])
def test_an_ncco_is_a_non_empty_array(document: Any) -> None:
    with pytest.raises(NccoInvalid, match="non-empty JSON array"):
        parse_ncco(document)


def test_after_barge_in_the_next_other_action_must_be_input() -> None:
    talk = {"action": "talk", "text": "Press 1", "bargeIn": True}
    stream = {"action": "stream", "streamUrl": ["http://localhost/a.mp3"]}
    entry = {"action": "input", "type": ["dtmf"]}
    assert len(parse_ncco([talk, stream, entry])) == 3
    assert len(parse_ncco([talk])) == 1  # nothing follows
    with pytest.raises(NccoInvalid, match=r"\[2\].action: the bargeIn talk or stream at \[0\]"):
        parse_ncco([talk, stream, {"action": "wait"}, entry])


def test_every_fault_is_named_at_once() -> None:
    with pytest.raises(NccoInvalid) as caught:
        parse_ncco([{"action": "talk"}, {"action": "wait", "timeout": 0}, {"action": "notify"}])
    assert len(caught.value.reasons) == 4


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["action", "text", "type", "endpoint", "x"]), children,
                      max_size=3),
    max_leaves=10,
)  # fmt: skip


@given(st.lists(json_values, max_size=4))
def test_any_json_is_either_valid_or_invalid_with_reasons(document: Any) -> None:
    try:
        parse_ncco(document)
    except NccoInvalid as exc:
        assert exc.reasons and all(isinstance(r, str) and r for r in exc.reasons)


def test_ringway_ncco_validate(tmp_path: Any) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"action": "talk", "text": "Hi"}, {"action": "wait"}]))
    result = CliRunner().invoke(main, ["ncco", "validate", str(good)])
    assert result.exit_code == 0 and "valid: 2 action(s): talk, wait" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"action": "talk"}]))
    result = CliRunner().invoke(main, ["ncco", "validate", str(bad)])
    assert result.exit_code == 1
    assert "[0].text: Field required" in result.output
    result = CliRunner().invoke(main, ["ncco", "validate", "-"], input="not json")
    assert result.exit_code == 1 and "not JSON" in result.output
