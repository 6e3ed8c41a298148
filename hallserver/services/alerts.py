"""Alerts for hall managers: raised once per subject, listed until acknowledged."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.domain.errors import NotFound
from hallserver.services.hall import HallChange, HallContext
from hallserver.services.views import View
from hallserver.store.models import AlertRow

logger = logging.getLogger(__name__)

Level = Literal["info", "warn", "alarm"]


class AlertView(View):
    """An alert as the dashboard shows it."""

    id: int
    kind: str
    ref: str
    level: str
    message: str
    message_en: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AlertService:
    """Raise, list and acknowledge alerts."""

    def __init__(self, ctx: HallContext) -> None:
        self.ctx = ctx

    def raise_(self, session: Session, *, kind: str, ref: str, level: Level, message: str,
               message_en: str, at: datetime) -> AlertRow:
        """Raise an alert in the caller's transaction; raising it again changes nothing."""
        row = session.scalar(select(AlertRow).where(
            AlertRow.hall_id == self.ctx.hall_id, AlertRow.kind == kind, AlertRow.ref == ref))
        if row is not None:
            return row
        row = AlertRow(hall_id=self.ctx.hall_id, kind=kind, ref=ref, level=level,
                       message=message, message_en=message_en, raised_at=at,
                       acknowledged_at=None, acknowledged_by=None)
        session.add(row)
        session.flush()
        logger.warning("alert %s %s: %s", kind, ref, message_en)
        self.ctx.changed(HallChange("alert"))
        return row

    def list(self, *, open_only: bool = True, limit: int = 200) -> list[AlertView]:
        """Newest first; by default only those not yet acknowledged."""
        with self.ctx.db.read() as session:
            stmt = select(AlertRow).where(AlertRow.hall_id == self.ctx.hall_id)
            if open_only:
                stmt = stmt.where(AlertRow.acknowledged_at.is_(None))
            rows = session.scalars(stmt.order_by(AlertRow.raised_at.desc(), AlertRow.id.desc())
                                   .limit(limit))
            return [AlertView.model_validate(r, from_attributes=True) for r in rows]

    def acknowledge(self, alert_id: int, actor: str) -> AlertView:
        """Mark an alert seen by a manager (who and when are kept)."""
        with self.ctx.db.write() as session:
            row = session.get(AlertRow, alert_id)
            if row is None or row.hall_id != self.ctx.hall_id:
                raise NotFound("没有这条提醒", "no such alert")
            if row.acknowledged_at is None:
                row.acknowledged_at, row.acknowledged_by = self.ctx.clock(), actor
                self.ctx.changed(HallChange("alert"))
            return AlertView.model_validate(row, from_attributes=True)
