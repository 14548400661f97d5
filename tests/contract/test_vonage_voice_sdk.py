"""The official ``vonage`` Python SDK's Voice client, unchanged, against a live ringway over TLS:
it places calls to ringway's virtual phones, reads them back, and controls a running one.

Not tested here: ``download_recording``, which refuses any URL whose host is not a vonage.com or
nexmo.com one (tests/api/test_voice.py fetches recordings over HTTP instead)."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import pytest
from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import (
    Capabilities,
    Voice,
    VoiceUrl,
    VoiceWebhooks,
)
from vonage_http_client.errors import AuthenticationError, HttpRequestError, NotFoundError
from vonage_voice import (
    AudioStreamOptions,
    CallInfo,
    CallMessage,
    CreateCallRequest,
    ListCallsFilter,
    Phone,
    Talk,
    ToPhone,
    TtsStreamOptions,
    Wait,
)

from ringway.config import Settings
from ringway.security.keys import generate_key_pair
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer, eventually, run_server
from tests.contract.conftest import sdk_app
from tests.receivers import Receiver, Reply, wav

T = TypeVar("T")
CALLER = "447700900001"
_callees = itertools.count(447700801000)  # outside the inventory


@pytest.fixture
def realtime_tls_server(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """A TLS ringway whose calls run in real time, so the SDK can act on one while it is up."""
    settings.clock_speed = 1
    for live in run_server(settings, tls=True):
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(live.ca))
        yield live


@dataclass
class Sdk:
    """The SDK authenticated as a voice application of a fresh account."""

    server: LiveServer
    credentials: Credentials
    client: Vonage
    admin: Vonage  # the account's API key and secret, for the Application API
    hooks: Receiver
    application_id: str

    def close(self) -> None:
        """Drop the SDK clients and free their sockets: a kept-alive TLS connection stays open
        while the SDK holds its last response, and a stopping server waits up to 30 s for each
        open one."""
        del self.client, self.admin
        gc.collect()

    def phone(self, **behaviour: Any) -> str:
        """A fresh virtual phone number behaving as told (ringway's own API, not the SDK's)."""
        number = str(next(_callees))
        with self.server.client(self.credentials) as rest:
            response = rest.put(f"/_ringway/phones/{number}", json=behaviour)
        assert response.status_code == 200, response.text
        return number

    def call(self, to: str, *ncco: Talk) -> str:
        created = self.client.voice.create_call(
            CreateCallRequest(
                to=[ToPhone(number=to)],
                from_=Phone(number=CALLER),
                ncco=list(ncco),
                event_url=[self.hooks.url + "/event"],
            )
        )
        assert created.status == "started" and created.direction == "outbound"
        assert created.conversation_uuid.startswith("CON-")
        uuid: str = created.uuid
        return uuid

    def statuses(self, uuid: str) -> list[str]:
        bodies = [orjson.loads(r.body) for r in self.hooks.on("/event")]
        return [b["status"] for b in bodies if b.get("uuid") == uuid and "status" in b]

    def timeline(self, uuid: str, kind: str) -> list[dict[str, Any]]:
        with self.server.client(self.credentials) as rest:
            entries: list[dict[str, Any]] = rest.get(f"/_ringway/calls/{uuid}/timeline").json()[
                "entries"
            ]
        return [e for e in entries if e["kind"] == kind]


def said(sdk: Sdk, uuid: str, text: str) -> bool:
    """Whether the call's NCCO has come to a talk action saying ``text``."""
    return any(e["action"].get("text") == text for e in sdk.timeline(uuid, "action"))


def sdk_for(server: LiveServer, hooks: Receiver) -> Sdk:
    webhooks = VoiceWebhooks(
        answer_url=VoiceUrl(address=hooks.url + "/answer", http_method="GET"),
        event_url=VoiceUrl(address=hooks.url + "/app-event", http_method="POST"),
    )
    made = sdk_app(server, "sdk voice", Capabilities(voice=Voice(webhooks=webhooks)))
    return Sdk(server, made.credentials, made.client, made.admin, hooks, made.app_id)


@pytest.fixture
def sdk(hooks: Receiver, tls_server: LiveServer) -> Iterator[Sdk]:
    client = sdk_for(tls_server, hooks)
    yield client
    client.close()


@pytest.fixture
def live_sdk(hooks: Receiver, realtime_tls_server: LiveServer) -> Iterator[Sdk]:
    client = sdk_for(realtime_tls_server, hooks)
    yield client
    client.close()


def test_sdk_creates_a_call_and_reads_it_back(sdk: Sdk) -> None:
    to = sdk.phone(answer_after=1, hangup_after=3)
    uuid = sdk.call(to, Talk(text="Hold the line", loop=0))
    eventually(lambda: "completed" in sdk.statuses(uuid), what="the completed event")
    assert sdk.statuses(uuid) == ["started", "ringing", "answered", "completed"]
    info = sdk.client.voice.get_call(uuid)
    assert info.status == "completed"
    assert info.uuid == uuid
    assert info.conversation_uuid.startswith("CON-")
    assert info.direction == "outbound"
    assert info.to == Phone(number=to)
    assert info.from_ == Phone(number=CALLER)
    assert info.rate == "0.00450000"
    assert info.price == "0.00450000"
    assert info.duration == "3"  # the callee hung up 3 s after answering
    assert info.start_time and info.end_time and info.network
    assert info.link == f"/v1/calls/{uuid}"

    def listed() -> list[CallInfo] | None:
        """The list, once the call is stored as it ended (storage is written behind)."""
        calls, next_index = sdk.client.voice.list_calls(
            ListCallsFilter(conversation_uuid=info.conversation_uuid)
        )
        assert next_index is None
        return calls if calls and calls[0].status == "completed" else None

    (found,) = eventually(listed, what="the call in the list")
    assert found.model_dump() == info.model_dump()
    everything, _ = sdk.client.voice.list_calls()
    assert [c.uuid for c in everything] == [uuid]
    completed, _ = sdk.client.voice.list_calls(ListCallsFilter(status="completed"))
    assert [c.uuid for c in completed] == [uuid]
    ringing, _ = sdk.client.voice.list_calls(ListCallsFilter(status="ringing"))
    assert ringing == []


