"""The manager dashboard's own numbers (what the queue, window, device and alert lists lack)."""

from __future__ import annotations

from fastapi import APIRouter

from hallserver.api.deps import ManagerUser, ServicesDep
from hallserver.services.monitor import MonitorOverview

router = APIRouter(prefix="/api/monitor", tags=["monitor"])


@router.get("/overview")
def overview(services: ServicesDep, _user: ManagerUser) -> MonitorOverview:
    """Today's share called within 20 minutes per category, serving and idle times per
    window (idle while tickets it could serve wait), the hall's summary line and the alert
    conditions holding now (managers and admins)."""
    return services.monitor.overview()
