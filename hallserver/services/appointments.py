"""Appointments (预约): booking a slot gives a signed code; checking in turns it into a ticket.

The code is verified here and only here (signature, expiry), then against the stored row
(cancelled, already checked in, too early); a kiosk only carries the text it read. Checking
in twice returns the same ticket marked replayed, so a citizen who lost the printout gets the
same number again, never a second place in the queue.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.domain.appointments import sign_code, verify_code
from hallserver.domain.errors import InvalidRequest, NotFound, Refused
from hallserver.services.hall import HallContext, find_category
from hallserver.services.tickets import TicketService
from hallserver.services.views import IssuedTicket, IssueTicketRequest
from hallserver.store.models import AppointmentRow, HallKeyRow

logger = logging.getLogger(__name__)

CHECK_IN_OPENS_BEFORE = timedelta(minutes=60)  # earlier arrivals are asked to come back
LATE_GRACE = timedelta(minutes=30)  # the code stays valid this long after the slot ends
BOOKING_HORIZON = timedelta(days=90)  # how far ahead a slot may be booked
LONGEST_SLOT = timedelta(days=1)
KEY_NAME = "appointment-code"


@dataclass(frozen=True)
class Booking:
    """A booked slot and the code to show at the kiosk (no personal data)."""

    id: int
    code: str
    category: str
    item_code: str | None
    slot_start: datetime
    slot_end: datetime
    expires_at: datetime
    state: str


def hall_key(session: Session, hall_id: str, name: str, now: datetime) -> bytes:
    """A hall's named server secret, created at random on first use (inside the caller's
    write transaction; concurrent first uses meet on the primary key)."""
    row = session.get(HallKeyRow, (hall_id, name))
    if row is None:
        row = HallKeyRow(hall_id=hall_id, name=name, value=secrets.token_hex(32),
                         created_at=now)
        session.add(row)
        session.flush()
    return bytes.fromhex(row.value)


class AppointmentService:
    """Book, look up, cancel and check in appointments of one hall."""

    def __init__(self, ctx: HallContext, tickets: TicketService) -> None:
        self.ctx = ctx
        self.tickets = tickets

    def book(self, category: str, slot_start: datetime, slot_end: datetime, *,
             item_code: str | None = None, priority: bool = False,
             source: str = "api") -> Booking:
        """Book a slot; returns the signed code."""
        if slot_start.tzinfo is None or slot_end.tzinfo is None:
            raise InvalidRequest("预约时间须带时区", "slot times need a time zone offset")
        if slot_end <= slot_start:
            raise InvalidRequest("预约结束时间须晚于开始时间", "the slot must end after it starts")
        if slot_end - slot_start > LONGEST_SLOT:
            raise InvalidRequest("预约时段不能超过一天", "a slot cannot last more than a day")
        now = self.ctx.clock()
        if slot_end <= now:
            raise InvalidRequest("该预约时段已结束", "the slot has already ended")
        if slot_start > now + BOOKING_HORIZON:
            raise InvalidRequest(f"只能预约 {BOOKING_HORIZON.days} 天内的时段",
                                 f"slots can be booked at most {BOOKING_HORIZON.days} days "
                                 "ahead")
        with self.ctx.db.write() as session:
            cfg = self.ctx.layout.current(session)
            cat = find_category(cfg, category)
            if item_code is not None:
                try:
                    item = cfg.item(item_code)
                except KeyError:
                    raise InvalidRequest(f"没有事项 {item_code}",
                                         f"no item {item_code!r}") from None
                if item.category != cat.code:
                    raise InvalidRequest(f"事项 {item_code} 不属于类别 {cat.name.zh}",
                                         f"item {item_code} is not in category {cat.code}")
            row = AppointmentRow(
                hall_id=self.ctx.hall_id, category=cat.code, item_code=item_code,
                slot_start=slot_start, slot_end=slot_end,
                expires_at=(slot_end + LATE_GRACE).replace(second=0, microsecond=0),
                state="booked", priority=priority, source=source[:32], created_at=now,
                checked_in_at=None, ticket_id=None)
            session.add(row)
            session.flush()
            key = hall_key(session, self.ctx.hall_id, KEY_NAME, now)
            return self._booking(row, key)

    def get(self, appointment_id: int) -> Booking:
        """A booking with its code (to show or send it again)."""
        with self.ctx.db.write() as session:  # write: may create the key on first use
            row = self._row(session, appointment_id)
            key = hall_key(session, self.ctx.hall_id, KEY_NAME, self.ctx.clock())
            return self._booking(row, key)

    def list_day(self, start: datetime, end: datetime) -> list[Booking]:
        """Bookings with a slot starting in [start, end)."""
        with self.ctx.db.write() as session:
            key = hall_key(session, self.ctx.hall_id, KEY_NAME, self.ctx.clock())
            rows = session.scalars(
                select(AppointmentRow)
                .where(AppointmentRow.hall_id == self.ctx.hall_id,
                       AppointmentRow.slot_start >= start, AppointmentRow.slot_start < end)
                .order_by(AppointmentRow.slot_start, AppointmentRow.id))
            return [self._booking(r, key) for r in rows]

    def cancel(self, appointment_id: int) -> Booking:
        """Cancel a booking that is not checked in yet."""
        with self.ctx.db.write() as session:
            row = self._row(session, appointment_id)
            if row.state == "checked_in":
                raise Refused("appointment_checked_in", "已签到的预约不能取消",
                              "a checked-in appointment cannot be cancelled")
            row.state = "cancelled"
            key = hall_key(session, self.ctx.hall_id, KEY_NAME, self.ctx.clock())
            return self._booking(row, key)

    def check_in(self, code: str, *, channel: str) -> IssuedTicket:
        """Verify a code and issue its ticket (committed), or the same ticket again."""
        with self.ctx.db.write() as session:
            now = self.ctx.clock()
            key = hall_key(session, self.ctx.hall_id, KEY_NAME, now)
            claim = verify_code(key, self.ctx.hall_id, code, now)
            row = session.get(AppointmentRow, claim.appointment_id)
            if (row is None or row.hall_id != self.ctx.hall_id
                    or row.expires_at != claim.expires_at):
                raise Refused("appointment_invalid", "预约码无效，请核对或到咨询台办理",
                              "this appointment code is not valid here: please ask at the "
                              "help desk")
            if row.state == "cancelled":
                raise Refused("appointment_cancelled", "该预约已取消，请现场取号",
                              "this appointment was cancelled: please take a number")
            if row.state == "checked_in" and row.ticket_id is not None:
                return self.tickets.reissued(session, row.ticket_id)
            opens = row.slot_start - CHECK_IN_OPENS_BEFORE
            if now < opens:
                local = opens.astimezone(self.ctx.calendar(
                    self.ctx.layout.current(session)).tz)
                raise Refused("appointment_too_early",
                              f"请于 {local:%m-%d %H:%M} 后签到（预约时段前60分钟起）",
                              f"please check in from {local:%m-%d %H:%M} "
                              "(60 minutes before your slot)")
            issued = self.tickets.issue(
                IssueTicketRequest(category=row.category, item_code=row.item_code,
                                   priority=row.priority),
                channel=channel, appointment_at=row.slot_start)
            row.state, row.checked_in_at = "checked_in", now
            row.ticket_id = self.tickets.row_of(session, issued).id
        logger.info("appointment %d checked in as %s via %s", row.id, issued.number, channel)
        return issued

    def _row(self, session: Session, appointment_id: int) -> AppointmentRow:
        row = session.get(AppointmentRow, appointment_id)
        if row is None or row.hall_id != self.ctx.hall_id:
            raise NotFound("预约不存在", "no such appointment")
        return row

    def _booking(self, row: AppointmentRow, key: bytes) -> Booking:
        return Booking(
            id=row.id, code=sign_code(key, self.ctx.hall_id, row.id, row.expires_at),
            category=row.category, item_code=row.item_code, slot_start=row.slot_start,
            slot_end=row.slot_end, expires_at=row.expires_at, state=row.state)
