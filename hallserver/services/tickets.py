"""Taking a number and following it: issue (idempotent), status, rejoin, cancel."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.config.models import Category, HallConfig, Item
from hallserver.domain.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    Refused,
)
from hallserver.domain.numbering import format_number
from hallserver.domain.routing import base_credit_terms, people_ahead
from hallserver.domain.tickets import AT_WINDOW_STATES, Ticket, TicketState
from hallserver.services.hall import HallChange, HallContext, find_category, rounded_minutes
from hallserver.services.records import (
    add_event,
    store_ticket,
    take_number,
    ticket_of,
    waiting_counts,
    waiting_rows,
)
from hallserver.services.views import (
    IssuedTicket,
    IssueTicketRequest,
    TicketStatus,
    ZoneView,
)
from hallserver.store.models import IdempotencyKeyRow, TicketRow

logger = logging.getLogger(__name__)

ABOUT_TO_BE_CALLED = 3  # "请准备" once this few people are ahead


class TicketService:
    """Use cases of a ticket from the citizen's side."""

    def __init__(self, ctx: HallContext) -> None:
        self.ctx = ctx

    def issue(self, req: IssueTicketRequest, *, channel: str,
              idempotency_key: str | None = None,
              appointment_at: datetime | None = None) -> IssuedTicket:
        """Issue a ticket, committed before it is returned; a reused key returns the same.

        `appointment_at`: the slot of a checked-in appointment (its routing credit)."""
        ctx = self.ctx
        body_hash = hashlib.sha256(req.model_dump_json().encode()).hexdigest()
        with ctx.db.write() as session:
            cfg = ctx.layout.current(session)
            now = ctx.clock()
            if idempotency_key is not None:
                seen = session.get(IdempotencyKeyRow, (ctx.hall_id, idempotency_key))
                if seen is not None:
                    if seen.request_hash != body_hash:
                        raise IdempotencyConflict
                    row = session.get(TicketRow, seen.ticket_id)
                    assert row is not None
                    return self._issued(cfg, row, replayed=True)
            category, item = self._resolve(cfg, req)
            calendar = ctx.calendar(cfg)
            if ctx.enforce_hours and (refusal := calendar.issue_refusal(now)):
                raise refusal
            if category.code in ctx.unserved_today(cfg):
                raise Refused("nobody_today",
                              f"今日无人办理{category.name.zh}，请改日办理或到服务台咨询",
                              f"Nobody serves {category.name.en} today: please come on "
                              "another day or ask at the help desk")
            day = calendar.service_day(now)
            seq = take_number(session, ctx.hall_id, category.code, day, category.daily_cap,
                              category.name.zh, category.name.en)
            ticket = Ticket(
                number=format_number(category.prefix, seq), category=category.code,
                service_day=day, issued_at=now, queued_at=now, priority=req.priority,
                appointment_at=appointment_at, item_code=item.code if item else None,
                expected_minutes=item.expected_minutes if item else None,
            )
            waiting = waiting_counts(session, ctx.hall_id, day)
            if base_credit_terms(ticket, now, cfg.routing):
                queue = [ticket_of(r) for r in waiting_rows(session, ctx.hall_id, day,
                                                            [category.code])]
                ahead = people_ahead(ticket, queue, now, cfg.routing)
            else:
                # A new ticket without credit scores 0, the lowest possible: all are ahead.
                ahead = waiting.get(category.code, 0)
            fc = ctx.forecast(session, cfg, category.code, ahead, waiting)
            row = TicketRow(
                hall_id=ctx.hall_id, service_day=day, number=ticket.number,
                issued_category=category.code, category=category.code,
                state=ticket.state.value, priority=ticket.priority, item_code=ticket.item_code,
                appointment_at=appointment_at,
                expected_minutes=ticket.expected_minutes, issued_at=now, queued_at=now,
                recalls=0, public_token=secrets.token_urlsafe(16), channel=channel,
                people_ahead_at_issue=ahead, predicted_wait_min=rounded_minutes(fc.minutes),
            )
            session.add(row)
            session.flush()
            add_event(session, row, action="issue", from_state=None, at=now, actor=channel,
                      detail=f"people_ahead={ahead} predicted={row.predicted_wait_min}")
            if idempotency_key is not None:
                session.add(IdempotencyKeyRow(hall_id=ctx.hall_id, key=idempotency_key,
                                              request_hash=body_hash, ticket_id=row.id,
                                              created_at=now))
            issued = self._issued(cfg, row, replayed=False)
            ctx.changed(HallChange("ticket", category=category.code, number=row.number))
        logger.info("issued %s (%s) via %s, %d ahead", issued.number, category.code, channel,
                    ahead)
        return issued

    def reissued(self, session: Session, ticket_id: int) -> IssuedTicket:
        """An already issued ticket again (a repeated check-in), marked replayed."""
        row = session.get(TicketRow, ticket_id)
        if row is None:
            raise NotFound("号票不存在", "no such ticket")
        return self._issued(self.ctx.layout.current(session), row, replayed=True)

    def row_of(self, session: Session, issued: IssuedTicket) -> TicketRow:
        """The stored row of a ticket just issued."""
        return self._by_token(session, issued.public_token)

    def status(self, token: str) -> TicketStatus:
        """Live status of a ticket by its public token."""
        with self.ctx.db.read() as session:
            cfg = self.ctx.layout.current(session)
            return self._status(session, cfg, self._by_token(session, token))

    def rejoin(self, token: str) -> TicketStatus:
        """A no-show citizen queues again, within the grace period, at the back."""
        return self._act(token, "rejoin")

    def cancel(self, token: str) -> TicketStatus:
        """The citizen gives the ticket up."""
        return self._act(token, "cancel")

    def _act(self, token: str, action: str) -> TicketStatus:
        with self.ctx.db.write() as session:
            cfg = self.ctx.layout.current(session)
            now = self.ctx.clock()
            row = self._by_token(session, token)
            ticket = ticket_of(row)
            before = ticket.state.value
            if action == "rejoin":
                ticket.rejoin(now, timedelta(minutes=cfg.routing.no_show_grace_min))
            elif ticket.state in AT_WINDOW_STATES:
                # Once called, the window owns the ticket (it records the no-show).
                raise Conflict("该号已叫号，请到窗口办理", "this ticket was called: please go to "
                               f"window {ticket.window}")
            else:
                ticket.cancel(now)
            store_ticket(row, ticket)
            add_event(session, row, action=action, from_state=before, at=now, actor="citizen")
            self.ctx.changed(HallChange("ticket", category=row.category, number=row.number))
            session.flush()
            return self._status(session, cfg, row)

    def _by_token(self, session: Session, token: str) -> TicketRow:
        row = session.scalar(select(TicketRow).where(TicketRow.public_token == token,
                                                     TicketRow.hall_id == self.ctx.hall_id))
        if row is None:
            raise NotFound("号票不存在或已过期", "no such ticket")
        return row

    def _status(self, session: Session, cfg: HallConfig, row: TicketRow) -> TicketStatus:
        now = self.ctx.clock()
        ticket = ticket_of(row)
        ahead: int | None = None
        wait: int | None = None
        if ticket.state is TicketState.WAITING and ticket.service_day == self.ctx.today(cfg):
            queue = [ticket_of(r) for r in waiting_rows(session, self.ctx.hall_id,
                                                        ticket.service_day, [ticket.category])]
            ahead = people_ahead(ticket, queue, now, cfg.routing)
            wait = rounded_minutes(self.ctx.forecast(session, cfg, ticket.category,
                                                     ahead).minutes)
        rejoin_until = None
        if ticket.state is TicketState.NO_SHOW and ticket.finished_at:
            rejoin_until = ticket.finished_at + timedelta(minutes=cfg.routing.no_show_grace_min)
        category = find_category(cfg, ticket.category)
        return TicketStatus(
            number=ticket.number, state=ticket.state, category=category.code,
            category_name=category.name, issued_at=ticket.issued_at, people_ahead=ahead,
            predicted_wait_min=wait,
            window=ticket.window if ticket.state in (TicketState.CALLED, TicketState.SERVING)
            else None,
            called_at=ticket.called_at,
            about_to_be_called=ahead is not None and ahead < ABOUT_TO_BE_CALLED,
            may_rejoin_until=rejoin_until,
            now=now,
        )

    def _issued(self, cfg: HallConfig, row: TicketRow, *, replayed: bool) -> IssuedTicket:
        category = find_category(cfg, row.issued_category)
        item = cfg.item(row.item_code) if row.item_code else None
        zone = cfg.zone(category.zone)
        return IssuedTicket(
            number=row.number, category=category.code, category_name=category.name,
            item_code=row.item_code, item_name=item.name if item else None,
            priority=row.priority, issued_at=row.issued_at, service_day=row.service_day,
            people_ahead=row.people_ahead_at_issue, predicted_wait_min=row.predicted_wait_min,
            zone=ZoneView(id=zone.id, name=zone.name, floor=zone.floor),
            windows=[w.number for w in cfg.windows_serving(category.code)],
            public_token=row.public_token, status_path=f"/t/{row.public_token}",
            replayed=replayed, appointment_at=row.appointment_at,
        )

    @staticmethod
    def _resolve(cfg: HallConfig, req: IssueTicketRequest) -> tuple[Category, Item | None]:
        item: Item | None = None
        if req.item_code is not None:
            try:
                item = cfg.item(req.item_code)
            except KeyError:
                raise NotFound(f"没有事项 {req.item_code}", f"no item {req.item_code!r}") from None
        if req.category is None:
            if item is None:
                raise InvalidRequest("请选择业务类别或事项", "give a category or an item")
            return find_category(cfg, item.category), item
        category = find_category(cfg, req.category)
        if item is not None and item.category != category.code:
            raise InvalidRequest(
                f"事项 {item.code} 不属于类别 {category.name.zh}",
                f"item {item.code} is not in category {category.code}",
            )
        return category, item
