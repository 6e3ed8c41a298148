"""Use cases: they combine the domain, the store and (later) the bus."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from hallserver.services.alerts import AlertService
from hallserver.services.appointments import AppointmentService
from hallserver.services.auth import AuthService
from hallserver.services.cases import CaseService
from hallserver.services.devices import DeviceInfo, DeviceRegistry
from hallserver.services.followups import FollowUpService
from hallserver.services.hall import HallChange, HallContext
from hallserver.services.layout import LayoutService
from hallserver.services.live import LiveHub
from hallserver.services.monitor import MonitorService
from hallserver.services.queues import QueueService
from hallserver.services.ratings import RatingService
from hallserver.services.reports import ReportService
from hallserver.services.tickets import TicketService
from hallserver.services.windows import WindowService


@dataclass(frozen=True)
class Services:
    """Every use case of one hall, built once by the composition root."""

    ctx: HallContext
    layout: LayoutService
    auth: AuthService
    tickets: TicketService
    windows: WindowService
    queues: QueueService
    devices: DeviceRegistry
    appointments: AppointmentService
    cases: CaseService
    alerts: AlertService
    followups: FollowUpService
    ratings: RatingService
    live: LiveHub
    monitor: MonitorService
    reports: ReportService

    @classmethod
    def build(cls, ctx: HallContext, devices: list[DeviceInfo] | None = None) -> Services:
        """Wire the services around a hall context and its configured devices."""
        registry = DeviceRegistry(ctx.db, ctx.hall_id, ctx.clock, devices or [])
        registry.sync_known()
        registry.on_change = partial(ctx.changed, HallChange("device"))
        tickets, cases, alerts = TicketService(ctx), CaseService(ctx), AlertService(ctx)
        queues = QueueService(ctx)
        followups = FollowUpService(ctx, alerts)
        ratings = RatingService(ctx, followups, alerts)
        return cls(
            ctx=ctx, layout=ctx.layout, auth=AuthService(ctx.db, ctx.clock),
            tickets=tickets, windows=WindowService(ctx, cases, ratings),
            queues=queues, devices=registry,
            appointments=AppointmentService(ctx, tickets), cases=cases, alerts=alerts,
            followups=followups, ratings=ratings, live=LiveHub(ctx),
            monitor=MonitorService(ctx, queues, alerts, registry),
            reports=ReportService(ctx),
        )
