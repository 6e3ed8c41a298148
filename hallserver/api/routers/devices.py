"""Devices on the bus: registry and health, bus counters, 帮办 helper requests."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from hallserver.api.deps import ManagerUser, RowId, ServicesDep, StaffUser
from hallserver.api.problems import problems
from hallserver.services.devices import DeviceHealth, HelperRequestView
from hallserver.services.views import View

router = APIRouter(prefix="/api", tags=["devices"])


class BusInfo(View):
    """The hall server's link to the broker and its message counters."""

    enabled: bool
    broker: Literal["embedded", "external", "none"]
    connected: bool
    port: int | None
    handled: dict[str, int]
    rejected: dict[str, int]


@router.get("/devices")
def devices(services: ServicesDep, _user: ManagerUser) -> list[DeviceHealth]:
    """Every configured device: online, last seen, config version, printer paper, health."""
    return services.devices.all()


@router.get("/devices/{device_id}", responses=problems(404))
def device(device_id: str, services: ServicesDep, _user: ManagerUser) -> DeviceHealth:
    """One device's health."""
    return services.devices.get(device_id)


@router.get("/bus")
def bus(request: Request, _user: ManagerUser) -> BusInfo:
    """Broker link and counters of handled and refused messages."""
    runtime = getattr(request.app.state, "bus", None)
    if runtime is None:
        return BusInfo(enabled=False, broker="none", connected=False, port=None, handled={},
                       rejected={})
    counters = runtime.stats.snapshot()
    return BusInfo(enabled=True, broker="embedded" if runtime.broker else "external",
                   connected=bool(runtime.bus and runtime.bus.connected.is_set()),
                   port=runtime.port, handled=counters["handled"],
                   rejected=counters["rejected"])


@router.get("/helper-requests")
def helper_requests(services: ServicesDep, _user: StaffUser,
                    open_only: bool = True) -> list[HelperRequestView]:
    """帮办 requests from kiosks, terminals and pads (open ones by default)."""
    return services.devices.helper_requests(open_only=open_only)


@router.post("/helper-requests/{request_id}/answer", responses=problems(404, 409))
def answer_helper_request(request_id: RowId, services: ServicesDep,
                          user: StaffUser) -> HelperRequestView:
    """A member of staff takes the request."""
    return services.devices.answer_helper_request(request_id, user.username)
