"""The Conversation API (Bearer JWT of an application): users, conversations, members and
custom events; each change posts to the application's rtc event_url."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ringway.api.auth import platform_of
from ringway.api.bearer import bearer_application
from ringway.api.http import Endpoint, JSONResponse, json_body, path_param, reject_unstorable
from ringway.api.operations import BEARER, BODY_ERRORS, Operation, in_path, problem, query, tagged
from ringway.api.params import public
from ringway.domain.applications import Application
from ringway.domain.calls import timestamp
from ringway.domain.conversations import Conversation, Member, User
from ringway.services.conversations import (
    ConversationService,
    conversation_body,
    event_wire,
    invalid,
)
from ringway.services.platform import Platform

USERS = "/v1/users"
CONVERSATIONS = "/v1/conversations"
DIGITS = re.compile(r"[0-9]{1,10}")


async def _context(request: Request) -> tuple[Platform, Application]:
    """The platform and the token's application (the token is checked once per request)."""
    if not hasattr(request.state, "application"):
        request.state.application = (await bearer_application(request)).application
    application: Application = request.state.application
    return platform_of(request), application


async def _body(request: Request, platform: Platform) -> Any:
    return await json_body(request, platform.settings.max_body_bytes)


def _page(request: Request) -> tuple[int, int, bool]:
    """``page_size`` (1-100, 10), the offset an opaque ``cursor`` holds, and ``order``."""
    params = request.query_params
    reject_unstorable(dict(params))
    size = params.get("page_size", "10")
    if not DIGITS.fullmatch(size) or not 1 <= int(size) <= 100:
        raise invalid("page_size", '"page_size" must be an integer from 1 to 100')
    offset = 0
    if "cursor" in params:
        try:
            offset = int(base64.urlsafe_b64decode(params["cursor"].encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise invalid("cursor", '"cursor" is not one this API gave') from None
        if not 0 <= offset < 2**31:
            raise invalid("cursor", '"cursor" is not one this API gave')
    order = params.get("order", "asc").lower()
    if order not in ("asc", "desc"):
        raise invalid("order", '"order" must be one of [asc, desc]')
    return int(size), offset, order == "desc"


def _listing(
    request: Request, name: str, items: list[dict[str, Any]], size: int, offset: int
) -> dict[str, Any]:
    kept = {k: v for k, v in request.query_params.items() if k in ("order", "name")}
    base = public(request, f"{request.url.path}?{urlencode({'page_size': size, **kept})}")

    def at(position: int) -> dict[str, str]:
        cursor = base64.urlsafe_b64encode(str(position).encode()).decode()
        return {"href": f"{base}&cursor={cursor}"}

    links: dict[str, Any] = {"first": {"href": base}, "self": at(offset)}
    if len(items) == size:
        links["next"] = at(offset + size)
    if offset > 0:
        links["prev"] = at(max(offset - size, 0))
    return {"page_size": size, "_embedded": {name: items}, "_links": links}


def user_wire(user: User, lite: bool = False) -> dict[str, Any]:
    wire: dict[str, Any] = {"id": user.id, "name": user.name,
                            "_links": {"self": {"href": f"{USERS}/{user.id}"}}}  # fmt: skip
    if user.display_name is not None:
        wire["display_name"] = user.display_name
    if not lite:
        wire |= {"image_url": user.image_url, "properties": user.properties,
                 "channels": user.channels}  # fmt: skip
    return wire


def conversation_wire(conversation: Conversation) -> dict[str, Any]:
    return {
        **conversation_body(conversation),
        "sequence_number": conversation.sequence_number,
        "properties": conversation.properties,
        "timestamp": {"created": timestamp(conversation.created_at),
                      "updated": timestamp(conversation.updated_at)},
        "_links": {"self": {"href": f"{CONVERSATIONS}/{conversation.id}"}},
    }  # fmt: skip


def member_wire(member: Member, user: User | None) -> dict[str, Any]:
    return {
        "id": member.id, "conversation_id": member.conversation_id, "state": member.state,
        "_embedded": {"user": user_wire(user, lite=True) if user else {"id": member.user_id}},
        "timestamp": member.timestamps, "initiator": member.initiator, "channel": member.channel,
        "_links": {"href": f"{CONVERSATIONS}/{member.conversation_id}/members/{member.id}"},
    }  # fmt: skip


async def _act(
    request: Request, pick: Callable[[ConversationService], Callable[..., Any]], *params: str,
    body: bool = False,
) -> Any:  # fmt: skip
    """One service call for the token's application, with the named path parameters and, if
    ``body``, the request's JSON body."""
    platform, app = await _context(request)
    args: list[Any] = [path_param(request, name) for name in params]
    if body:
        args.append(await _body(request, platform))
    return await platform.db.run(pick(platform.conversations), app, *args)


async def _member(request: Request, member: Member, status: int = 200) -> Response:
    platform, app = await _context(request)
    user = await platform.db.run(platform.conversations.user_of, app, member)
    return JSONResponse(member_wire(member, user), status_code=status)


# -- users ---------------------------------------------------------------------------------


async def list_users(request: Request) -> Response:
    platform, app = await _context(request)
    size, offset, newest = _page(request)
    name = request.query_params.get("name")
    users = await platform.db.run(platform.conversations.users, app, name, offset, size, newest)
    return JSONResponse(_listing(request, "users", [user_wire(u, True) for u in users], size,
                                 offset))  # fmt: skip


async def create_user(request: Request) -> Response:
    user = await _act(request, lambda c: c.create_user, body=True)
    return JSONResponse(user_wire(user), status_code=201)


async def get_user(request: Request) -> Response:
    return JSONResponse(user_wire(await _act(request, lambda c: c.user, "id")))


async def update_user(request: Request) -> Response:
    return JSONResponse(user_wire(await _act(request, lambda c: c.update_user, "id", body=True)))


async def delete_user(request: Request) -> Response:
    await _act(request, lambda c: c.delete_user, "id")
    return Response(status_code=204)


# -- conversations -------------------------------------------------------------------------


async def list_conversations(request: Request) -> Response:
    platform, app = await _context(request)
    size, offset, newest = _page(request)
    found = await platform.db.run(platform.conversations.conversations, app, offset, size, newest)
    items = [conversation_wire(c) for c in found]
    return JSONResponse(_listing(request, "conversations", items, size, offset))


async def create_conversation(request: Request) -> Response:
    created = await _act(request, lambda c: c.create_conversation, body=True)
    return JSONResponse(conversation_wire(created), status_code=201)


async def get_conversation(request: Request) -> Response:
    return JSONResponse(conversation_wire(await _act(request, lambda c: c.conversation, "id")))


async def update_conversation(request: Request) -> Response:
    changed = await _act(request, lambda c: c.update_conversation, "id", body=True)
    return JSONResponse(conversation_wire(changed))


async def delete_conversation(request: Request) -> Response:
    await _act(request, lambda c: c.delete_conversation, "id")
    return Response(status_code=204)


# -- members and events --------------------------------------------------------------------


async def list_members(request: Request) -> Response:
    found = await _act(request, lambda c: c.members, "id")
    items = [member_wire(m, u) for m, u in found]
    here = {"href": public(request, request.url.path)}  # every member, on one page: no next
    return JSONResponse({"page_size": len(items), "_embedded": {"members": items},
                         "_links": {"first": here, "self": here}})  # fmt: skip


async def create_member(request: Request) -> Response:
    member = await _act(request, lambda c: c.create_member, "id", body=True)
    return await _member(request, member, 201)


async def get_member(request: Request) -> Response:
    return await _member(request, await _act(request, lambda c: c.member, "id", "member_id"))


async def update_member(request: Request) -> Response:
    changed = await _act(request, lambda c: c.update_member, "id", "member_id", body=True)
    return await _member(request, changed)


async def list_events(request: Request) -> Response:
    platform, app = await _context(request)
    size, offset, newest = _page(request)
    cid = path_param(request, "id")
    found = await platform.db.run(platform.conversations.events, app, cid, offset, size, newest)
    items = [event_wire(e, None) for e in found]
    listing = _listing(request, "events", items, size, offset)
    listing["_embedded"] = items  # v1 lists events as a bare array
    return JSONResponse(listing)


async def create_event(request: Request) -> Response:
    event = await _act(request, lambda c: c.create_event, "id", body=True)
    return JSONResponse(event_wire(event, None), status_code=201)


def _event_id(request: Request) -> int:
    raw = path_param(request, "event_id")
    if not DIGITS.fullmatch(raw) or int(raw) >= 2**31:
        raise invalid("event_id", '"event_id" must be a positive integer')
    return int(raw)


async def get_event(request: Request) -> Response:
    platform, app = await _context(request)
    cid, event_id = path_param(request, "id"), _event_id(request)
    event = await platform.db.run(platform.conversations.event, app, cid, event_id)
    return JSONResponse(event_wire(event, None))


async def delete_event(request: Request) -> Response:
    platform, app = await _context(request)
    cid, event_id = path_param(request, "id"), _event_id(request)
    await platform.db.run(platform.conversations.delete_event, app, cid, event_id)
    return Response(status_code=204)


def _op(method: str, path: str, endpoint: Endpoint, summary: str, **more: Any) -> Operation:
    """A Conversation API operation: an application JWT; no ``Accept`` check."""
    return Operation(method, path, endpoint, summary, **{"auth": BEARER, "accept": False, **more})


_PAGING = (
    query("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
    query("order", {"type": "string", "enum": ["asc", "desc"]}),
    query("cursor", {"type": "string"}),
)
_TAKEN = {409: problem("The name is taken")}
_EVENT_ID = in_path("event_id", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})
USER = USERS + "/{id}"
ONE = CONVERSATIONS + "/{id}"
MEMBER = ONE + "/members/{member_id}"
EVENT = ONE + "/events/{event_id}"
operations = tagged("Conversations", [
    _op("GET", USERS, list_users, "List users", answer="UserList",
        params=(*_PAGING, query("name", {"type": "string"})), errors=(400,)),
    _op("POST", USERS, create_user, "Create a user", ok=201, answer="User", body="UserIn",
        errors=BODY_ERRORS, responses=_TAKEN),
    _op("GET", USER, get_user, "A user (by id or name)", answer="User", errors=(404,)),
    _op("PATCH", USER, update_user, "Change a user", answer="User", body="UserIn",
        errors=(*BODY_ERRORS, 404), responses=_TAKEN),
    _op("DELETE", USER, delete_user, "Delete a user", ok=204, errors=(404,)),
    _op("GET", CONVERSATIONS, list_conversations, "List conversations",
        answer="ConversationList", params=_PAGING, errors=(400,)),
    _op("POST", CONVERSATIONS, create_conversation, "Create a conversation", ok=201,
        answer="Conversation", body="ConversationIn", errors=BODY_ERRORS, responses=_TAKEN),
    _op("GET", ONE, get_conversation, "A conversation", answer="Conversation", errors=(404,)),
    _op("PUT", ONE, update_conversation, "Change a conversation", answer="Conversation",
        body="ConversationIn", errors=(*BODY_ERRORS, 404), responses=_TAKEN),
    _op("DELETE", ONE, delete_conversation, "Delete a conversation", ok=204, errors=(404,)),
    _op("GET", ONE + "/members", list_members, "The conversation's members",
        answer="MemberList", errors=(404,)),
    _op("POST", ONE + "/members", create_member, "Invite or join a user", ok=201,
        answer="Member", body="MemberIn", errors=(*BODY_ERRORS, 404)),
    _op("GET", MEMBER, get_member, "A member", answer="Member", errors=(404,)),
    _op("PATCH", MEMBER, update_member, "Join or leave", answer="Member", body="MemberChange",
        errors=(*BODY_ERRORS, 404)),
    _op("GET", ONE + "/events", list_events, "The conversation's events", answer="EventList",
        params=_PAGING, errors=(400, 404)),
    _op("POST", ONE + "/events", create_event, "A custom event from a joined member", ok=201,
        answer="Event", body="EventIn", errors=(*BODY_ERRORS, 404)),
    _op("GET", EVENT, get_event, "An event", answer="Event", params=(_EVENT_ID,),
        errors=(400, 404)),
    _op("DELETE", EVENT, delete_event, "Delete an event", ok=204, params=(_EVENT_ID,),
        errors=(400, 404)),
])  # fmt: skip
