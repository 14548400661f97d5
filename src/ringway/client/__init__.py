"""A typed Python client for ringway's HTTP API, over httpx."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field

from ringway.domain.applications import ApplicationOut
from ringway.domain.numbers import country_of, normalize_msisdn

CALLS = "/_ringway/calls"
VOICE = "/v1/calls"
PHONES = "/_ringway/phones"
RECIPIENTS = "/_ringway/recipients"
MESSAGES = "/_ringway/messages"
DELIVERIES = "/_ringway/deliveries"
FAULTS = "/_ringway/faults"


class RingwayError(Exception):
    """An error answer from ringway, carrying its problem details."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.invalid_parameters: list[dict[str, str]] = problem.get("invalid_parameters", [])
        detail = (
            problem.get("detail")
            or problem.get("title")
            or problem.get("error-code-label")
            or f"HTTP {status}"
        )
        reasons = "; ".join(f"{p['name']}: {p['reason']}" for p in self.invalid_parameters)
        super().__init__(f"{detail} ({reasons})" if reasons else detail)


class CreatedApplication(ApplicationOut):
    """A create response: ``keys.private_key`` is set when ringway generated the key pair."""


class Applications:
    """The Application API (v2)."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def list(self, page: int = 1, page_size: int = 100) -> tuple[list[ApplicationOut], int]:
        """One page of applications and the number of applications in all."""
        body = _call(
            self._http, "GET", "/v2/applications", params={"page": page, "page_size": page_size}
        )
        apps = [ApplicationOut.model_validate(a) for a in body["_embedded"]["applications"]]
        return apps, body["total_items"]

    def iter(self, page_size: int = 100) -> Iterator[ApplicationOut]:
        """Every application, fetching page after page."""
        return _every(lambda page: self.list(page, page_size), page_size)

    def get(self, app_id: str) -> ApplicationOut:
        return ApplicationOut.model_validate(_call(self._http, "GET", f"/v2/applications/{app_id}"))

    def create(self, body: dict[str, Any]) -> CreatedApplication:
        return CreatedApplication.model_validate(
            _call(self._http, "POST", "/v2/applications", json=body)
        )

    def replace(self, app_id: str, body: dict[str, Any]) -> ApplicationOut:
        return ApplicationOut.model_validate(
            _call(self._http, "PUT", f"/v2/applications/{app_id}", json=body)
        )

    def update(self, app_id: str, changes: dict[str, Any]) -> ApplicationOut:
        """Change only what ``changes`` names: read, merge deeply, replace."""
        current = self.get(app_id).model_dump(mode="json", exclude_none=True, exclude={"links"})
        current["keys"] = {k: v for k, v in current["keys"].items() if k == "public_key"}
        return self.replace(app_id, deep_merge(current, changes))

    def delete(self, app_id: str) -> None:
        _call(self._http, "DELETE", f"/v2/applications/{app_id}")


class AvailableNumber(BaseModel):
    country: str
    msisdn: str
    type: str
    cost: str
    features: list[str]


class OwnedNumber(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    country: str
    msisdn: str
    type: str
    features: list[str]
    app_id: str | None = None
    mo_http_url: str | None = Field(default=None, alias="moHttpUrl")
    voice_callback_type: str | None = Field(default=None, alias="voiceCallbackType")
    voice_callback_value: str | None = Field(default=None, alias="voiceCallbackValue")
    voice_status_callback: str | None = Field(default=None, alias="voiceStatusCallback")


class Numbers:
    """The Numbers API. ``country`` may be left out: it follows from the number's calling code."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def search(
        self,
        country: str,
        *,
        type: str | None = None,
        features: str | None = None,
        pattern: str | None = None,
        search_pattern: int = 0,
        size: int = 10,
        index: int = 1,
    ) -> tuple[list[AvailableNumber], int]:
        """Numbers for sale, and how many match in all."""
        params = _present(
            country=country, type=type, features=features, pattern=pattern,
            search_pattern=search_pattern, size=size, index=index,
        )  # fmt: skip
        body = _call(self._http, "GET", "/number/search", params=params)
        return [AvailableNumber.model_validate(n) for n in body.get("numbers", [])], body["count"]

    def list(
        self,
        *,
        application_id: str | None = None,
        has_application: bool | None = None,
        country: str | None = None,
        pattern: str | None = None,
        search_pattern: int = 0,
        size: int = 100,
        index: int = 1,
    ) -> tuple[list[OwnedNumber], int]:
        """One page of the account's numbers, and how many match in all."""
        params = _present(
            application_id=application_id, country=country, pattern=pattern,
            search_pattern=search_pattern, size=size, index=index,
            has_application=None if has_application is None else str(has_application).lower(),
        )  # fmt: skip
        body = _call(self._http, "GET", "/account/numbers", params=params)
        return [OwnedNumber.model_validate(n) for n in body.get("numbers", [])], body["count"]

    def iter(
        self, application_id: str | None = None, country: str | None = None
    ) -> Iterator[OwnedNumber]:
        """Every number of the account (of an application, of a country), page after page."""
        return _every(
            lambda index: self.list(
                application_id=application_id, country=country, size=100, index=index
            ),
            100,
        )

    def buy(self, msisdn: str, country: str | None = None) -> None:
        self._post("/number/buy", msisdn, country)

    def cancel(self, msisdn: str, country: str | None = None) -> None:
        self._post("/number/cancel", msisdn, country)

    def link(self, msisdn: str, app_id: str, country: str | None = None) -> None:
        """Route the number to an application, keeping its other settings."""
        self._update(msisdn, country, app_id)

    def unlink(self, msisdn: str, country: str | None = None) -> None:
        self._update(msisdn, country, None)

    def _update(self, msisdn: str, country: str | None, app_id: str | None) -> None:
        msisdn = normalize_msisdn(msisdn)
        current = next(
            (n for n in self.list(pattern=msisdn, search_pattern=0)[0] if n.msisdn == msisdn), None
        )
        keep = {}
        if current is not None:
            keep = {
                "moHttpUrl": current.mo_http_url,
                "voiceStatusCallback": current.voice_status_callback,
            }
            if current.voice_callback_type in ("sip", "tel"):
                keep |= {
                    "voiceCallbackType": current.voice_callback_type,
                    "voiceCallbackValue": current.voice_callback_value,
                }
        fields = {"app_id": app_id, **keep}
        self._post("/number/update", msisdn, country, {k: v for k, v in fields.items() if v})

    def _post(
        self, path: str, msisdn: str, country: str | None, extra: dict[str, str] | None = None
    ) -> None:
        msisdn = normalize_msisdn(msisdn)
        country = country or country_of(msisdn)
        if country is None:
            raise ValueError(f"cannot tell the country of {msisdn}: give it")
        _call(
            self._http, "POST", path, data={"country": country, "msisdn": msisdn, **(extra or {})}
        )