def test_sdk_gets_not_found_for_an_unknown_call(sdk: Sdk) -> None:
    with pytest.raises(NotFoundError):
        sdk.client.voice.get_call("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError):
        sdk.client.voice.hangup("00000000-0000-0000-0000-000000000000")


def test_sdk_gets_not_found_for_another_accounts_call(sdk: Sdk) -> None:
    to = sdk.phone()
    uuid = sdk.call(to, Talk(text="Hi"))
    eventually(lambda: "completed" in sdk.statuses(uuid), what="the call to end")
    stranger = sdk_for(sdk.server, sdk.hooks)
    try:
        with pytest.raises(NotFoundError):
            stranger.client.voice.get_call(uuid)
        assert stranger.client.voice.list_calls() == ([], None)
    finally:
        stranger.close()


def test_sdk_gets_authentication_error_for_an_unknown_application(sdk: Sdk) -> None:
    host = f"127.0.0.1:{sdk.server.port}"
    unknown = Auth(application_id="00000000-0000-0000-0000-000000000000",
                   private_key=generate_key_pair().private_pem)  # fmt: skip
    other = Vonage(unknown, HttpClientOptions(api_host=host, rest_host=host))
    with pytest.raises(AuthenticationError):
        other.voice.list_calls()


def test_sdk_controls_a_running_call(live_sdk: Sdk) -> None:
    sdk, voice = live_sdk, live_sdk.client.voice
    to = sdk.phone(answer_after=0)  # answers at once, never hangs up
    uuid = sdk.call(to, Talk(text="Hold the line", loop=0))
    eventually(lambda: "answered" in sdk.statuses(uuid), what="the call to be answered")
    assert voice.get_call(uuid).status == "answered"

    started = voice.play_tts_into_call(uuid, TtsStreamOptions(text="Still there?", loop=0))
    assert started == CallMessage(message="Talk started", uuid=uuid)
    assert voice.stop_tts(uuid) == CallMessage(message="Talk stopped", uuid=uuid)
    sent = voice.play_dtmf_into_call(uuid, "1234#")
    assert sent == CallMessage(message="DTMF sent", uuid=uuid)
    for control in (voice.mute, voice.unmute, voice.earmuff, voice.unearmuff):
        assert control(uuid) is None
    audio = sdk.hooks.answer("/hold.wav", Reply(body=wav(1.0)))
    streaming = voice.play_audio_into_call(uuid, AudioStreamOptions(stream_url=[audio], loop=0))
    assert streaming == CallMessage(message="Stream started", uuid=uuid)
    assert voice.stop_audio_stream(uuid) == CallMessage(message="Stream stopped", uuid=uuid)

    voice.transfer_call_ncco(uuid, [Talk(text="Transferred"), Wait(timeout=600)])
    eventually(lambda: said(sdk, uuid, "Transferred"), what="the new NCCO to run")
    moved_ncco = [{"action": "talk", "text": "Moved by URL"}, {"action": "wait", "timeout": 600}]
    by_url = sdk.hooks.answer("/transfer", Reply(body=moved_ncco))
    voice.transfer_call_answer_url(uuid, by_url)
    eventually(lambda: said(sdk, uuid, "Moved by URL"), what="the URL's NCCO to run")

    talks = [(e["event"], e.get("text")) for e in sdk.timeline(uuid, "talk")]
    assert talks == [("started", "Still there?"), ("stopped", None)]
    streams = [(e["event"], e.get("stream_url")) for e in sdk.timeline(uuid, "stream")]
    assert streams == [("started", audio), ("stopped", None)]
    assert [e["digits"] for e in sdk.timeline(uuid, "dtmf")] == ["1234#"]
    controls = [e["action"] for e in sdk.timeline(uuid, "control")]
    assert controls == [
        "talk",
        "silence",
        "dtmf",
        "mute",
        "unmute",
        "earmuff",
        "unearmuff",
        "stream",
        "silence",
        "transfer",
        "transfer",
    ]  # every request, in order

    voice.hangup(uuid)
    eventually(lambda: "completed" in sdk.statuses(uuid), what="the completed event")
    assert eventually(lambda: (c := voice.get_call(uuid)).status == "completed" and c).duration
    with pytest.raises(NotFoundError):
        voice.hangup(uuid)
    with pytest.raises(NotFoundError):
        voice.play_tts_into_call(uuid, TtsStreamOptions(text="Too late"))


def test_sdk_sees_validation_errors(sdk: Sdk) -> None:
    to = sdk.phone()
    with pytest.raises(HttpRequestError) as raised:
        sdk.client.voice.create_call(
            CreateCallRequest(to=[ToPhone(number=to)], from_=Phone(number=CALLER),
                              ncco=[Talk(text="Hi")], ringing_timer=120, length_timer=86400)
        )  # fmt: skip
    assert raised.value.response.status_code == 400
    assert "length_timer" in raised.value.response.text
