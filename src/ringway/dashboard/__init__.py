"""The dashboard: server-rendered pages at ``/`` over the same services as the API and CLI."""

from __future__ import annotations

from importlib import resources

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from ringway.dashboard import (
    account,
    activity,
    applications,
    audio,
    conversations,
    numbers,
    parties,
)
from ringway.dashboard.pages import page_not_found, wants_page

__all__ = ["page_not_found", "routes", "wants_page"]

routes: list[BaseRoute] = [
    *account.routes,
    *applications.routes,
    *numbers.routes,
    *activity.routes,
    *audio.routes,
    *conversations.routes,
    *parties.routes,
    Mount(
        "/assets",
        StaticFiles(directory=str(resources.files("ringway.dashboard") / "static")),
        name="assets",
    ),
]
