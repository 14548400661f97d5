"""What the account's applications did: simulated calls and their timelines, messages, and the
log of asynchronous deliveries with replay."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote, urlencode

from starlette.responses import Response

from ringway.api.http import JSONResponse, path_param
from ringway.api.messages import delivery_wire, message_wire
from ringway.api.simulation import CALLER_INPUTS, call_view, entry_wire
from ringway.api.voice import call_uuid
from ringway.dashboard.pages import MENU, View, field_errors, page, page_asked, query_int
from ringway.dashboard.wording import capitalized
from ringway.domain.applications import parse_body
from ringway.domain.calls import ENDINGS, CallQuery
from ringway.domain.choices import CHANNELS
from ringway.domain.deliveries import KINDS, STATES, DeliveryLog
from ringway.domain.errors import ProblemError
from ringway.domain.numbers import Number, NumberQuery
from ringway.domain.outcomes import DELIVERY_HOOKS, of_delivery
from ringway.domain.pagination import page_count
from ringway.domain.timeline import request_result, request_sent, summary
from ringway.domain.voice import SimulatedCall, caller_gives

PAGE_SIZE = 20
CALLER = "447700900999"  # the simulated caller's default number (a fictional range)
SPEEDS = [("1", "Real time"), ("10", "10 times faster"), ("0", "As fast as possible")]
# Where each kind of timeline entry sits in the sequence diagram: an arrow between two lanes,
# or a note on one. ``leg`` is the lane of the entry's own call leg.
PATHS = {"request": ("ringway", "app"), "input": ("leg", "ringway"), "talk": ("ringway", "leg"),
         "stream": ("ringway", "leg"), "dtmf": ("ringway", "leg"), "status": ("leg", "leg"),
         "phone": ("leg", "leg"), "websocket": ("ringway", "leg"),
         "audio": ("ringway", "leg"), "browser": ("leg", "ringway")}  # fmt: skip
SAID = {"speech", "says", "message", "socket", "browser"}  # audio the leg's far end says


# -- calls ----------------------------------------------------------------------------------


async def calls_page(
    view: View, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    platform, (number, offset) = view.platform, page_asked(view, PAGE_SIZE)
    failed = failures_asked(view)
    total, records = await platform.calls.page(CallQuery(view.account.id, failed=failed), offset,
                                               PAGE_SIZE)  # fmt: skip
    return view.render("calls.html", calls=[call_view(r) for r in records], total=total,
                       failed=failed,
                       number=number, pages=page_count(total, PAGE_SIZE),
                       speeds=SPEEDS, errors=errors or {},
                       numbers=[(n.msisdn, n.msisdn if n.app_id else f"{n.msisdn} (not linked)")
                                for n in await _numbers(view)],
                       values=values or {"from": CALLER, "speed": "1"})  # fmt: skip


async def _numbers(view: View) -> list[Number]:
    """The account's numbers, for the menus of the call and message forms."""
    platform = view.platform
    _, numbers = await platform.db.run(platform.numbers.owned, view.account.id, NumberQuery(),
                                       1, MENU)  # fmt: skip
    return numbers


async def place_call(view: View) -> Response:
    form = view.form
    caller: dict[str, Any] = {"dtmf": form.get("caller.dtmf", "").split(),
                              "speech": [line.strip() for line in
                                         form.get("caller.speech", "").splitlines()
                                         if line.strip()]}  # fmt: skip
    if form.get("caller.hangup_after"):
        caller["hangup_after"] = _number(form["caller.hangup_after"])
    body = {"from": form.get("from", ""), "to": form.get("to", ""), "caller": caller,
            "speed": _number(form.get("speed", "1"))}  # fmt: skip
    try:
        leg = await view.platform.calls.simulate(view.account.id, parse_body(SimulatedCall, body))
    except ProblemError as error:
        return await calls_page(view, form, field_errors(error, about="to"))
    return view.redirect(f"/calls/{leg.uuid}")


async def call_page(view: View) -> Response:
    platform = view.platform
    record = await platform.calls.get(view.account.id, call_uuid(view.request))
    app = None
    if record.application_id:
        with contextlib.suppress(ProblemError):  # deleted since
            app = await platform.db.run(platform.applications.get, view.account.id,
                                        record.application_id)  # fmt: skip
    return view.render("call.html", call=call_view(record), app=app,
                       ended=record.status in ENDINGS)  # fmt: skip


async def call_timeline(view: View) -> Response:
    """The call's timeline entries after the ``after``-th, each placed in the diagram."""
    after = query_int(view, "after", 0)
    record, entries, running = await view.platform.calls.timeline(
        view.account.id, call_uuid(view.request), after
    )
    shown = []
    for entry in entries:
        wire = entry_wire(entry)
        source, target = PATHS.get(entry.kind, ("ringway", "ringway"))
        if entry.kind == "audio" and entry.data.get("source") in SAID:  # the far end's sound
            source, target = "leg", "ringway"
        if entry.kind == "request":  # drawn as the request and its reply
            labels = {"label": request_sent(wire), "reply": request_result(wire)}
        else:
            labels = {"label": summary(wire)}
        shown.append({**wire, **labels, "lanes": [source, target]})
    return JSONResponse({"status": record.status, "outcome": record.outcome,
                         "failed": record.failed, "running": running,
                         "entries": shown})  # fmt: skip