class Calls:
    """Simulated calls under ``/_ringway/calls``: place them, follow their timelines, and act
    as the person on the line."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def simulate(
        self,
        from_: str,
        to: str,
        *,
        dtmf: list[str] | None = None,
        speech: list[str] | None = None,
        says: list[dict[str, Any]] | None = None,
        hangup_after: float | None = None,
        message_seconds: float | None = None,
        speed: float | None = None,
        custom_data: dict[str, Any] | None = None,
        from_user: str | None = None,
    ) -> dict[str, Any]:
        """A simulated person at ``from_`` (or the application's user ``from_user``, as from
        the Client SDK) calls the account's number ``to``: at each input
        that asks for keys they key the next entry of ``dtmf``, at each that asks for speech
        they say the next entry of ``speech``; they say each of ``says`` (``{"text", "at"}``,
        ``at`` seconds after the answer) unasked. ``speed`` 0 runs the call as fast as possible,
        1 in real time (default: the server's). Returns the call as it starts."""
        caller: dict[str, Any] = {"dtmf": dtmf or [], "speech": speech or [], "says": says or []}
        caller |= _present(hangup_after=hangup_after, message_seconds=message_seconds)
        body: dict[str, Any] = {"from": from_, "to": to, "caller": caller,
                                **_present(speed=speed, from_user=from_user)}  # fmt: skip
        if custom_data is not None:
            body["custom_data"] = custom_data
        result: dict[str, Any] = _call(self._http, "POST", CALLS, json=body)
        return result

    def list(
        self,
        *,
        page_size: int = 10,
        record_index: int = 0,
        status: str | None = None,
        conversation_uuid: str | None = None,
        date_start: str | None = None,
        date_end: str | None = None,
        order: str | None = None,
        failed: bool = False,
    ) -> dict[str, Any]:
        """One page of the account's calls: ``count``, and the calls in ``_embedded.calls``,
        each with its ``outcome`` once it has ended (only those that ``failed``, if asked)."""
        params = _present(
            page_size=page_size, record_index=record_index, status=status,
            conversation_uuid=conversation_uuid, date_start=date_start, date_end=date_end,
            order=order, failed="1" if failed else None,
        )  # fmt: skip
        result: dict[str, Any] = _call(self._http, "GET", CALLS, params=params)
        return result

    def iter(self, **filters: str | None) -> Iterator[dict[str, Any]]:
        """Every call of the account (that ``list``'s filters take), newest first."""
        return _records(self._http, CALLS, "calls", **filters)

    def get(self, uuid: str) -> dict[str, Any]:
        result: dict[str, Any] = _call(self._http, "GET", f"{CALLS}/{uuid}")
        return result

    def timeline(self, uuid: str, after: int = 0) -> dict[str, Any]:
        """The entries after the ``after``-th, the call's ``status``, and whether it is
        ``running``."""
        result: dict[str, Any] = _call(
            self._http, "GET", f"{CALLS}/{uuid}/timeline", params={"after": after}
        )
        return result

    def follow(self, uuid: str, interval: float = 0.1) -> Iterator[dict[str, Any]]:
        """Every timeline entry of the call as it happens, polling every ``interval`` seconds,
        until the call has ended and no entry is left."""
        after = 0
        while True:
            page = self.timeline(uuid, after)
            entries: list[dict[str, Any]] = page["entries"]
            for entry in entries:
                after = max(after, entry["seq"])
                yield entry
            if not page["running"]:
                if not entries:
                    return
                continue
            time.sleep(interval)

    def dtmf(self, uuid: str, digits: str) -> None:
        _call(self._http, "POST", f"{CALLS}/{uuid}/dtmf", json={"digits": digits})

    def speech(self, uuid: str, text: str) -> None:
        _call(self._http, "POST", f"{CALLS}/{uuid}/speech", json={"text": text})

    def hangup(self, uuid: str) -> None:
        _call(self._http, "POST", f"{CALLS}/{uuid}/hangup")


class Behaviours:
    """Simulated parties: virtual phones (``/_ringway/phones``: how the addresses outbound
    legs reach answer) or message recipients (``/_ringway/recipients``)."""

    def __init__(self, http: httpx.Client, path: str) -> None:
        self._http = http
        self._path = path

    def list(self) -> dict[str, Any]:
        """Every address with a behaviour of its own, and the ``default`` of any other."""
        result: dict[str, Any] = _call(self._http, "GET", self._path)
        return result

    def get(self, address: str) -> dict[str, Any]:
        """How ``address`` behaves (the default, when it was never set)."""
        result: dict[str, Any] = _call(self._http, "GET", self._address(address))
        return result

    def set(self, address: str, **behaviour: Any) -> dict[str, Any]:
        """Set how ``address`` behaves; what is left out takes its default. Phones:
        ``behaviour`` (answer, busy, no-answer, reject, fail, machine), ``answer_after``,
        ``dtmf``, ``speech``, ``hangup_after``, ``message_seconds``. Recipients: ``behaviour``
        (delivered, read, rejected, undeliverable), ``delivered_after``, ``read_after``,
        ``channels`` (a channel's own behaviour), ``reaction`` and ``react_after``."""
        result: dict[str, Any] = _call(self._http, "PUT", self._address(address), json=behaviour)
        return result

    def delete(self, address: str) -> None:
        """Forget the address's behaviour: it behaves as the default again."""
        _call(self._http, "DELETE", self._address(address))

    def _address(self, address: str) -> str:
        return f"{self._path}/{quote(address, safe='')}"


class Messages:
    """Messages under ``/_ringway/messages`` (sent and received), and ``send`` through the
    Messages API with the account's credentials."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def send(self, **message: Any) -> str:
        """``POST /v1/messages``; the ``message_uuid``."""
        result: dict[str, Any] = _call(self._http, "POST", "/v1/messages", json=message)
        return str(result["message_uuid"])

    def simulate(self, **message: Any) -> dict[str, Any]:
        """An inbound message from a simulated user: ``channel``, ``from``, ``to`` (a number of
        the account linked to a messages application), ``text`` or ``message_type`` and its
        content."""
        result: dict[str, Any] = _call(self._http, "POST", MESSAGES, json=message)
        return result

    def list(
        self, page_size: int = 20, record_index: int = 0, failed: bool = False
    ) -> dict[str, Any]:
        """One page of messages, newest first, each with its ``outcome`` so far (only those
        that ``failed``, if asked)."""
        params = _present(page_size=page_size, record_index=record_index,
                          failed="1" if failed else None)  # fmt: skip
        result: dict[str, Any] = _call(self._http, "GET", MESSAGES, params=params)
        return result

    def iter(self) -> Iterator[dict[str, Any]]:
        """Every message, newest first."""
        return _records(self._http, MESSAGES, "messages")

    def get(self, message_uuid: str) -> dict[str, Any]:
        result: dict[str, Any] = _call(self._http, "GET", f"{MESSAGES}/{message_uuid}")
        return result


class Deliveries:
    """The outbox's asynchronous webhooks under ``/_ringway/deliveries``."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def list(
        self,
        state: str | None = None,
        page_size: int = 20,
        record_index: int = 0,
        kind: str | None = None,
    ) -> dict[str, Any]:
        params = _present(state=state, kind=kind, page_size=page_size, record_index=record_index)
        result: dict[str, Any] = _call(self._http, "GET", DELIVERIES, params=params)
        return result

    def iter(self, state: str | None = None, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Every delivery (of this ``state`` and ``kind``), newest first."""
        return _records(self._http, DELIVERIES, "deliveries", state=state, kind=kind)

    def get(self, delivery_id: str) -> dict[str, Any]:
        result: dict[str, Any] = _call(self._http, "GET", f"{DELIVERIES}/{delivery_id}")
        return result

    def retry(self, delivery_id: str) -> dict[str, Any]:
        """Send it again now, whatever became of it."""
        result: dict[str, Any] = _call(self._http, "POST", f"{DELIVERIES}/{delivery_id}/retry")
        return result


class Faults:
    """Faults injected into the account's webhooks, under ``/_ringway/faults``."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def list(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = _call(self._http, "GET", FAULTS)["faults"]
        return result

    def get(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = _call(self._http, "GET", self._path(name))
        return result

    def set(
        self,
        name: str,
        action: dict[str, Any],
        kind: str | None = None,
        url: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Set (or replace) the fault ``name``: ``action`` is ``{"status": 503}``,
        ``{"delay_ms": 2000}``, ``{"reset": True}`` or ``{"timeout": True}``; it takes requests
        of ``kind`` (answer, fallback, event, inbound, status, rtc) to URLs matching the glob
        ``url`` (any, when left out), the next ``times`` of them, or each with
        ``probability`` (decided by ``seed``), or every one."""
        body = {"match": _present(kind=kind, url=url), "action": action,
                **_present(times=times, probability=probability, seed=seed)}  # fmt: skip
        result: dict[str, Any] = _call(self._http, "PUT", self._path(name), json=body)
        return result

    def delete(self, name: str) -> None:
        _call(self._http, "DELETE", self._path(name))

    def clear(self) -> int:
        """Delete every fault of the account; how many there were."""
        names = [fault["name"] for fault in self.list()]
        for name in names:
            try:
                self.delete(name)
            except RingwayError as exc:  # deleted meanwhile
                if exc.status != 404:
                    raise
        return len(names)

    def _path(self, name: str) -> str:
        return f"{FAULTS}/{quote(name, safe='')}"


class Voice:
    """The Voice API (``/v1/calls``) as an application calls it, as the SDKs do: with a JWT
    signed with the application's private key (``ringway.security.jwt.mint``).
    ``Voice("http://127.0.0.1:8000", token)``; ``verify`` takes a CA path."""

    def __init__(
        self, base_url: str, token: str, *, verify: bool | str = True, timeout: float = 30.0
    ) -> None:
        self._http = _http_client(base_url, _Bearer(token), verify, timeout)

    def iter(self) -> Iterator[dict[str, Any]]:
        """Every call the token may see, newest first."""
        return _records(self._http, VOICE, "calls")

    def get(self, uuid: str) -> dict[str, Any]:
        result: dict[str, Any] = _call(self._http, "GET", f"{VOICE}/{uuid}")
        return result

    def hangup(self, uuid: str) -> None:
        _call(self._http, "PUT", f"{VOICE}/{uuid}", json={"action": "hangup"})

    def transfer(
        self, uuid: str, *, ncco: list[dict[str, Any]] | None = None, url: str | None = None
    ) -> None:
        """Give the call a new NCCO: ``ncco`` itself, or the one ``url`` answers."""
        destination: dict[str, Any] = {"type": "ncco"}
        destination |= {"ncco": ncco} if ncco is not None else {"url": [url]}
        body = {"action": "transfer", "destination": destination}
        _call(self._http, "PUT", f"{VOICE}/{uuid}", json=body)

    def talk(self, uuid: str, text: str, **options: Any) -> dict[str, Any]:
        """Speak ``text`` into the call (``loop``, ``level``, ``language``, ``style``, …)."""
        body = {"text": text, **options}
        result: dict[str, Any] = _call(self._http, "PUT", f"{VOICE}/{uuid}/talk", json=body)
        return result

    def stream(self, uuid: str, stream_url: str, **options: Any) -> dict[str, Any]:
        """Play the audio at ``stream_url`` into the call (``loop``, ``level``)."""
        body = {"stream_url": [stream_url], **options}
        result: dict[str, Any] = _call(self._http, "PUT", f"{VOICE}/{uuid}/stream", json=body)
        return result

    def stop(self, uuid: str, kind: str) -> dict[str, Any]:
        """Stop the ``talk`` or ``stream`` playing into the call."""
        result: dict[str, Any] = _call(self._http, "DELETE", f"{VOICE}/{uuid}/{kind}")
        return result

    def dtmf(self, uuid: str, digits: str) -> dict[str, Any]:
        """Send keys into the call (``p`` pauses half a second)."""
        body = {"digits": digits}
        result: dict[str, Any] = _call(self._http, "PUT", f"{VOICE}/{uuid}/dtmf", json=body)
        return result

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Client:
    """``Client("http://127.0.0.1:8000", api_key, api_secret)``; ``verify`` takes a CA path."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
    ) -> None:
        self._http = _http_client(base_url, httpx.BasicAuth(api_key, api_secret), verify, timeout)
        self.applications = Applications(self._http)
        self.numbers = Numbers(self._http)
        self.calls = Calls(self._http)
        self.phones = Behaviours(self._http, PHONES)
        self.recipients = Behaviours(self._http, RECIPIENTS)
        self.messages = Messages(self._http)
        self.deliveries = Deliveries(self._http)
        self.faults = Faults(self._http)

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = _call(self._http, "GET", "/_ringway/health")
        return result

    def reset(self) -> None:
        """Wipe everything of the account but its credentials: applications, numbers (back on
        sale), calls, recordings, messages, deliveries, conversations, phones, recipients."""
        _call(self._http, "POST", "/_ringway/reset")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


T = TypeVar("T")
PAGE = 100  # records a page, when reading them all


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = self._header
        yield request


def _http_client(
    base_url: str, auth: httpx.Auth, verify: bool | str, timeout: float
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        verify=ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify,
        timeout=timeout,
        headers={"Accept": "application/json"},
    )


def _records(http: httpx.Client, path: str, name: str, **params: str | None) -> Iterator[Any]:
    """Every record of a ``record_index`` paged list (``_embedded.<name>``), page by page."""
    index = 0
    while True:
        query = {**_present(**params), "page_size": PAGE, "record_index": index}
        items = _call(http, "GET", path, params=query)["_embedded"][name]
        yield from items
        if len(items) < PAGE:
            return
        index += PAGE


def _every(fetch: Callable[[int], tuple[list[T], int]], size: int) -> Iterator[T]:
    """The items of every page, from page 1, while pages of ``size`` hold more."""
    page = 1
    while True:
        items, total = fetch(page)
        yield from items
        if not items or page * size >= total:
            return
        page += 1


def _present(**params: str | float | None) -> dict[str, str | float]:
    return {name: value for name, value in params.items() if value is not None}


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` laid over it, nested objects merged member by member."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _call(http: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    response = http.request(method, path, **kwargs)
    if response.is_success:
        return response.json() if response.content else None
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text or response.reason_phrase}
    raise RingwayError(response.status_code, problem if isinstance(problem, dict) else {})
