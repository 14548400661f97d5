"""The call page's microphone and speakers, in real headless Chromium with its fake capture
device playing speech made by espeak-ng: the browser joins a live call over a WebSocket, a real
WebSocket agent bridged to the call hears that speech, and the browser hears the agent. The
socket is refused to other origins and to signed-out browsers."""

from __future__ import annotations

import array
import math
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from ringway.config import Settings
from ringway.services.accounts import Credentials
from tests.agents import agent
from tests.cli.test_calls import linked_number
from tests.conftest import LiveServer, eventually, run_server
from tests.dashboard.conftest import Browser as HttpBrowser
from tests.dashboard.test_browser import LAPTOP, launch, page_elsewhere, shoot, sign_in
from tests.receivers import Receiver, Reply, in_thread

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LOUD = 500  # RMS of a frame with sound in it (of 32767)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WAV of a few seconds of speech, for the fake microphone to play (it loops)."""
    path = tmp_path_factory.mktemp("speech") / "caller.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "Hello, I would like to speak to sales."],
                   check=True, timeout=30)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def chromium(speech: Path) -> Iterator[Browser]:
    """Chromium whose microphone plays ``speech``, allowed without asking, with sound."""
    yield from launch("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-audio-capture={speech}",
                      "--autoplay-policy=no-user-gesture-required")  # fmt: skip


def loud(frame: bytes) -> bool:
    samples = array.array("h", frame)
    return math.sqrt(sum(s * s for s in samples) / len(samples)) >= LOUD


def place_call(page: Page, number: str) -> None:
    """Call ``number`` from the calls page, at real time; the call's page opens."""
    page.goto("/calls")
    page.get_by_label("Your number to call").select_option(number)
    page.get_by_role("button", name="Call").click()
    expect(page.get_by_role("region", name="Be the caller")).to_be_visible()


