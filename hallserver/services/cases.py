"""Cases (办件): an application accepted at a window (受理) becomes a case with a number, a
promised deadline in working days (限时办结) and a first-contact owner (首问负责).

Opened in the same transaction as the 受理 completion, so a completed ticket never lacks its
case. Receipts (收件回执) print from `receipt()`; the self-service terminal and the phone
follow progress by the case's public token (its QR code), never by the case number alone.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.config.models import HallConfig, I18nText, LimitUnit
from hallserver.domain.calendar import HallCalendar
from hallserver.domain.errors import NotAllowed, NotFound
from hallserver.services.hall import HallChange, HallContext
from hallserver.services.records import take_number
from hallserver.services.views import Principal
from hallserver.store.models import (
    CaseEventRow,
    CaseRow,
    TicketRow,
    WindowStateRow,
)

logger = logging.getLogger(__name__)

CASE_COUNTER = "#case"  # a counter key no category code can take (codes are [a-z0-9-])
CASE_DAILY_CAP = 9999

STATUS_NAMES = {
    "accepted": I18nText(zh="已受理", en="accepted"),
    "in_progress": I18nText(zh="办理中", en="in progress"),
    "completed": I18nText(zh="已办结", en="completed"),
    "returned": I18nText(zh="已退回", en="returned"),
}


@dataclass(frozen=True)
class CaseSnapshot:
    """A case as the terminal, the phone page and the receipt show it (no personal data)."""

    case_no: str
    public_token: str
    status: str
    status_name: I18nText
    items: list[I18nText]
    materials: list[str]
    window: int
    owner: str
    accepted_at: datetime
    promised_by: datetime
    working_days_left: int
    provisional: bool  # the deadline is past the holiday calendar: it may move (#20)


def promised_deadline(calendar: HallCalendar, accepted_at: datetime, limit: int,
                      unit: LimitUnit = LimitUnit.WORKING_DAYS) -> datetime:
    """When a case accepted at `accepted_at` is due: `limit` service hours later, or at the
    close of the day `limit` working or natural days after the day of acceptance (which is
    not counted); 0 is the close of the same day."""
    if unit is LimitUnit.HOURS and limit > 0:
        return calendar.add_service_minutes(accepted_at, limit * 60)
    start = calendar.service_day(accepted_at)
    day = (calendar.add_natural_days(start, limit) if unit is LimitUnit.NATURAL_DAYS
           else calendar.add_working_days(start, limit))
    return calendar.closing_moment(day)


def working_days_between(calendar: HallCalendar, start: date, end: date) -> int:
    """Statutory working days from start to end (negative when end is before start)."""
    if end < start:
        return -working_days_between(calendar, end, start)
    count, day = 0, start
    while day < end:
        day = date.fromordinal(day.toordinal() + 1)
        if calendar.is_working_day(day):
            count += 1
    return count


class CaseService:
    """Open cases on 受理 and answer who-owns-it / when-is-it-due."""

    def __init__(self, ctx: HallContext) -> None:
        self.ctx = ctx

    def open(self, session: Session, cfg: HallConfig, ticket: TicketRow, *, window: int,
             staff_id: str, now: datetime) -> CaseRow:
        """Open the case of an accepted ticket (inside the completing transaction)."""
        calendar = self.ctx.calendar(cfg)
        day = calendar.service_day(now)
        seq = take_number(session, self.ctx.hall_id, CASE_COUNTER, day, CASE_DAILY_CAP,
                          "办件", "cases")
        item = cfg.item(ticket.item_code) if ticket.item_code else None
        limit = item.promised_limit_days if item else 0
        unit = item.promised_unit if item else LimitUnit.WORKING_DAYS
        seed = next((s for s in cfg.staff if s.id == staff_id), None)
        row = CaseRow(
            hall_id=self.ctx.hall_id, case_no=f"{self.ctx.hall_id.upper()}-{day:%Y%m%d}-{seq:04d}",
            public_token=secrets.token_urlsafe(16), ticket_id=ticket.id,
            items=[item.code] if item else [],
            materials=[mat.name for mat in item.materials] if item else [],
            window=window, owner_staff_id=staff_id, owner_name=seed.name if seed else staff_id,
            status="accepted", accepted_at=now,
            promised_by=promised_deadline(calendar, now, limit, unit), finished_at=None)
        session.add(row)
        session.flush()
        self.event(session, row, "accept", actor=staff_id, at=now,
                   detail=f"ticket {ticket.number} promised {limit} {unit.value}")
        logger.info("case %s opened at window %d", row.case_no, window)
        return row

    @staticmethod
    def event(session: Session, row: CaseRow, action: str, *, actor: str | None,
              at: datetime, detail: str | None = None) -> None:
        """Append to the case's audit trail."""
        session.add(CaseEventRow(case_id=row.id, at=at, action=action, actor=actor,
                                 detail=detail))

    def by_token(self, token: str) -> CaseSnapshot:
        """A case by its public token (from the receipt's QR code)."""
        with self.ctx.db.read() as session:
            cfg = self.ctx.layout.current(session)
            return self.snapshot(cfg, self._row(session, token))

    def reprint(self, token: str, actor: str, *, log: bool = True) -> CaseSnapshot:
        """A receipt copy (补打): logged on the case (unless `log` is false: a redelivered
        request already was), returned for printing."""
        with self.ctx.db.write() as session:
            cfg = self.ctx.layout.current(session)
            row = self._row(session, token)
            if log:
                self.event(session, row, "reprint", actor=actor, at=self.ctx.clock())
            return self.snapshot(cfg, row)

    def print_receipt(self, case_no: str, user: Principal) -> str:
        """Print a case's receipt again at its window (补打, logged); staff only at the case's
        window, managers anywhere. Returns the receipt state once the printer was asked."""
        with self.ctx.db.write() as session:
            row = session.scalar(select(CaseRow).where(CaseRow.hall_id == self.ctx.hall_id,
                                                       CaseRow.case_no == case_no))
            if row is None:
                raise NotFound("办件不存在", "no such case")
            if user.role == "staff":
                at = session.scalar(select(WindowStateRow.number).where(
                    WindowStateRow.hall_id == self.ctx.hall_id,
                    WindowStateRow.staff_id == user.username))
                if at != row.window:
                    raise NotAllowed(f"请在{row.window}号窗口补打该回执",
                                     f"reprint this receipt at window {row.window}")
            self.event(session, row, "reprint", actor=user.username, at=self.ctx.clock())
            row.receipt = "no-printer"  # the bus, if running, sends it and says "queued"
            self.ctx.changed(HallChange("receipt", window=row.window, case_id=row.id,
                                        reprint=True))
            case_id = row.id
        with self.ctx.db.read() as session:
            again = session.get(CaseRow, case_id)
            assert again is not None
            return again.receipt or "no-printer"

    def snapshot(self, cfg: HallConfig, row: CaseRow) -> CaseSnapshot:
        """What a case shows."""
        calendar = self.ctx.calendar(cfg)
        today = calendar.service_day(self.ctx.clock())
        names = []
        for code in row.items:
            try:
                names.append(cfg.item(code).name)
            except KeyError:  # an item since removed from the layout keeps its code
                names.append(I18nText(zh=code, en=code))
        return CaseSnapshot(
            case_no=row.case_no, public_token=row.public_token, status=row.status,
            status_name=STATUS_NAMES.get(row.status, I18nText(zh=row.status, en=row.status)),
            items=names, materials=list(row.materials), window=row.window,
            owner=f"{row.owner_name} ({row.owner_staff_id})", accepted_at=row.accepted_at,
            promised_by=row.promised_by,
            working_days_left=working_days_between(calendar, today,
                                                   calendar.service_day(row.promised_by)),
            provisional=calendar.provisional(calendar.service_day(row.promised_by)))

    def _row(self, session: Session, token: str) -> CaseRow:
        row = session.scalar(select(CaseRow).where(CaseRow.public_token == token,
                                                   CaseRow.hall_id == self.ctx.hall_id))
        if row is None:
            raise NotFound("办件不存在，请核对回执", "no such case: check the receipt")
        return row

