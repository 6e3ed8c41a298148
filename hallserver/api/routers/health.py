"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from hallserver.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(services: ServicesDep) -> dict[str, Any]:
    """The server answers and its database does too."""
    with services.ctx.db.read() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "hall": services.ctx.hall_id,
            "database": services.ctx.db.engine.dialect.name}
