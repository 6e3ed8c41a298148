"""Window use cases: sign in/out (A/B角), call next, recall, start, complete, no-show,
transfer, pause/away/resume. A staff member acts only on the window they signed in to."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.config.models import HallConfig, StaffRole, Window
from hallserver.domain.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from hallserver.domain.privacy import mask_personal
from hallserver.domain.routing import WindowView
from hallserver.domain.tickets import AT_WINDOW_STATES, Outcome, Ticket, TicketState
from hallserver.domain.windows import PauseCode, WindowState
from hallserver.services.cases import CaseService
from hallserver.services.hall import HallChange, HallContext, find_category, minutes_between
from hallserver.services.photos import StaffPhotos
from hallserver.services.ratings import RatingService
from hallserver.services.records import (
    add_event,
    all_window_states,
    group_by_category,
    store_ticket,
    store_window,
    ticket_of,
    waiting_rows,
    window_of,
    window_row,
)
from hallserver.services.views import (
    CallResult,
    CompleteRequest,
    CurrentTicket,
    LastCase,
    Principal,
    StaffOnDuty,
    TransferRequest,
    WindowInfo,
)
from hallserver.store.models import CaseRow, TicketRow, WindowStateRow

logger = logging.getLogger(__name__)

MANAGERS = ("manager", "admin")
AT_WINDOW_VALUES = frozenset(s.value for s in AT_WINDOW_STATES)


class _Act:
    """One window action in progress: the loaded rows and their domain objects."""

    def __init__(self, session: Session, cfg: HallConfig, window_cfg: Window,
                 state: WindowState, now: datetime, today: date) -> None:
        self.session = session
        self.cfg = cfg
        self.window_cfg = window_cfg
        self.state = state
        self.now = now
        self.today = today
        self.ticket_row: TicketRow | None = (
            session.get(TicketRow, state.current_ticket) if state.current_ticket else None
        )
        if self.ticket_row is not None and self.ticket_row.state not in AT_WINDOW_VALUES:
            # The ticket left the window by another path (e.g. cancelled): free the window.
            self.ticket_row = None
            state.release(now)

    def current(self) -> tuple[TicketRow, Ticket]:
        if self.ticket_row is None:
            raise Conflict(f"{self.state.number}号窗口当前没有号票",
                             f"window {self.state.number} has no current ticket")
        return self.ticket_row, ticket_of(self.ticket_row)

    def save(self, row: TicketRow, ticket: Ticket, action: str, before: TicketState,
             actor: str, detail: str | None = None) -> None:
        store_ticket(row, ticket)
        add_event(self.session, row, action=action, from_state=before.value, at=self.now,
                  actor=actor, detail=detail)


Action = Callable[[_Act], None]


class WindowService:
    """Everything staff do at a window."""

    def __init__(self, ctx: HallContext, cases: CaseService,
                 ratings: RatingService | None = None) -> None:
        self.ctx = ctx
        self.cases = cases
        self.ratings = ratings
        self.photos = StaffPhotos(ctx.config_dir)

    # ---- reads --------------------------------------------------------------------------

    def list(self, *, public: bool = False) -> list[WindowInfo]:
        """Every window of the hall with its working state. `public` (nobody signed in):
        without the last case, whose link opens the case (办件) for whoever holds it."""
        with self.ctx.db.read() as session:
            cfg = self.ctx.layout.current(session)
            rows = all_window_states(session, self.ctx.hall_id)
            return [self._info(session, cfg, w, rows.get(w.number), public=public)
                    for w in cfg.windows]

    def get(self, number: int, *, public: bool = False) -> WindowInfo:
        """One window with its working state (`public`: as `list`)."""
        with self.ctx.db.read() as session:
            cfg = self.ctx.layout.current(session)
            window_cfg = self._window(cfg, number)
            row = session.get(WindowStateRow, (self.ctx.hall_id, number))
            return self._info(session, cfg, window_cfg, row, public=public)

    # ---- staffing -----------------------------------------------------------------------

    def sign_in(self, number: int, user: Principal, role: StaffRole) -> WindowInfo:
        """Take the window in role A or B, as the roster allows; one window per person."""
        def act(a: _Act) -> None:
            for other in all_window_states(a.session, self.ctx.hall_id).values():
                if other.staff_id == user.username and other.number != number:
                    raise Conflict(
                        f"您已在{other.number}号窗口签到，请先签退",
                        f"you are signed in at window {other.number}; sign out there first",
                    )
            a.state.sign_in(user.username, role, a.now, a.cfg)
        return self._run(number, user, act, operator_only=False)

    def sign_out(self, number: int, user: Principal) -> WindowInfo:
        """Leave the window. A called ticket goes back to its place; a ticket being served
        blocks staff (finish it first) but a manager clearing the window returns it to its
        queue with its issue time. Tickets transferred to this window are released."""
        def act(a: _Act) -> None:
            if a.ticket_row is not None:
                row, ticket = a.current()
                before = ticket.state
                if ticket.state is TicketState.SERVING:
                    if user.role not in MANAGERS:
                        raise Conflict("请先办结或转移正在办理的号票",
                                       "complete or transfer the ticket being served first")
                    ticket.transfer(ticket.category)
                else:
                    ticket.requeue()
                a.save(row, ticket, "requeue", before, user.username, "window signed out")
                a.state.release(a.now)
            for reserved in a.session.scalars(select(TicketRow).where(
                    TicketRow.hall_id == self.ctx.hall_id, TicketRow.target_window == number,
                    TicketRow.state == TicketState.WAITING.value)):
                reserved.target_window = None  # anyone serving the category may call it now
            a.state.sign_out()
        return self._run(number, user, act, managers_may=True)

    def pause(self, number: int, user: Principal, reason: str,
              code: PauseCode = PauseCode.OTHER) -> WindowInfo:
        """Stop taking calls for a while, with a reason (staff only) and a public code."""
        return self._run(number, user, lambda a: a.state.pause(mask_personal(reason), code),
                         managers_may=True)

    def away(self, number: int, user: Principal) -> WindowInfo:
        """Staff stepped away from the desk."""
        return self._run(number, user, lambda a: a.state.away())

    def resume(self, number: int, user: Principal) -> WindowInfo:
        """Take calls again."""
        return self._run(number, user, lambda a: a.state.resume(a.now), managers_may=True)

    # ---- the ticket at the window -----------------------------------------------------

    def call_next(self, number: int, user: Principal) -> CallResult:
        """Call the ticket the routing policy picks for this window, recording why."""
        found: list[tuple[TicketRow, str]] = []

        def act(a: _Act) -> None:
            a.state.require_can_call()
            view = WindowView.of(a.window_cfg)
            rows = waiting_rows(a.session, self.ctx.hall_id, a.today, view.skills)
            by_id = {r.id: r for r in rows}
            queues = {c: [ticket_of(r) for r in rs] for c, rs in group_by_category(rows).items()}
            choice = self.ctx.policy(a.cfg).choose(view, queues, a.now)
            if choice is None:
                return
            row = by_id[choice.ticket.id or 0]
            ticket = choice.ticket
            ticket.call(number, a.now)
            row.call_reason = choice.reason
            row.staff_id = a.state.staff_id
            a.save(row, ticket, "call", TicketState.WAITING, user.username, choice.reason)
            a.state.take(row.id)
            a.ticket_row = row
            found.append((row, choice.reason))
            self.ctx.changed(HallChange("call", window=number, number=row.number,
                                        category=row.category, ticket_id=row.id))

        info = self._run(number, user, act)
        if not found:
            return CallResult(window=info, called=None, reason=None,
                              message="当前没有可办理的号票",
                              message_en="nothing waiting for this window")
        row, reason = found[0]
        logger.info("window %d called %s", number, row.number)
        return CallResult(window=info, called=info.current, reason=reason,
                          message=f"请 {row.number} 号到 {number} 号窗口办理",
                          message_en=f"Ticket {row.number}, please go to window {number}")

    def recall(self, number: int, user: Principal) -> WindowInfo:
        """Call the current ticket again."""
        def act(a: _Act) -> None:
            row, ticket = a.current()
            ticket.recall(a.now)
            a.save(row, ticket, "recall", TicketState.CALLED, user.username)
            self.ctx.changed(HallChange("call", window=number, number=row.number,
                                        category=row.category, ticket_id=row.id, recall=True))
        return self._run(number, user, act)

    def start(self, number: int, user: Principal) -> WindowInfo:
        """The citizen arrived: service starts."""
        def act(a: _Act) -> None:
            row, ticket = a.current()
            ticket.start(a.now)
            row.staff_id = a.state.staff_id
            a.save(row, ticket, "start", TicketState.CALLED, user.username)
        return self._run(number, user, act)

    def complete(self, number: int, user: Principal, req: CompleteRequest) -> WindowInfo:
        """Finish the service with an outcome; feeds the live service-time estimate."""
        served: list[tuple[str, float]] = []

        def act(a: _Act) -> None:
            row, ticket = a.current()
            ticket.complete(a.now, req.outcome)
            row.notes = mask_personal(req.notes) if req.notes else None
            a.save(row, ticket, "complete", TicketState.SERVING, user.username,
                   req.outcome.value)
            staff_id = a.state.staff_id or user.username
            if req.outcome is Outcome.ACCEPTED:
                case = self.cases.open(a.session, a.cfg, row, window=number,
                                       staff_id=staff_id, now=a.now)
                case.receipt = "no-printer"  # the bus, if running, sends it: "queued"
                self.ctx.changed(HallChange("receipt", window=number, case_id=case.id))
            a.state.release(a.now)
            self.ctx.changed(HallChange("complete", window=number, number=row.number,
                                        category=row.category, ticket_id=row.id))
            if self.ratings is not None:  # one rating per transaction: arm the pad
                self.ratings.arm(a.session, a.cfg, row, window=number, staff_id=staff_id,
                                 now=a.now)
            assert ticket.serving_at is not None
            served.append((ticket.category, minutes_between(ticket.serving_at, a.now)))

        info = self._run(number, user, act)
        for category, minutes in served:  # only once committed
            self.ctx.estimator.observe(category, minutes)
        return info

    def no_show(self, number: int, user: Principal) -> WindowInfo:
        """The called citizen did not come (过号); they may rejoin within the grace period."""
        def act(a: _Act) -> None:
            row, ticket = a.current()
            ticket.no_show(a.now)
            a.save(row, ticket, "no_show", TicketState.CALLED, user.username)
            a.state.release(a.now)
        return self._run(number, user, act)

    def transfer(self, number: int, user: Principal, req: TransferRequest) -> WindowInfo:
        """Send the current ticket to another category/window, keeping its issue time."""
        def act(a: _Act) -> None:
            row, ticket = a.current()
            target = self._transfer_target(a.cfg, ticket.category, req)
            before = ticket.state
            ticket.transfer(target, req.window)
            detail = f"to {target}" + (f" window {req.window}" if req.window else "")
            a.save(row, ticket, "transfer", before, user.username, detail)
            a.state.release(a.now)
        return self._run(number, user, act)

    # ---- plumbing -------------------------------------------------------------------------

    def _run(self, number: int, user: Principal, action: Action, *,
             managers_may: bool = False, operator_only: bool = True) -> WindowInfo:
        ctx = self.ctx
        with ctx.db.write() as session:
            cfg = ctx.layout.current(session)
            now = ctx.clock()
            window_cfg = self._window(cfg, number)
            row = window_row(session, ctx.hall_id, number, now)
            state = window_of(row, number)
            if operator_only:
                self._authorize(state, user, managers_may)
            elif user.role != "staff":
                raise NotAllowed("只有窗口工作人员可以签到", "only staff sign in at windows")
            act = _Act(session, cfg, window_cfg, state, now, ctx.today(cfg))
            action(act)
            store_window(row, state, now)
            ctx.changed(HallChange("window", window=number))
            session.flush()
            return self._info(session, cfg, window_cfg, row)

    @staticmethod
    def _authorize(state: WindowState, user: Principal, managers_may: bool) -> None:
        if managers_may and user.role in MANAGERS:
            return
        if user.role != "staff" or state.staff_id != user.username:
            raise NotAllowed(
                f"您未在{state.number}号窗口签到，不能操作该窗口",
                f"you are not signed in at window {state.number}",
            )

    @staticmethod
    def _window(cfg: HallConfig, number: int) -> Window:
        try:
            return cfg.window(number)
        except KeyError:
            raise NotFound(f"没有{number}号窗口", f"no window {number}") from None

    def _transfer_target(self, cfg: HallConfig, current: str, req: TransferRequest) -> str:
        if req.category is None and req.window is None:
            raise InvalidRequest("请选择转入的类别或窗口", "give a category or a window")
        category = find_category(cfg, req.category).code if req.category else None
        if req.window is None:
            assert category is not None
            return category
        target = self._window(cfg, req.window)
        if category is None:
            category = current if current in target.skills else target.primary
        if category not in target.skills:
            raise InvalidRequest(
                f"{target.number}号窗口不办理该类别业务",
                f"window {target.number} does not serve category {category}",
            )
        return category

    def _info(self, session: Session, cfg: HallConfig, w: Window,
              row: WindowStateRow | None, *, public: bool = False) -> WindowInfo:
        state = window_of(row, w.number)
        now = self.ctx.clock()
        staff = None
        if state.staff_id and state.staff_role:
            seed = next((s for s in cfg.staff if s.id == state.staff_id), None)
            photo = self.photos.get(cfg, state.staff_id)
            staff = StaffOnDuty(id=state.staff_id, name=seed.name if seed else state.staff_id,
                                role=state.staff_role, photo=photo.digest if photo else None)
        current = None
        if state.current_ticket is not None:
            t = session.get(TicketRow, state.current_ticket)
            if t is not None and t.state in {s.value for s in AT_WINDOW_STATES}:
                current = CurrentTicket(
                    number=t.number, state=TicketState(t.state), category=t.category,
                    item_code=t.item_code, priority=t.priority, called_at=t.called_at,
                    serving_at=t.serving_at, recalls=t.recalls,
                    waited_min=round(minutes_between(t.issued_at, t.called_at or now), 1),
                    call_reason=t.call_reason,
                )
        in_hours = self.ctx.calendar(cfg).in_opening_hours(now)
        return WindowInfo(
            number=w.number, name=w.name, zone=w.zone, primary=w.primary,
            secondary=list(w.secondary), priority_lane=w.priority_lane, express=w.express,
            status=state.status, pause_reason=None if public else state.pause_reason,
            pause_code=state.pause_code, staff=staff, current=current,
            idle_since=state.idle_since, flags=state.flags(in_hours),
            last_case=None if public else self._last_case(session, cfg, w.number, now),
        )

    def _last_case(self, session: Session, cfg: HallConfig, number: int,
                   now: datetime) -> LastCase | None:
        calendar = self.ctx.calendar(cfg)
        start = calendar.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
        row = session.scalar(select(CaseRow).where(
            CaseRow.hall_id == self.ctx.hall_id, CaseRow.window == number,
            CaseRow.accepted_at >= start).order_by(CaseRow.accepted_at.desc(),
                                                   CaseRow.id.desc()).limit(1))
        if row is None:
            return None
        return LastCase(case_no=row.case_no, public_path=f"/c/{row.public_token}",
                        receipt=row.receipt or "not-sent", accepted_at=row.accepted_at)
