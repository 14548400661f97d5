"""Voice API (wire §7), behind the Bearer-JWT layer: a thin layer over CallService."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, Response

from ringway.api.auth import platform_of
from ringway.api.bearer import bearer_application
from ringway.api.http import Endpoint, JSONResponse, check_accept, json_body
from ringway.api.operations import BEARER, BODY_ERRORS, Operation, query, tagged
from ringway.api.params import one_of, record_page, record_paging
from ringway.domain.applications import parse_body
from ringway.domain.calls import CallQuery, CallRecord, timestamp
from ringway.domain.errors import InvalidParameter, list_invalid, not_found
from ringway.domain.voice import (
    CallRequest,
    CallUpdate,
    DtmfRequest,
    DtmfSubscription,
    StreamRequest,
    TalkRequest,
)
from ringway.engine.recordings import MEDIA_TYPES
from ringway.services.platform import Platform

PATH = "/v1/calls"
UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
HORIZON = 1000  # calls counted ahead of a page for its ``count``
ADDRESS_FIELD = {"phone": "number", "sip": "uri", "websocket": "uri", "app": "user",
                 "vbc": "extension"}  # fmt: skip


def call_uuid(request: HTTPConnection) -> str:
    """The ``{uuid}`` of the path; anything that is no UUID names no call (a 404)."""
    value: str = request.path_params["uuid"]
    if not UUID.match(value):
        raise not_found("call", value.replace("\x00", ""))
    return value


def call_wire(record: CallRecord) -> dict[str, Any]:
    """A call (one leg) as ``GET /v1/calls/{uuid}`` returns it."""
    far = record.endpoint_type if record.direction == "outbound" else "phone"
    return {
        "uuid": record.uuid,
        "conversation_uuid": record.conversation_uuid,
        "to": {"type": far, ADDRESS_FIELD[far]: record.to_address},
        "from": {"type": "phone", "number": record.from_address},
        "status": record.status,
        "direction": record.direction,
        "rate": record.rate,
        "price": record.price,
        "duration": None if record.duration is None else str(record.duration),
        "start_time": _time(record.start_time),
        "end_time": _time(record.end_time),
        "network": "ringway",
        "_links": {"self": {"href": f"{PATH}/{record.uuid}"}},
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


async def create_call(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    caller = await bearer_application(request)
    platform = platform_of(request)
    body = parse_body(CallRequest, await json_body(request, platform.settings.max_body_bytes))
    leg = await platform.calls.call_out(caller.application, body)
    return JSONResponse(
        {"uuid": leg.uuid, "status": "started", "direction": "outbound",
         "conversation_uuid": leg.leg.conversation_uuid},
        status_code=201,
    )  # fmt: skip


async def list_calls(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    caller = await bearer_application(request)
    return JSONResponse(await call_page(request, caller.application.account_id))


async def call_page(
    request: Request,
    account_id: str,
    view: Callable[[CallRecord], dict[str, Any]] | None = None,
    failed: bool = False,
) -> dict[str, Any]:
    """A page of the account's calls, filtered as ``GET /v1/calls`` filters them (and to the
    ``failed`` ones), each as ``view`` shows it (``call_wire``). ``next`` links carry ``after``
    (the page's last call), so following them seeks in the index however deep the page; a bare
    ``record_index`` still skips that many calls. ``count`` is ``record_index`` plus the calls
    from there on, counted up to ``HORIZON``: exact near the end of a list, a lower bound
    further from it."""
    params = dict(request.query_params)
    size, index = record_paging(request, 10)
    order = one_of(request, "order", ("asc", "desc")) or "desc"
    query = CallQuery(
        account_id,
        status=params.get("status"),
        conversation_uuid=params.get("conversation_uuid"),
        date_start=_date(params, "date_start"),
        date_end=_date(params, "date_end"),
        newest_first=order == "desc",
        failed=failed,
    )
    after = params.get("after")
    if after is not None and not UUID.match(after):
        raise list_invalid([InvalidParameter("after", "must be the uuid of a call")])
    platform = platform_of(request)
    rest, records = await platform.calls.window(query, after, index, size, HORIZON)
    shown = [platform.views.render(view or call_wire, r) for r in records]
    last = records[-1].uuid if records else None
    return record_page(
        request, index + rest, index, size, "calls", shown, absolute=True, after=(after, last)
    )


def _date(params: Any, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise list_invalid([InvalidParameter(name, "must be an ISO 8601 time")]) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


async def get_call(request: Request) -> Response:
    check_accept(request.headers.get("accept"))
    caller = await bearer_application(request)
    record = await platform_of(request).calls.get(caller.application.account_id, call_uuid(request))
    return JSONResponse(call_wire(record))


async def update_call(request: Request) -> Response:
    caller = await bearer_application(request)
    platform = platform_of(request)
    body = parse_body(CallUpdate, await json_body(request, platform.settings.max_body_bytes))
    await platform.calls.update(caller.application.account_id, call_uuid(request), body)
    return Response(status_code=204)


async def start_talk(request: Request) -> Response:
    account_id, platform = await _caller(request)
    talk = parse_body(TalkRequest, await json_body(request, platform.settings.max_body_bytes))
    uuid = await platform.calls.talk(account_id, call_uuid(request), talk)
    return _message("Talk started", uuid)


async def start_stream(request: Request) -> Response:
    account_id, platform = await _caller(request)
    stream = parse_body(StreamRequest, await json_body(request, platform.settings.max_body_bytes))
    uuid = await platform.calls.stream(account_id, call_uuid(request), stream)
    return _message("Stream started", uuid)


async def stop_audio(request: Request) -> Response:
    account_id, platform = await _caller(request)
    kind = request.url.path.rsplit("/", 1)[-1]
    uuid = await platform.calls.silence(account_id, call_uuid(request), kind)
    return _message(f"{kind.capitalize()} stopped", uuid)


async def send_dtmf(request: Request) -> Response:
    account_id, platform = await _caller(request)
    dtmf = parse_body(DtmfRequest, await json_body(request, platform.settings.max_body_bytes))
    uuid = await platform.calls.dtmf(account_id, call_uuid(request), dtmf.digits)
    return _message("DTMF sent", uuid)


async def listen_for_keys(request: Request) -> Response:
    """``PUT``/``DELETE /v1/calls/{uuid}/input/dtmf``: real-time DTMF on or off."""
    account_id, platform = await _caller(request)
    url = None
    if request.method == "PUT":
        body = await json_body(request, platform.settings.max_body_bytes)
        url = parse_body(DtmfSubscription, body).event_url[0]
    await platform.calls.listen_for_keys(account_id, call_uuid(request), url)
    return Response(status_code=204)


async def _caller(request: Request) -> tuple[str, Platform]:
    caller = await bearer_application(request)
    return caller.application.account_id, platform_of(request)


def _message(message: str, uuid: str) -> Response:
    return JSONResponse({"message": message, "uuid": uuid})


async def recording(request: Request) -> Response:
    """``GET /v1/files/{uuid}``: a recording of the token's account, as the record action
    asked (MP3, WAV or OGG)."""
    account_id, platform = await _caller(request)
    recording_uuid = request.path_params["uuid"]
    path = platform.calls.recording(account_id, recording_uuid)
    if path is None:
        raise not_found("file", recording_uuid.replace("\x00", ""))
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])


_INDEX = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
CALL_FILTERS = (
    query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
    query("record_index", _INDEX),
    query(
        "after",
        {"type": "string"},
        description="The uuid of the previous page's last call "
        "(as the next link gives it): seeks instead of skipping record_index calls.",
    ),
    query("status", {"type": "string"}),
    query("conversation_uuid", {"type": "string"}),
    # ISO 8601: the server also takes forms that are not RFC 3339 date-times, such as a date.
    query("date_start", {"type": "string"}),
    query("date_end", {"type": "string"}),
    query("order", {"type": "string", "enum": ["asc", "desc"]}),
)


def _op(method: str, path: str, endpoint: Endpoint, summary: str, **more: Any) -> Operation:
    """A Voice API operation on a call: an application JWT; no ``Accept`` check."""
    return Operation(method, path, endpoint, summary, **{"auth": BEARER, "accept": False,
                                                         "errors": (404,), **more})  # fmt: skip


def _body(model: type[Any]) -> dict[str, Any]:
    return {"body": model, "errors": (*BODY_ERRORS, 404)}


ONE = PATH + "/{uuid}"
_WAV = {"type": "string", "format": "binary"}
operations = tagged("Voice", [
    _op("GET", PATH, list_calls, "List calls", answer="CallList", params=CALL_FILTERS,
        accept=True, errors=(400,)),
    _op("POST", PATH, create_call, "Create a call", ok=201, answer="CreateCallResponse",
        body=CallRequest, accept=True, errors=BODY_ERRORS),
    _op("GET", ONE, get_call, "Get a call", answer="CallInfo", accept=True),
    _op("PUT", ONE, update_call, "Modify a call in progress", ok=204, **_body(CallUpdate)),
    _op("PUT", ONE + "/talk", start_talk, "Play talk into a call", answer="CallMessage",
        **_body(TalkRequest)),
    _op("DELETE", ONE + "/talk", stop_audio, "Stop the talk", answer="CallMessage"),
    _op("PUT", ONE + "/stream", start_stream, "Play stream into a call", answer="CallMessage",
        **_body(StreamRequest)),
    _op("DELETE", ONE + "/stream", stop_audio, "Stop the stream", answer="CallMessage"),
    _op("PUT", ONE + "/dtmf", send_dtmf, "Send DTMF into a call", answer="CallMessage",
        **_body(DtmfRequest)),
    _op("PUT", ONE + "/input/dtmf", listen_for_keys, "Post each key pressed on a call to a URL",
        ok=204, **_body(DtmfSubscription)),
    _op("DELETE", ONE + "/input/dtmf", listen_for_keys,
        "Stop posting the keys pressed on a call", ok=204),
    _op("GET", "/v1/files/{uuid}", recording, "Download a recording", answer=_WAV,
        media="audio/mpeg"),
])  # fmt: skip
