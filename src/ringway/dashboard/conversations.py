"""The Conversation API's data, per application: its users, its conversations, and each
conversation's members and events."""

from __future__ import annotations

from starlette.responses import Response

from ringway.api.http import path_param
from ringway.dashboard.pages import MENU, View, page, page_asked
from ringway.domain.applications import Application

PAGE_SIZE = 20


async def _chosen(view: View) -> tuple[list[Application], Application | None]:
    """The account's applications, and the one the query names (else the first with the rtc
    capability, else the first)."""
    platform = view.platform
    apps = (await platform.db.run(platform.applications.list, view.account.id, 1, MENU)).items
    asked = view.request.query_params.get("application", "")
    chosen = next((a for a in apps if a.id == asked), None) or next(
        (a for a in apps if "rtc" in a.capabilities), apps[0] if apps else None
    )
    return apps, chosen


async def users_page(view: View) -> Response:
    return await _listing(view, "users.html")


async def conversations_page(view: View) -> Response:
    return await _listing(view, "conversations.html")


async def _listing(view: View, template: str) -> Response:
    """A page of the chosen application's users or conversations, newest first (one more is
    read to know whether a next page exists)."""
    platform, (apps, app) = view.platform, await _chosen(view)
    number, offset = page_asked(view, PAGE_SIZE)
    items: list[object] = []
    if app is not None:
        service = platform.conversations
        if template == "users.html":
            items = list(await platform.db.run(service.users, app, None, offset, PAGE_SIZE + 1,
                                               True))  # fmt: skip
        else:
            items = list(await platform.db.run(service.conversations, app, offset,
                                               PAGE_SIZE + 1, True))  # fmt: skip
    return view.render(template, apps=apps, app=app, items=items[:PAGE_SIZE], number=number,
                       more=len(items) > PAGE_SIZE,
                       values={"application": app.id if app else ""},
                       choices=[(a.id, a.name) for a in apps])  # fmt: skip


async def conversation_page(view: View) -> Response:
    platform = view.platform
    app = await platform.db.run(
        platform.applications.get, view.account.id, path_param(view.request, "id")
    )
    cid = path_param(view.request, "cid")
    service = platform.conversations
    conversation = await platform.db.run(service.conversation, app, cid)
    members = await platform.db.run(service.members, app, cid)
    events = await platform.db.run(service.events, app, cid, 0, 100, True)
    return view.render("conversation.html", app=app, conversation=conversation,
                       members=members, events=events)  # fmt: skip


routes = [
    page("/users", GET=users_page),
    page("/conversations", GET=conversations_page),
    page("/applications/{id}/conversations/{cid}", GET=conversation_page),
]
