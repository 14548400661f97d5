"""Webhook requests and the NCCO chain against real local receivers (wire-contract §5, §10):
one test per retry and fallback rule."""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import orjson
from vonage_jwt.verify_jwt import verify_signature

from ringway.config import NETWORK_KEYWORDS
from ringway.engine.answer import NccoFetch, fetch_ncco
from ringway.engine.webhooks import Target, WebhookClient
from ringway.security.signing import sign_callback
from tests.receivers import Receiver, Reply, receiver

NCCO = [{"action": "talk", "text": "Hello"}]
FIELDS = {"to": "447700900000", "from": "447700900001", "uuid": "u-1",
          "conversation_uuid": "CON-1", "custom_data": {"k": 1}}  # fmt: skip


def run(test: Callable[[Receiver, WebhookClient], Awaitable[None]], **client: Any) -> None:
    async def main() -> None:
        webhooks = WebhookClient(**client)
        try:
            async with receiver() as rec:
                await test(rec, webhooks)
        finally:
            await webhooks.close()

    asyncio.run(main())


def fast(url: str, method: str = "GET", socket_ms: int = 1000) -> Target:
    return Target(url, method, connect_timeout_ms=300, socket_timeout_ms=socket_ms)


async def chain(
    rec: Receiver, client: WebhookClient, *answer: Reply, fallback: Any = None
) -> NccoFetch:
    primary = fast(rec.answer("/answer", *answer))
    backup = fast(rec.answer("/fallback", *fallback)) if fallback else None
    return await fetch_ncco(client, primary, backup, FIELDS)


def test_answer_url_with_get_puts_the_fields_in_the_query() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        result = await chain(rec, client, Reply(body=NCCO))
        assert result.ncco is not None and len(result.attempts) == 1
        (request,) = rec.on("/answer")
        assert request.method == "GET" and request.body == b""
        assert request.query["to"] == "447700900000"
        assert request.query["custom_data"] == '{"k":1}'

    run(test)


def test_answer_url_with_post_sends_a_json_body() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        url = rec.answer("/answer", Reply(body=NCCO))
        result = await fetch_ncco(client, fast(url, "POST"), None, FIELDS)
        assert result.ncco is not None
        (request,) = rec.on("/answer")
        assert request.headers["Content-Type"] == "application/json"
        assert (
            request.body == b'{"to":"447700900000","from":"447700900001","uuid":"u-1",'
            b'"conversation_uuid":"CON-1","custom_data":{"k":1}}'
        )

    run(test)


def test_answer_url_is_tried_twice_on_503_and_the_second_answer_counts() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        result = await chain(rec, client, Reply(503), Reply(body=NCCO))
        assert result.ncco is not None
        assert [a.outcome for a in result.attempts] == ["http-503", "ok"]
        assert [a.attempt for a in result.attempts] == [1, 2]

    run(test)


def test_429_and_504_are_retried_too() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        for status in (429, 504):
            url = rec.answer(f"/s{status}", Reply(status), Reply(body=NCCO))
            result = await fetch_ncco(client, fast(url), None, FIELDS)
            assert [a.status for a in result.attempts] == [status, 200]

    run(test)


def test_other_errors_are_not_retried_and_go_to_the_fallback_with_reason() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        result = await chain(rec, client, Reply(500), fallback=[Reply(body=NCCO)])
        assert result.ncco is not None
        assert len(rec.on("/answer")) == 1
        (fallback,) = rec.on("/fallback")
        assert fallback.query["reason"] == "HTTP 500"
        assert fallback.query["original_request"] == (
            f'{{"url":"{rec.url}/answer","type":"answer"}}'
        )
        assert fallback.query["uuid"] == "u-1"

    run(test)


def test_a_read_timeout_is_retried() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        url = rec.answer("/slow", Reply(delay=1.5, body=NCCO), Reply(body=NCCO))
        result = await fetch_ncco(client, fast(url, socket_ms=1000), None, FIELDS)
        assert [a.outcome for a in result.attempts] == ["read-timeout", "ok"]
        assert result.ncco is not None

    run(test)


