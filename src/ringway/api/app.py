"""The ASGI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ringway import dashboard
from ringway.api import (
    account,
    applications_v1,
    applications_v2,
    conversations,
    faults,
    messages,
    numbers,
    ringway_routes,
    simulation,
    sms,
    voice,
)
from ringway.api.hot import RingwayApp
from ringway.api.operations import resources
from ringway.api.problems import on_http_error, on_problem, on_server_error
from ringway.config import Settings
from ringway.domain.errors import ProblemError
from ringway.observe import metrics
from ringway.observe.logs import log
from ringway.services.platform import Platform

GC_THRESHOLDS = (100_000, 50, 50)
# Every route: the wire API's and ringway's own, each declared once with its document, then the
# dashboard's pages (HTML for people, deliberately not in the OpenAPI document).
ROUTES = [
    *resources(
        [
            *applications_v2.operations,
            *applications_v1.operations,
            *numbers.operations,
            *account.operations,
            *sms.operations,
            *voice.operations,
            *messages.operations,
            *conversations.operations,
            *simulation.operations,
            *faults.operations,
            *ringway_routes.operations,
        ]
    ),
    *dashboard.routes,
]


def create_app(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    say: Callable[[str], None] | None = None,
) -> RingwayApp:
    """Build the server: one Platform (storage, caches, services) behind every router; ``say``
    hears, when it stops, how many calls it ended."""
    settings = settings or Settings()
    platform = Platform.open(settings, migrate=migrate)
    metrics.watch_pool(platform.db.engine)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        platform.key_pool.start()
        await platform.start_engine()
        try:
            yield
        finally:
            ended = await platform.stop_engine()
            platform.close()
            metrics.leave()
            log.flush()
            if say is not None:
                say(f"ringway stopped: ended {ended} running call{'' if ended == 1 else 's'}")

    framework = Starlette(
        routes=ROUTES,
        exception_handlers={
            ProblemError: on_problem,
            HTTPException: on_unrouted,
            Exception: on_server_error,
        },
        lifespan=lifespan,
    )
    framework.state.platform = platform
    return RingwayApp(framework, platform)


async def on_unrouted(request: Request, exc: Exception) -> Response:
    """The dashboard's 404 page for a browser's unknown page, else the API's problem."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and dashboard.wants_page(request):
        return await dashboard.page_not_found(request)
    return await on_http_error(request, exc)


def create_worker_app() -> RingwayApp:
    """The factory uvicorn workers call: ``ringway serve`` has already migrated the database."""
    # A busy engine keeps many objects alive (calls, futures, buffers), and the default
    # thresholds have the collector rescan them hundreds of times a second: measured, these
    # give the engine 20-60% more throughput.
    gc.set_threshold(*GC_THRESHOLDS)
    settings = Settings()
    log.configure(settings.log_level, settings.log_format)
    return create_app(settings, migrate=False, say=lambda line: print(line, flush=True))
