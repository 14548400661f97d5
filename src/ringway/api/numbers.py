"""Numbers API (wire §3): the REST host's legacy shapes over NumberService."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import legacy_account, platform_of
from ringway.api.http import Endpoint, JSONResponse, params_body
from ringway.api.operations import FORM, LEGACY, Operation, query, tagged
from ringway.api.params import int_params
from ringway.api.problems import legacy_response
from ringway.domain.errors import (
    InvalidParameter,
    LegacyError,
    ProblemError,
    bad_parameter,
    legacy_of,
)
from ringway.domain.numbers import (
    Number,
    NumberQuery,
    Routing,
    available_wire,
    normalize_country,
    normalize_msisdn,
    owned_wire,
    routing_from,
)

T = TypeVar("T")
SUCCESS = {"error-code": "200", "error-code-label": "success"}


def legacy_errors(handler: Endpoint) -> Endpoint:
    """Answer errors in the REST APIs' ``error-code`` shape, 401 included."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ProblemError as exc:
            return legacy_response(legacy_of(exc))
        except LegacyError as exc:
            return legacy_response(exc)

    return endpoint


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        params |= await params_body(request, platform_of(request).settings.max_body_bytes)
    return params


def _paging(params: Mapping[str, str]) -> dict[str, int]:
    return int_params(
        params,
        {"size": (10, 1, 100), "index": (1, 1, 2**31 - 1), "search_pattern": (0, 0, 2)},
        _invalid,
    )


def _invalid(faults: list[InvalidParameter]) -> LegacyError:
    return bad_parameter("; ".join(f"{fault.name} {fault.reason}" for fault in faults))


def _country(params: Mapping[str, str], required: bool = True) -> str | None:
    if not (params.get("country") or "").strip():
        if required:
            raise bad_parameter("Missing parameter: country")
        return None
    return _checked(normalize_country, params["country"])


def _msisdn(params: Mapping[str, str]) -> str:
    if not params.get("msisdn"):
        raise bad_parameter("Missing parameter: msisdn")
    try:
        return normalize_msisdn(params["msisdn"])
    except ValueError as exc:
        raise bad_parameter(f"Invalid msisdn: {exc}") from None


def _checked(rule: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A domain rule's result, or its ``ValueError`` as a legacy 400."""
    try:
        return rule(*args, **kwargs)
    except ValueError as exc:
        raise bad_parameter(str(exc)) from None


def _query(params: Mapping[str, str], search_pattern: int, country: str | None) -> NumberQuery:
    has_application = params.get("has_application")
    if has_application is not None and has_application.lower() not in ("true", "false"):
        raise bad_parameter("Invalid has_application: use true or false")
    features = params.get("features") or ""
    return _checked(
        NumberQuery,
        country=country,
        type=params.get("type") or None,
        features=tuple(f.strip().upper() for f in features.split(",") if f.strip()),
        pattern=params.get("pattern") or None,
        search_pattern=search_pattern,
        application_id=params.get("application_id") or None,
        has_application=None if has_application is None else has_application.lower() == "true",
    )


def _listing(total: int, items: list[Number], render: Any) -> Response:
    if not total:
        return JSONResponse({"count": 0})
    return JSONResponse({"count": total, "numbers": [render(number) for number in items]})


@legacy_errors
async def search(request: Request) -> Response:
    params = await _params(request)
    await legacy_account(request, params)  # every account sees the whole inventory
    paging = _paging(params)
    query = _query(params, paging["search_pattern"], _country(params))
    platform = platform_of(request)
    total, items = await platform.db.run(
        platform.numbers.search, query, paging["index"], paging["size"]
    )
    return _listing(total, items, available_wire)


@legacy_errors
async def owned(request: Request) -> Response:
    params = await _params(request)
    account = await legacy_account(request, params)
    paging = _paging(params)
    query = _query(params, paging["search_pattern"], _country(params, required=False))
    platform = platform_of(request)
    total, items = await platform.db.run(
        platform.numbers.owned, account.id, query, paging["index"], paging["size"]
    )
    return _listing(total, items, owned_wire)


def number_change(operation: str) -> Endpoint:
    """``POST /number/<operation>`` (buy, cancel, update) on the account's ``country, msisdn``."""

    @legacy_errors
    async def endpoint(request: Request) -> Response:
        params = await _params(request)
        account = await legacy_account(request, params)
        platform = platform_of(request)
        routing = (_routing(params),) if operation == "update" else ()
        change = getattr(platform.numbers, operation)
        await platform.db.run(change, account.id, _country(params) or "", _msisdn(params), *routing)
        return JSONResponse(SUCCESS)

    return endpoint


def _routing(params: Mapping[str, str]) -> Routing:
    return _checked(
        routing_from,
        params.get("app_id") or None,
        params.get("voiceCallbackType") or None,
        params.get("voiceCallbackValue") or None,
        mo_http_url=params.get("moHttpUrl") or None,
        voice_status_callback=params.get("voiceStatusCallback") or None,
    )


_KINDS = {"type": "string", "enum": ["landline", "mobile-lvn", "landline-toll-free"]}
_FILTERS = (
    query("pattern", {"type": "string"}),
    query("search_pattern", {"type": "integer", "minimum": 0, "maximum": 2}),
    query("size", {"type": "integer", "minimum": 1, "maximum": 100}),
    query("index", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
)
_HAS_APPLICATION = {"type": "string", "enum": ["true", "false"]}


def _change(operation: str, summary: str, form: str) -> Operation:
    return Operation("POST", f"/number/{operation}", number_change(operation), summary,
                     answer="LegacyStatus", auth=LEGACY, body=form, body_media=(FORM,),
                     accept=False, legacy=True)  # fmt: skip


operations = tagged("Numbers", [
    Operation("GET", "/number/search", search, "Numbers for sale", answer="AvailableNumbers",
              auth=LEGACY, accept=False, legacy=True, params=(
                  query("country", {"type": "string", "pattern": "^[A-Za-z]{2}$"}, True),
                  query("type", _KINDS), query("features", {"type": "string"}), *_FILTERS)),
    Operation("GET", "/account/numbers", owned, "The account's numbers", answer="OwnedNumbers",
              auth=LEGACY, accept=False, legacy=True, params=(
                  query("application_id", {"type": "string"}),
                  query("has_application", _HAS_APPLICATION),
                  # Empty means no filter here.
                  query("country", {"type": "string", "pattern": "^([A-Za-z]{2})?$"}),
                  *_FILTERS)),
    _change("buy", "Buy a number", "NumberIn"),
    _change("cancel", "Cancel a number", "NumberIn"),
    _change("update", "Change a number's application and webhooks", "NumberRouting"),
])  # fmt: skip