def test_a_dropped_connection_is_retried() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        result = await chain(rec, client, Reply(drop=True), Reply(body=NCCO))
        assert [a.outcome for a in result.attempts] == ["reset", "ok"]
        assert len(rec.on("/answer")) == 2  # no hidden third request

    run(test)


def test_a_connect_timeout_is_retried_then_the_fallback_is_used() -> None:
    # A listening socket whose accept queue is full: the kernel drops new handshakes.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)

    async def test(rec: Receiver, client: WebhookClient) -> None:
        primary = fast(f"http://127.0.0.1:{port}/answer")
        result = await fetch_ncco(
            client, primary, fast(rec.answer("/fb", Reply(body=NCCO))), FIELDS
        )
        assert [a.outcome for a in result.attempts] == ["connect-timeout", "connect-timeout", "ok"]
        assert rec.on("/fb")[0].query["reason"] == "Connection timeout"

    try:
        run(test)
    finally:
        for sock in (*fillers, listener):
            sock.close()


def test_an_invalid_ncco_is_not_retried() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        result = await chain(rec, client, Reply(body=[{"action": "talk"}]),
                             fallback=[Reply(body=NCCO)])  # fmt: skip
        assert len(rec.on("/answer")) == 1
        assert rec.on("/fallback")[0].query["reason"].startswith("Invalid NCCO: [0].text")
        assert result.ncco is not None

    run(test)


def test_a_non_json_answer_is_not_retried() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        result = await chain(rec, client, Reply(body=b"<html>hello</html>"))
        assert result.ncco is None and result.reason == "The answer is not JSON"
        assert [a.outcome for a in result.attempts] == ["not-json"]

    run(test)


def test_when_both_fail_there_is_no_ncco_and_the_reason_says_why() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        result = await chain(rec, client, Reply(503), fallback=[Reply(504)])
        assert result.ncco is None and result.reason == "HTTP 504"
        assert [a.status for a in result.attempts] == [503, 503, 504, 504]

    run(test)


def test_signed_callbacks_verify_with_vonage_jwt_and_hash_the_exact_body() -> None:
    secret = "signature-secret-of-the-account-000000000001"

    async def test(rec: Receiver, client: WebhookClient) -> None:
        url = rec.answer("/event", Reply(200))
        signer = lambda body: sign_callback(body, secret, "abcd1234", "app-1")  # noqa: E731
        await client.deliver(Target(url), {"status": "started", "uuid": "u"}, signer)
        (request,) = rec.on("/event")
        token = request.headers["Authorization"].removeprefix("Bearer ")
        assert verify_signature(token, secret)
        assert not verify_signature(token, "another-secret-of-sufficient-length-000000")
        claims = jwt.decode(token, secret, algorithms=["HS256"])
        assert claims["payload_hash"] == hashlib.sha256(request.body).hexdigest()
        assert claims["iss"] == "Vonage"
        assert (claims["api_key"], claims["application_id"]) == ("abcd1234", "app-1")

    run(test)


def test_denied_networks_are_not_reached() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        attempts = await client.deliver(Target(rec.answer("/x", Reply(200))), {})
        assert [a.outcome for a in attempts] == ["blocked"]
        assert rec.received == []

    run(test, denied_networks=["127.0.0.0/8"])


def test_no_spelling_of_a_denied_address_escapes_the_rule() -> None:
    """The rule is applied to the address actually connected to: IPv4-mapped IPv6 addresses
    are unwrapped, the unspecified addresses (which reach this host) are denied, and names
    and odd spellings are judged by what they resolve to."""

    async def test(rec: Receiver, client: WebhookClient) -> None:
        port = rec.url.rsplit(":", 1)[1]
        rec.answer("/x", Reply(200))
        hosts = ["127.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "[::]",
                 "[::1]", "localhost", "0x7f.0.0.1"]  # fmt: skip
        for host in hosts:
            attempts = await client.deliver(Target(f"http://{host}:{port}/x"), {})
            assert [a.outcome for a in attempts] == ["blocked"], host
        assert rec.received == []

    run(test, denied_networks=NETWORK_KEYWORDS["private"])


