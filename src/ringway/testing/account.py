"""An account on a test server, with the helpers a test of a voice or messaging application
needs: applications, numbers, simulated calls and messages, the official SDK, and a reset."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ringway.client import Client, CreatedApplication
from ringway.testing.server import Credentials, TestServer, environment

if TYPE_CHECKING:
    from vonage import Vonage

CALLER = "447700900001"  # a fictional number simulated calls come from by default
CALL_SECONDS = 60.0  # how long a simulated call may take, in real time, to end


@dataclass(frozen=True)
class CallResult:
    """A simulated call once it has ended: its status, its outcome as ringway stores it
    (``completed``, or what went wrong: ``failed: answer_url answered 500``), whether it
    ``failed``, and every line of its timeline."""

    uuid: str
    status: str
    outcome: str
    timeline: list[dict[str, Any]]
    failed: bool = False


@dataclass
class RingwayAccount:
    """A fresh account of its own for one test: nothing another test made is visible to it."""

    server: TestServer
    credentials: Credentials
    client: Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = Client(self.url, self.api_key, self.api_secret, verify=self.server.verify)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def api_secret(self) -> str:
        return self.credentials.api_secret

    @property
    def signature_secret(self) -> str:
        return self.credentials.signature_secret

    @property
    def env(self) -> dict[str, str]:
        """What an application under test needs in its environment to use this account."""
        return environment(self.url, self.credentials, self.server.ca)

    def create_application(self, **fields: Any) -> CreatedApplication:
        """An application (``name`` defaults to "test"; the v2 API's fields), with its private
        key in ``.keys.private_key``."""
        return self.client.applications.create({"name": "test", **fields})

    def buy_number(self, country: str = "GB", application_id: str | None = None) -> str:
        """Buy a number of ``country`` from the inventory, linked to ``application_id`` when
        given; its MSISDN."""
        found, _ = self.client.numbers.search(country)
        if not found:
            raise LookupError(f"ringway has no number for sale in {country}")
        msisdn = found[0].msisdn
        self.client.numbers.buy(msisdn, country)
        if application_id is not None:
            self.client.numbers.link(msisdn, application_id, country)
        return msisdn

    def simulate_call(self, to: str, from_: str | None = None, **caller: Any) -> CallResult:
        """A simulated person calls the account's number ``to`` and the call runs to its end,
        as fast as its clock allows (``dtmf``, ``speech``, ``hangup_after``, ``speed`` … as
        ``Client.calls.simulate`` takes them)."""
        call = self.client.calls.simulate(from_ or CALLER, to, **caller)
        deadline = time.monotonic() + CALL_SECONDS
        while (page := self.client.calls.timeline(call["uuid"]))["running"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"call {call['uuid']} still runs after {CALL_SECONDS} s")
            time.sleep(0.02)
        return CallResult(call["uuid"], page["status"], page["outcome"] or page["status"],
                          page["entries"], page["failed"])  # fmt: skip

    def simulate_message(self, **message: Any) -> dict[str, Any]:
        """An inbound message from a simulated user (``channel``, ``from``, ``to``, ``text``
        …), as ``Client.messages.simulate`` takes it."""
        return self.client.messages.simulate(**message)

    def vonage(self, application_id: str | None = None, private_key: str | None = None) -> Vonage:
        """The official ``vonage`` client, pointed at this server: with the account's key and
        secret, and an application's id and private key when given."""
        from vonage import Auth, HttpClientOptions, Vonage

        if not self.url.startswith("https://"):
            raise RuntimeError("the vonage SDK speaks only HTTPS: run ringway with TLS")
        host = self.url.removeprefix("https://")
        auth = Auth(api_key=self.api_key, api_secret=self.api_secret,
                    application_id=application_id, private_key=private_key)  # fmt: skip
        client = Vonage(auth, HttpClientOptions(api_host=host, rest_host=host))
        # This client's requests session trusts ringway's CA (not REQUESTS_CA_BUNDLE, which
        # would override it), and nothing changes for the rest of the test process.
        session = client.http_client._session
        session.trust_env, session.verify = False, self.server.verify
        return client

    def reset(self) -> None:
        """Wipe everything the account made; its credentials stay."""
        self.client.reset()

    def close(self) -> None:
        self.client.close()