def test_the_browser_talks_to_a_websocket_agent_and_hears_it(
    chromium: Browser, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    with in_thread(agent(echo=True)) as bot:
        socket = {"type": "websocket", "uri": bot.url, "content-type": "audio/l16;rate=16000"}
        ncco = [{"action": "record"}, {"action": "connect", "endpoint": [socket]}]
        hooks.answer("/answer", Reply(body=ncco))
        number = linked_number(server, account, {
            "answer_url": {"address": hooks.url + "/answer"},
            "event_url": {"address": hooks.url + "/event"}})  # fmt: skip
        context = chromium.new_context(base_url=server.url, viewport=LAPTOP)
        problems: list[str] = []
        try:
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            sign_in(page, account)
            place_call(page, number)
            microphone = page.locator("#microphone")
            microphone.get_by_role("button", name="Start microphone").click()
            expect(microphone.get_by_role("button", name="Stop microphone")).to_be_visible()
            expect(microphone).to_contain_text("On the call")
            # The agent hears the speech, echoes it, and the browser hears the echo.
            eventually(lambda: int(microphone.get_attribute("data-loud") or 0) >= 25,
                       timeout=10, what="frames with sound in the browser")  # fmt: skip
            heard = [frame for _, frame in bot.accepted[0].frames]
            assert {len(frame) for frame in heard} == {640}
            assert sum(map(loud, heard)) >= 25
            assert int(microphone.get_attribute("data-sent") or 0) >= 25
            shoot(page, "call-microphone")
            uuid = page.url.rsplit("/", 1)[1]
            with server.client(account) as api:  # the page stays, its socket closes saying why
                assert api.post(f"/_ringway/calls/{uuid}/hangup").status_code == 204
            expect(microphone.locator(".said")).to_have_text("The call ended.")
            expect(page.locator("#call-status")).to_have_text("completed")
            rows = page.get_by_role("region", name="Sound").get_by_role("row")
            expect(rows.filter(has_text="your microphone").first).to_be_visible()
            expect(rows.filter(has_text="WebSocket audio").first).to_be_visible()
            player = page.get_by_role("region", name="Recordings").locator("audio")
            expect(player).to_have_count(1)  # Chromium decodes the recording it serves
            page.wait_for_function("document.querySelector('#recordings audio').duration > 1")
            shoot(page, "call-sound")
        finally:
            context.close()
        assert not problems, problems


def test_another_origin_or_a_signed_out_browser_cannot_open_the_socket(
    chromium: Browser, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    hooks.answer("/answer", Reply(body=[{"action": "conversation", "name": "hold"}]))
    number = linked_number(server, account, {"answer_url": {"address": hooks.url + "/answer"}})
    context = chromium.new_context(base_url=server.url)  # a refused socket logs a console error
    try:
        tab = context.new_page()
        sign_in(tab, account)
        place_call(tab, number)
        call = tab.url
        socket = call.replace("http://", "ws://") + "/audio"
        opening = """url => new Promise(done => { const ws = new WebSocket(url);
            ws.onopen = () => { done("open"); ws.close(); };
            ws.onclose = (event) => done(`closed ${event.code}`); })"""
        with page_elsewhere("<p>elsewhere</p>", "x=1; Path=/") as elsewhere:
            tab.goto(elsewhere)
            assert tab.evaluate(opening, socket) == "closed 1006"  # refused at the upgrade
        tab.goto("/calls")
        assert tab.evaluate(opening, socket) == "open"  # the same browser, from the dashboard
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies(server.url))
        tab.goto(call)  # signed out since (elsewhere): the page says what to do
        context.clear_cookies()
        tab.get_by_role("button", name="Start microphone").click()
        expect(tab.locator("#microphone .said")).to_have_text(re.compile("refused.*sign in"))
    finally:
        context.close()
    own = {"Origin": server.url}
    for headers in ({"Cookie": cookie, "Origin": "http://127.0.0.1:9"}, {"Cookie": cookie}, own):
        with pytest.raises(InvalidStatus) as refused:
            connect(socket, additional_headers=headers, open_timeout=5).close()
        assert refused.value.response.status_code == 403
    with connect(socket, additional_headers={"Cookie": cookie, **own}) as ws:
        ws.close()


def media_type(audio: bytes) -> str:
    """What a file's first bytes say it is: WAV, OGG or MP3 (a tag, or a frame's sync bits)."""
    if audio.startswith(b"RIFF"):
        return "audio/wav"
    if audio.startswith(b"OggS"):
        return "audio/ogg"
    mp3 = audio.startswith(b"ID3") or (audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0)
    return "audio/mpeg" if mp3 else "unknown"


def test_a_recording_plays_from_the_call_page_for_its_account_only(
    signed_in: HttpBrowser, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    ncco = [{"action": "record"}, {"action": "talk", "text": "Leave a message"}]
    hooks.answer("/answer", Reply(body=ncco))
    number = linked_number(server, account, {"answer_url": {"address": hooks.url + "/answer"}})
    with server.client(account) as api:
        uuid = api.post("/_ringway/calls", json={"from": "447700900999", "to": number,
                                                 "speed": 0}).json()["uuid"]  # fmt: skip

    def recorded() -> str | None:
        entries = signed_in.get(f"/calls/{uuid}/timeline.json").json()["entries"]
        found = [e["recording_uuid"] for e in entries if e["kind"] == "recording"]
        return found[0] if found else None

    recording = eventually(recorded, what="the recording")
    played = signed_in.get(f"/recordings/{recording}")
    assert played.status_code == 200
    assert played.headers["content-type"] == media_type(played.content) == "audio/mpeg"
    assert len(played.content) > 1000
    with httpx.Client(base_url=server.url) as stranger:
        assert stranger.get(f"/recordings/{recording}").headers["location"].startswith("/sign-in")
    other = server.account()
    with httpx.Client(base_url=server.url) as client:
        someone = HttpBrowser(client)
        someone.sign_in(other)
        assert someone.get(f"/recordings/{recording}").status_code == 404


def refusal(url: str, cookie: str) -> tuple[dict[str, str], int | None]:
    """What the socket at ``url`` says before it closes, and its closing code."""
    origin = url.replace("ws://", "http://").split("/calls/")[0]
    with connect(url, additional_headers={"Cookie": cookie, "Origin": origin}) as ws:
        said = orjson.loads(ws.recv(timeout=5))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    return said, ws.close_code


def test_a_call_of_another_process_ended_or_unknown_is_refused_saying_why(
    settings: Settings, server: LiveServer, account: Credentials, hooks: Receiver, tmp_path: Path
) -> None:
    hooks.answer("/answer", Reply(body=[{"action": "conversation", "name": "hold"}]))
    number = linked_number(server, account, {"answer_url": {"address": hooks.url + "/answer"}})
    with server.client(account) as api:
        call = {"from": "447700900999", "to": number, "speed": 1}
        uuid = api.post("/_ringway/calls", json=call).json()["uuid"]
    other = Settings(data_dir=tmp_path / "other", database_url=settings.database_url,
                     key_pool_size=0)  # fmt: skip
    with contextmanager(run_server)(other) as node:  # another process, the same database
        with httpx.Client(base_url=node.url) as client:
            assert HttpBrowser(client).sign_in(account).is_redirect
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        said, code = refusal(f"{node.url.replace('http', 'ws')}/calls/{uuid}/audio", cookie)
        assert code == 4409
        assert said["error"].startswith("This call runs in another ringway process")
    with httpx.Client(base_url=server.url) as client:
        assert HttpBrowser(client).sign_in(account).is_redirect
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        assert HttpBrowser(client).post(f"/calls/{uuid}/hangup").is_redirect
    socket = f"{server.url.replace('http', 'ws')}/calls/{uuid}/audio"
    eventually(lambda: refusal(socket, cookie)[0] == {"error": "The call has ended."})
    unknown = socket.replace(uuid, "0" * 8 + uuid[8:])
    assert "does not exist" in refusal(unknown, cookie)[0]["error"]
