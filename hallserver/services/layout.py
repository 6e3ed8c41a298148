"""The hall layout: seeded from YAML, versioned in the database, read by every use case."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hallserver.config.loader import load_hall
from hallserver.config.models import HallConfig, HolidayCalendar
from hallserver.store.db import Database
from hallserver.store.models import HallLayoutRow

logger = logging.getLogger(__name__)


class LayoutService:
    """Current layout of one hall; a changed document becomes a new version."""

    def __init__(self, db: Database, hall_id: str, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.hall_id = hall_id
        self.clock = clock
        self._cached: tuple[int, HallConfig] | None = None
        self._lock = threading.Lock()

    def seed_from_file(self, path: Path, actor: str = "config-file") -> int:
        """Store the file's layout as a new version unless it equals the current one."""
        config = load_hall(path)
        if config.hall.id != self.hall_id:
            raise ValueError(f"{path}: hall id {config.hall.id!r} is not {self.hall_id!r}")
        return self.save(config, source=str(path), actor=actor)

    def seed_if_empty(self, path: Path) -> int:
        """Load the file's layout only when the database has none (admin edits win)."""
        with self.db.read() as session:
            row = self._latest_row(session)
        if row is not None:
            return row.version
        return self.seed_from_file(path)

    def extend_calendar(self, cal: HolidayCalendar, covers_until: date, *, source: str,
                        actor: str, replace: bool = False) -> int:
        """Add a calendar's dates (a newly entered year) to the live layout as its next
        version, keeping everything else, administrators' edits included; `replace` first
        drops the dates the layout has in the calendar's years (a corrected notice)."""
        with self.db.read() as session:
            cfg = self.current(session)
        days = cfg.service_days
        years = set(cal.years) if replace else set()
        merged = days.model_copy(update={
            "holidays": sorted({d for d in days.holidays if d.year not in years}
                               | set(cal.closed_dates())),
            "makeup_workdays": sorted({d for d in days.makeup_workdays if d.year not in years}
                                      | set(cal.makeup_workdays)),
            "covers_until": max(covers_until, days.covers_until or covers_until)})
        return self.save(cfg.model_copy(update={"service_days": merged}), source=source,
                         actor=actor)

    def save(self, config: HallConfig, *, source: str, actor: str) -> int:
        """Store a validated layout as the next version (no-op if unchanged)."""
        document = config.model_dump(mode="json")
        with self.db.write() as session:
            current = self._latest_row(session)
            if current is not None and current.document == document:
                return current.version
            version = (current.version if current else 0) + 1
            session.add(HallLayoutRow(
                hall_id=self.hall_id, version=version, document=document, source=source,
                created_at=self.clock(), created_by=actor,
            ))
        logger.info("hall %s layout version %d from %s", self.hall_id, version, source)
        return version

    def current_version(self, session: Session) -> int:
        """Version number of the newest layout (0 before the first)."""
        version = session.scalar(
            select(func.max(HallLayoutRow.version)).where(HallLayoutRow.hall_id == self.hall_id)
        )
        return int(version or 0)

    def current(self, session: Session) -> HallConfig:
        """The newest layout, read in the caller's transaction (cached per version)."""
        version = session.scalar(
            select(func.max(HallLayoutRow.version)).where(HallLayoutRow.hall_id == self.hall_id)
        )
        if version is None:
            raise LookupError(f"hall {self.hall_id!r} has no layout; run `hallserver init-db`")
        with self._lock:
            if self._cached and self._cached[0] == version:
                return self._cached[1]
        row = self._latest_row(session)
        assert row is not None
        config = HallConfig.model_validate(row.document)
        with self._lock:
            self._cached = (row.version, config)
        return config

    def latest(self, session: Session) -> HallLayoutRow | None:
        """The newest stored version with who saved it and when (None before the first)."""
        return self._latest_row(session)

    def history(self, session: Session, limit: int = 50) -> list[HallLayoutRow]:
        """Stored versions, newest first."""
        stmt = (
            select(HallLayoutRow)
            .where(HallLayoutRow.hall_id == self.hall_id)
            .order_by(HallLayoutRow.version.desc())
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def _latest_row(self, session: Session) -> HallLayoutRow | None:
        stmt = (
            select(HallLayoutRow)
            .where(HallLayoutRow.hall_id == self.hall_id)
            .order_by(HallLayoutRow.version.desc())
            .limit(1)
        )
        return session.scalars(stmt).first()
