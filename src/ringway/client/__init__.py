"""A typed Python client for ringway's HTTP API, over httpx."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from ringway.domain.applications import ApplicationOut
from ringway.domain.numbers import country_of, normalize_msisdn


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
        self._http = httpx.Client(
            base_url=base_url,
            auth=(api_key, api_secret),
            verify=ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify,
            timeout=timeout,
            headers={"Accept": "application/json"},
        )
        self.applications = Applications(self._http)
        self.numbers = Numbers(self._http)

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = _call(self._http, "GET", "/_ringway/health")
        return result

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


T = TypeVar("T")


def _every(fetch: Callable[[int], tuple[list[T], int]], size: int) -> Iterator[T]:
    """The items of every page, from page 1, while pages of ``size`` hold more."""
    page = 1
    while True:
        items, total = fetch(page)
        yield from items
        if not items or page * size >= total:
            return
        page += 1


def _present(**params: str | int | None) -> dict[str, str | int]:
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
