"""The composition root: builds the whole hall server from settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from fastapi import FastAPI

from hallserver import web
from hallserver.api.csrf import SameOriginGuard
from hallserver.api.deps import SESSION_COOKIE
from hallserver.api.device_auth import DeviceCredentials
from hallserver.api.problems import declare_problems, install_problem_handlers
from hallserver.api.ratelimit import RateLimitMiddleware, RateLimits
from hallserver.api.routers import (
    admin,
    advisor,
    appointments,
    auth,
    devices,
    health,
    layout,
    live,
    monitor,
    queues,
    ratings,
    reports,
    screen,
    tickets,
    windows,
)
from hallserver.bus.wiring import BusRuntime, load_hall_devices
from hallserver.config.loader import load_hall
from hallserver.services import Services
from hallserver.services.devices import DeviceInfo
from hallserver.services.hall import Clock, HallContext
from hallserver.services.layout import LayoutService
from hallserver.settings import Settings
from hallserver.store.db import Database

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def build_services(settings: Settings, clock: Clock = utc_now,
                   devices: list[DeviceInfo] | None = None) -> Services:
    """Open the database (migrating it), load the layout, warm up estimates."""
    hall_id = load_hall(settings.config).hall.id
    db = Database(settings.database_url, hall_id, sqlite_synchronous=settings.sqlite_synchronous)
    db.migrate()
    layout = LayoutService(db, hall_id, clock)
    layout.seed_if_empty(settings.config)
    ctx = HallContext(db=db, layout=layout, clock=clock, enforce_hours=settings.enforce_hours,
                      config_dir=settings.config.parent)
    ctx.warm_up()
    return Services.build(ctx, devices)


HOUSEKEEPING_S = 60.0


async def _housekeeping(services: Services) -> None:
    """Every minute: the provincial default rating, overdue 差评整改 alerts."""
    while True:
        try:
            await asyncio.to_thread(services.ratings.apply_defaults)
            await asyncio.to_thread(services.followups.alert_overdue)
        except Exception:
            logger.exception("housekeeping failed; trying again in a minute")
        await asyncio.sleep(HOUSEKEEPING_S)


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """The FastAPI app of one hall server. Raises PublicUrlError when it binds every
    interface, HALL_PUBLIC_URL is unset and no LAN address is found."""
    settings = (settings or Settings()).with_public_url()
    hall_devices = load_hall_devices(settings, load_hall(settings.config)) if settings.bus else None
    services = build_services(settings, clock, hall_devices.infos if hall_devices else None)
    runtime = BusRuntime(services, settings, hall_devices) if hall_devices else None
    services.live.max_streams = settings.live_streams
    services.live.max_per_source = settings.live_streams_per_source

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            runtime.start()
        chores = asyncio.gather(_housekeeping(services), services.monitor.watch())
        try:
            yield
        finally:
            chores.cancel()
            with suppress(asyncio.CancelledError):
                await chores
            if runtime is not None:
                runtime.stop()
            services.ctx.db.close()

    app = FastAPI(
        title="OneWindow hall server (一窗通)",
        version="0.1.0",
        description="Queue, routing and devices of a government service hall.",
        lifespan=lifespan,
        # /docs is served with local assets by web.mount_docs (FastAPI's loads a CDN);
        # no ReDoc (a CDN too, and a second page saying the same).
        docs_url=None, redoc_url=None,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.bus = runtime
    kinds = {d.id: d.type for d in hall_devices.infos} if hall_devices else {}
    app.state.device_credentials = DeviceCredentials(
        (a.username, kinds[a.username], a.password)
        for a in (hall_devices.accounts if hall_devices else ()) if a.username in kinds)
    limits = RateLimits(settings.rate_limit_table()) if settings.rate_limits else None
    app.state.rate_limits = limits
    api = (health.router, auth.router, tickets.router, queues.router, windows.router,
           layout.router, devices.router, appointments.router, ratings.router, live.router,
           monitor.router, reports.router, admin.router, advisor.router, screen.router)
    for router in (*api, *web.routers):
        app.include_router(router)
    web.mount_static(app)
    web.mount_docs(app)
    install_problem_handlers(app)
    declare_problems(app, api)
    app.add_middleware(SameOriginGuard, trusted_urls=(settings.base_url(), settings.local_url()))
    if limits is not None:
        app.add_middleware(RateLimitMiddleware, limits=limits, cookie_name=SESSION_COOKIE)
    return app


