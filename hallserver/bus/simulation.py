"""The demo's simulated hall: staff signed in, simulated devices on the real broker."""

from __future__ import annotations

import logging

from devices.protocol.topics import DeviceType
from devices.runtime.client import DeviceIdentity
from devices.sim.hall import SimDevice, SimulatedHall
from hallserver.bus.accounts import BrokerAccount
from hallserver.config.models import StaffRole
from hallserver.domain.errors import DomainError
from hallserver.services import Services
from hallserver.services.devices import DeviceInfo
from hallserver.services.views import Principal

logger = logging.getLogger(__name__)

SIMULATED = frozenset(DeviceType)


def staff_windows(services: Services, windows: set[int]) -> list[int]:
    """Sign the roster's A staff in at the given windows (skipping any already staffed)."""
    with services.ctx.db.read() as session:
        cfg = services.ctx.layout.current(session)
    staffed = []
    for w in sorted(windows):
        member = next((s for s in cfg.staff if w in s.role_a), None)
        if member is None or services.windows.get(w).staff is not None:
            continue
        user = Principal(username=member.id, display_name=member.name, role="staff")
        try:
            services.windows.sign_in(w, user, StaffRole.A)
        except DomainError as exc:
            logger.warning("could not staff window %d: %s", w, exc.message_en)
            continue
        staffed.append(w)
    return staffed


def build_simulation(services: Services, infos: list[DeviceInfo],
                     accounts: list[BrokerAccount], *, port: int, speed: float = 10.0,
                     idle_windows: frozenset[int] = frozenset()) -> SimulatedHall:
    """Simulated devices for every configured kiosk, caller, LED, pad and screen; the callers
    of `idle_windows` stay online but press no keys (a person works those windows)."""
    with services.ctx.db.read() as session:
        cfg = services.ctx.layout.current(session)
    passwords = {a.username: a.password for a in accounts}
    by_zone = {z.id: tuple(c.code for c in cfg.categories if c.zone == z.id) for z in cfg.zones}
    every = tuple(c.code for c in cfg.categories)
    sims = []
    for d in infos:
        if d.type not in SIMULATED:
            continue
        identity = DeviceIdentity(hall=services.ctx.hall_id, type=d.type, id=d.id,
                                  password=passwords[d.id], port=port,
                                  keepalive=d.keepalive_s)
        categories = by_zone.get(d.zone or "", every) if d.type is DeviceType.KIOSK else ()
        idle = d.type is DeviceType.CALLER and d.window in idle_windows
        sims.append(SimDevice(identity, window=d.window, categories=categories or every,
                              idle=idle))
    return SimulatedHall(sims, speed=speed, arrivals_per_min=2.5, service_min=8.0)
