"""The hall layout: public parts for kiosks and screens, the roster for managers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hallserver.api.deps import ManagerUser, ServicesDep
from hallserver.api.problems import problems
from hallserver.config.models import Item, StaffSeed
from hallserver.domain.errors import NotFound

router = APIRouter(prefix="/api/layout", tags=["layout"])


@router.get("")
def layout(services: ServicesDep) -> dict[str, Any]:
    """Hall, hours, zones, categories, items and windows (without the staff roster)."""
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    return cfg.model_dump(mode="json", exclude={"staff"})


@router.get("/items/{code}", responses=problems(404))
def item(code: str, services: ServicesDep) -> Item:
    """One item's service guide (一次性告知): materials, time limits, fees."""
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    try:
        return cfg.item(code)
    except KeyError:
        raise NotFound(f"没有事项 {code}", f"no item {code!r}") from None


@router.get("/staff")
def staff(services: ServicesDep, _user: ManagerUser) -> list[StaffSeed]:
    """The A/B roster (managers and admins)."""
    with services.ctx.db.read() as session:
        return list(services.layout.current(session).staff)
