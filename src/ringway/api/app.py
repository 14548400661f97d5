"""The ASGI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from ringway import dashboard
from ringway.api import (
    applications_v1,
    applications_v2,
    conversations,
    faults,
    messages,
    numbers,
    ringway_routes,
    simulation,
    voice,
)
from ringway.api.hot import RingwayApp
from ringway.api.problems import on_http_error, on_problem, on_server_error
from ringway.config import Settings
from ringway.domain.errors import ProblemError
from ringway.observe import metrics
from ringway.observe.logs import log
from ringway.services.platform import Platform

GC_THRESHOLDS = (100_000, 50, 50)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> RingwayApp:
    """Build the server: one Platform (storage, caches, services) behind every router."""
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
            await platform.stop_engine()
            platform.close()
            metrics.leave()
            log.flush()

    framework = Starlette(
        routes=[
            *applications_v2.routes,
            *applications_v1.routes,
            *numbers.routes,
            *voice.routes,
            *messages.routes,
            *conversations.routes,
            *simulation.routes,
            *faults.routes,
            *ringway_routes.routes,
            *dashboard.routes,
        ],
        exception_handlers={
            ProblemError: on_problem,
            HTTPException: on_http_error,
            Exception: on_server_error,
        },
        lifespan=lifespan,
    )
    framework.state.platform = platform
    return RingwayApp(framework, platform)


def create_worker_app() -> RingwayApp:
    """The factory uvicorn workers call: ``ringway serve`` has already migrated the database."""
    # A busy engine keeps many objects alive (calls, futures, buffers), and the default
    # thresholds have the collector rescan them hundreds of times a second: measured, these
    # give the engine 20-60% more throughput.
    gc.set_threshold(*GC_THRESHOLDS)
    settings = Settings()
    log.configure(settings.log_level, settings.log_format)
    return create_app(settings, migrate=False)