def test_cookies_a_webhook_server_sets_are_never_sent_back() -> None:
    """ringway keeps no cookies: one application's server cannot plant a cookie that
    ringway would carry to the next request, its own or another account's."""

    async def test(rec: Receiver, client: WebhookClient) -> None:
        # By name: aiohttp's default jar ignores cookies from hosts given as IP addresses.
        named = rec.url.replace("127.0.0.1", "localhost")
        rec.answer("/answer", Reply(body=NCCO, headers={"Set-Cookie": "sid=abc; Path=/"}))
        rec.answer("/event", Reply(200))
        await client.deliver(fast(f"{named}/answer"), FIELDS)
        await client.deliver(fast(f"{named}/event", "POST"), {"status": "started"})
        assert [r.path for r in rec.received] == ["/answer", "/event"]
        assert "Cookie" not in rec.on("/event")[0].headers

    run(test)


async def raw_server(*pieces: bytes, gap: float = 0.05) -> tuple[str, asyncio.Server]:
    """A server that answers every request by writing ``pieces`` one by one, ``gap`` seconds
    apart, then closing: for answers that arrive in pieces, or drip."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(gap)
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", server


def http_head(**headers: str) -> bytes:
    lines = [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("HTTP/1.1 200 OK\r\n" + "".join(line + "\r\n" for line in lines) + "\r\n").encode()


def chunked(*parts: bytes) -> list[bytes]:
    return [b"%x\r\n%s\r\n" % (len(part), part) for part in parts] + [b"0\r\n\r\n"]


def test_an_answer_written_in_pieces_is_read_whole() -> None:
    body = orjson.dumps(NCCO)
    half = len(body) // 2
    head = http_head(Content_Type="application/json", Content_Length=str(len(body)))
    streamed = http_head(Content_Type="application/json", Transfer_Encoding="chunked")

    async def test(rec: Receiver, client: WebhookClient) -> None:
        for pieces in (
            [head, body[:half], body[half:]],
            [streamed, *chunked(body[:half], body[half:])],
        ):
            url, server = await raw_server(*pieces)
            async with server:
                result = await fetch_ncco(client, fast(url + "/answer"), None, FIELDS)
            assert [a.outcome for a in result.attempts] == ["ok"]
            assert result.ncco is not None and result.attempts[0].response_body == body

    run(test)


def test_an_answer_larger_than_256_kib_is_refused_however_it_arrives() -> None:
    piece = b" " * (100 * 1024)
    body = b"[" + piece * 3 + orjson.dumps(NCCO[0]) + b"]"  # valid JSON, 300 KiB
    streamed = http_head(Content_Type="application/json", Transfer_Encoding="chunked")

    async def test(rec: Receiver, client: WebhookClient) -> None:
        url, server = await raw_server(
            streamed, *chunked(*[body[i : i + 65536] for i in range(0, len(body), 65536)])
        )
        async with server:
            result = await fetch_ncco(client, fast(url + "/answer"), None, FIELDS)
        assert result.ncco is None and result.reason == "The answer is larger than 256 KiB"
        assert [a.outcome for a in result.attempts] == ["too-large"]  # not retried
        assert len(result.attempts[0].response_body) == 256 * 1024

    run(test)


def test_a_server_that_drips_its_answer_times_out_at_the_attempts_deadline() -> None:
    """The socket timeout bounds each wait for a byte; the attempt as a whole ends at the
    connect timeout plus the socket timeout, however steadily the bytes come."""
    dripped = [bytes([b]) for b in http_head(Content_Type="application/json")]

    async def test(rec: Receiver, client: WebhookClient) -> None:
        url, server = await raw_server(*dripped, gap=0.1)
        async with server:
            target = Target(url + "/answer", "GET", connect_timeout_ms=300, socket_timeout_ms=500)
            result = await fetch_ncco(client, target, None, FIELDS)
        assert [a.outcome for a in result.attempts] == ["read-timeout", "read-timeout"]
        assert all(a.latency_ms < 2500 for a in result.attempts)  # not the 5 s it drips

    run(test)


def test_a_url_no_request_can_be_made_to_is_a_failed_attempt_not_a_crash() -> None:
    async def test(rec: Receiver, client: WebhookClient) -> None:
        for method in ("GET", "POST"):
            attempts = await client.deliver(Target("http://exa\x98mple.test/x", method), {})
            assert [a.outcome for a in attempts] == ["invalid-url"], method

    run(test)