async def caller_input(view: View) -> Response:
    """The simulated caller presses keys, speaks or hangs up on a running call."""
    uuid, kind = call_uuid(view.request), view.request.url.path.rsplit("/", 1)[-1]
    back = f"/calls/{uuid}"
    try:
        value = caller_gives(kind, {k: v for k, v in view.form.items() if k != "csrf"})
        await view.platform.calls.caller(view.account.id, uuid, kind, value)
    except ProblemError as error:
        reasons = ". ".join(field_errors(error).values()) if error.invalid_parameters else ""
        return view.redirect(back, reasons or capitalized(error.detail), kind="error")
    done = {"dtmf": f"The caller pressed {value}.", "speech": f"The caller said: {value}",
            "hangup": "The caller hung up."}  # fmt: skip
    return view.redirect(back, done[kind])


def _number(raw: str) -> float | str:
    """A number typed in a form, or the text as typed, for validation to refuse clearly."""
    try:
        return float(raw)
    except ValueError:
        return raw


# -- messages -------------------------------------------------------------------------------


async def messages_page(
    view: View, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    platform, (number, offset) = view.platform, page_asked(view, PAGE_SIZE)
    failed = failures_asked(view)
    total, items = await platform.db.run(platform.messages.page, view.account.id, offset,
                                         PAGE_SIZE, failed)  # fmt: skip
    return view.render("messages.html", total=total, numbers=await _numbers(view), number=number,
                       failed=failed,
                       pages=page_count(total, PAGE_SIZE),
                       messages=[message_wire(r, d) for r, d in items],
                       channels=[(channel, channel) for channel in CHANNELS],
                       values=values or {"from": CALLER, "channel": "sms"},
                       errors=errors or {})  # fmt: skip


async def message_page(view: View) -> Response:
    platform = view.platform
    record, logs = await platform.db.run(platform.messages.get, view.account.id,
                                         path_param(view.request, "uuid"))  # fmt: skip
    return view.render("message.html", message=message_wire(record, logs),
                       deliveries=[_delivery(log) for log in logs])  # fmt: skip


async def send_inbound(view: View) -> Response:
    form = view.form
    body = {"channel": form.get("channel", ""), "from": form.get("from", ""),
            "to": form.get("to", ""), "message_type": "text",
            "text": form.get("text", "")}  # fmt: skip
    platform = view.platform
    try:
        await platform.db.run(platform.messages.receive, view.account.id, body)
    except ProblemError as error:
        return await messages_page(view, form, field_errors(error, about="to"))
    return view.redirect("/messages", "Message sent to the application.")


# -- deliveries -----------------------------------------------------------------------------


async def deliveries_page(view: View) -> Response:
    platform, params = view.platform, view.request.query_params
    state = params.get("state") if params.get("state") in STATES else None
    kind = params.get("kind") if params.get("kind") in KINDS else None
    number, offset = page_asked(view, PAGE_SIZE)
    total, logs = await platform.db.run(platform.deliveries.page, view.account.id, state, kind,
                                        offset, PAGE_SIZE)  # fmt: skip
    return view.render("deliveries.html", deliveries=[_delivery(log) for log in logs],
                       state=state, kind=kind,
                       values={"state": state or "", "kind": kind or ""},
                       states=[("", "Any"), *((s, s) for s in STATES)],
                       kinds=[("", "Any"), *((k, k) for k in KINDS)],
                       number=number, pages=page_count(total, PAGE_SIZE),
                       query=urlencode({"state": state or "", "kind": kind or ""}))  # fmt: skip


def _delivery(log: DeliveryLog) -> dict[str, Any]:
    """A delivery as its page shows it: what became of it in words (``result``), whether it
    ``failed``, and a link to what it reports (its message, or its conversation)."""
    d = log.delivery
    said = of_delivery(DELIVERY_HOOKS.get(d.kind, "url"), d.state, d.outcome, d.attempts)
    if d.kind == "rtc" and d.application_id:
        link = (f"/applications/{d.application_id}/conversations/{quote(d.subject)}",
                "Conversation")  # fmt: skip
    else:
        link = (f"/messages/{quote(d.subject)}", "Message")
    return {**delivery_wire(log), "result": said.text if said else None,
            "failed": bool(said and said.failed), "link": link}  # fmt: skip


def failures_asked(view: View) -> bool:
    """Whether the list is filtered to failures (``?failed=1``)."""
    return view.request.query_params.get("failed") == "1"


async def replay(view: View) -> Response:
    platform = view.platform
    delivery_id = path_param(view.request, "id")
    await platform.db.run(platform.deliveries.retry, view.account.id, delivery_id)
    back = "/deliveries?" + urlencode({k: view.form.get(k, "") for k in ("state", "kind")})
    return view.redirect(back, "Delivery queued to be sent again.")


routes = [
    page("/calls", GET=calls_page, POST=place_call),
    page("/calls/{uuid}", GET=call_page),
    page("/calls/{uuid}/timeline.json", GET=call_timeline),
    *(page(f"/calls/{{uuid}}/{kind}", POST=caller_input) for kind in CALLER_INPUTS),
    page("/messages", GET=messages_page, POST=send_inbound),
    page("/messages/{uuid}", GET=message_page),
    page("/deliveries", GET=deliveries_page),
    page("/deliveries/{id}/replay", POST=replay),
]
