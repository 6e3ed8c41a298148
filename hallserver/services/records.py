"""Mapping between store rows and domain objects, and the queries services share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hallserver.config.models import StaffRole
from hallserver.domain.numbering import next_seq
from hallserver.domain.tickets import Outcome, Ticket, TicketState
from hallserver.domain.windows import PauseCode, WindowState, WindowStatus
from hallserver.store.models import TicketCounterRow, TicketEventRow, TicketRow, WindowStateRow


def ticket_of(row: TicketRow) -> Ticket:
    """Domain ticket of a row."""
    return Ticket(
        number=row.number,
        category=row.category,
        service_day=row.service_day,
        issued_at=row.issued_at,
        queued_at=row.queued_at,
        id=row.id,
        state=TicketState(row.state),
        priority=row.priority,
        appointment_at=row.appointment_at,
        item_code=row.item_code,
        expected_minutes=row.expected_minutes,
        window=row.window,
        target_window=row.target_window,
        called_at=row.called_at,
        first_called_at=row.first_called_at,
        serving_at=row.serving_at,
        finished_at=row.finished_at,
        recalls=row.recalls,
        outcome=Outcome(row.outcome) if row.outcome else None,
    )


def store_ticket(row: TicketRow, t: Ticket) -> None:
    """Copy the mutable fields of a domain ticket onto its row."""
    row.category = t.category
    row.state = t.state.value
    row.queued_at = t.queued_at
    row.window = t.window
    row.target_window = t.target_window
    row.called_at = t.called_at
    row.first_called_at = t.first_called_at
    row.serving_at = t.serving_at
    row.finished_at = t.finished_at
    row.recalls = t.recalls
    row.outcome = t.outcome.value if t.outcome else None


def take_number(session: Session, hall_id: str, key: str, day: date, cap: int,
                name_zh: str, name_en: str) -> int:
    """The next number of a per-day counter (tickets of a category, cases, follow-ups),
    taken in the caller's transaction: gapless, refused once `cap` is reached."""
    counter = session.get(TicketCounterRow, (hall_id, key, day))
    if counter is None:
        counter = TicketCounterRow(hall_id=hall_id, category=key, service_day=day, last_seq=0)
        session.add(counter)
    counter.last_seq = next_seq(counter.last_seq, cap, name_zh, name_en)
    return counter.last_seq


def window_of(row: WindowStateRow | None, number: int) -> WindowState:
    """Domain window state of a row (a missing row is a closed window)."""
    if row is None:
        return WindowState(number)
    return WindowState(
        number=row.number,
        status=WindowStatus(row.status),
        pause_reason=row.pause_reason,
        pause_code=PauseCode(row.pause_code) if row.pause_code else None,
        staff_id=row.staff_id,
        staff_role=StaffRole(row.staff_role) if row.staff_role else None,
        signed_in_at=row.signed_in_at,
        current_ticket=row.current_ticket_id,
        idle_since=row.idle_since,
    )


def store_window(row: WindowStateRow, w: WindowState, now: datetime) -> None:
    """Copy a domain window state onto its row."""
    row.status = w.status.value
    row.pause_reason = w.pause_reason
    row.pause_code = w.pause_code.value if w.pause_code else None
    row.staff_id = w.staff_id
    row.staff_role = w.staff_role.value if w.staff_role else None
    row.signed_in_at = w.signed_in_at
    row.current_ticket_id = w.current_ticket
    row.idle_since = w.idle_since
    row.updated_at = now


def window_row(session: Session, hall_id: str, number: int, now: datetime) -> WindowStateRow:
    """The window's state row, created closed on first use."""
    row = session.get(WindowStateRow, (hall_id, number))
    if row is None:
        row = WindowStateRow(hall_id=hall_id, number=number, status=WindowStatus.CLOSED.value,
                             updated_at=now)
        session.add(row)
        session.flush()
    return row


def all_window_states(session: Session, hall_id: str) -> dict[int, WindowStateRow]:
    """Every stored window state of the hall by number."""
    rows = session.scalars(select(WindowStateRow).where(WindowStateRow.hall_id == hall_id))
    return {r.number: r for r in rows}


def waiting_rows(session: Session, hall_id: str, day: date,
                 categories: Iterable[str]) -> list[TicketRow]:
    """Today's waiting tickets of the given categories, oldest queue time first (tickets
    of earlier service days never reach a queue)."""
    stmt = (
        select(TicketRow)
        .where(
            TicketRow.hall_id == hall_id,
            TicketRow.service_day == day,
            TicketRow.state == TicketState.WAITING.value,
            TicketRow.category.in_(list(categories)),
        )
        .order_by(TicketRow.queued_at, TicketRow.id)
    )
    return list(session.scalars(stmt))


def group_by_category(rows: Iterable[TicketRow]) -> dict[str, list[TicketRow]]:
    """Rows grouped by current category, keeping their order."""
    out: dict[str, list[TicketRow]] = defaultdict(list)
    for r in rows:
        out[r.category].append(r)
    return out


def waiting_counts(session: Session, hall_id: str, day: date) -> dict[str, int]:
    """Number of today's waiting tickets per category."""
    stmt = (
        select(TicketRow.category, func.count())
        .where(TicketRow.hall_id == hall_id, TicketRow.service_day == day,
               TicketRow.state == TicketState.WAITING.value)
        .group_by(TicketRow.category)
    )
    return {str(c): int(n) for c, n in session.execute(stmt).all()}


def issued_today(session: Session, hall_id: str, day: date) -> dict[str, int]:
    """Tickets issued per category (as issued) on a service day."""
    stmt = (
        select(TicketRow.issued_category, func.count())
        .where(TicketRow.hall_id == hall_id, TicketRow.service_day == day)
        .group_by(TicketRow.issued_category)
    )
    return {str(c): int(n) for c, n in session.execute(stmt).all()}


def add_event(
    session: Session,
    row: TicketRow,
    *,
    action: str,
    from_state: str | None,
    at: datetime,
    actor: str | None,
    detail: str | None = None,
) -> None:
    """Append an audit event for a ticket action."""
    session.add(TicketEventRow(
        ticket_id=row.id, at=at, action=action, from_state=from_state, to_state=row.state,
        window=row.window, actor=actor, detail=detail,
    ))
