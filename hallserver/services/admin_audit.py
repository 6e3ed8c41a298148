"""The administration audit trail: who changed what, when (layout versions, logins)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.domain.privacy import mask_personal
from hallserver.services.views import View
from hallserver.store.db import Database
from hallserver.store.models import AdminAuditRow

logger = logging.getLogger(__name__)


class AuditEntry(View):
    """An administration change: who, when, what."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def audit(session: Session, hall_id: str, at: datetime, actor: str, action: str,
          target: str, detail: str) -> None:
    """Record an administration change in the caller's transaction (and the log), personal
    data masked (an admin may type a phone number into a name)."""
    actor, target, detail = mask_personal(actor), mask_personal(target), mask_personal(detail)
    session.add(AdminAuditRow(hall_id=hall_id, at=at, actor=actor, action=action,
                              target=target[:64], detail=detail))
    logger.info("admin %s: %s %s: %s", actor, action, target, detail)


def audit_log(db: Database, hall_id: str, limit: int = 100) -> list[AuditEntry]:
    """Administration changes, newest first."""
    with db.read() as session:
        rows = session.scalars(select(AdminAuditRow).where(AdminAuditRow.hall_id == hall_id)
                               .order_by(AdminAuditRow.id.desc()).limit(limit))
        return [AuditEntry.model_validate(r) for r in rows]
