"""Live queues per category: waiting, longest wait, predicted wait, warnings."""

from __future__ import annotations

from hallserver.domain.routing import call_order
from hallserver.services.hall import (
    HallContext,
    find_category,
    minutes_between,
    rounded_minutes,
)
from hallserver.services.records import (
    all_window_states,
    group_by_category,
    issued_today,
    ticket_of,
    waiting_rows,
)
from hallserver.services.views import QueueEntry, QueueInfo, QueueWarning


class QueueService:
    """Read models of the hall's queues."""

    def __init__(self, ctx: HallContext) -> None:
        self.ctx = ctx

    def overview(self) -> list[QueueInfo]:
        """Every category's queue at this moment."""
        ctx = self.ctx
        with ctx.db.read() as session:
            cfg = ctx.layout.current(session)
            now = ctx.clock()
            day = ctx.calendar(cfg).service_day(now)
            codes = [c.code for c in cfg.categories]
            waiting = group_by_category(waiting_rows(session, ctx.hall_id, day, codes))
            issued = issued_today(session, ctx.hall_id, day)
            states = all_window_states(session, ctx.hall_id)
            out = []
            for c in cfg.categories:
                rows = waiting.get(c.code, [])
                longest = max((minutes_between(r.queued_at, now) for r in rows), default=0.0)
                fc = ctx.forecast(session, cfg, c.code, len(rows))
                open_windows = [
                    w.number for w in cfg.windows_serving(c.code)
                    if (s := states.get(w.number)) and s.staff_id and s.status == "open"
                ]
                warnings: list[QueueWarning] = []
                if len(rows) >= c.warn_waiting:
                    warnings.append("waiting_over_threshold")
                if longest >= c.warn_wait_min:
                    warnings.append("wait_over_threshold")
                if rows and not open_windows:
                    warnings.append("no_open_window")
                out.append(QueueInfo(
                    category=c.code, prefix=c.prefix, name=c.name, zone=c.zone,
                    waiting=len(rows), longest_wait_min=round(longest, 1),
                    predicted_wait_min=rounded_minutes(fc.minutes), open_windows=open_windows,
                    issued_today=issued.get(c.code, 0), daily_cap=c.daily_cap,
                    warnings=warnings,
                ))
            return out

    def entries(self, category: str) -> list[QueueEntry]:
        """A category's waiting tickets in call order (as its primary windows see it)."""
        ctx = self.ctx
        with ctx.db.read() as session:
            cfg = ctx.layout.current(session)
            code = find_category(cfg, category).code
            now = ctx.clock()
            day = ctx.today(cfg)
            tickets = [ticket_of(r) for r in waiting_rows(session, ctx.hall_id, day, [code])]
            return [
                QueueEntry(
                    position=i + 1, number=t.number, waited_min=round(t.wait_minutes(now), 1),
                    priority=t.priority, appointment=t.appointment_at is not None,
                    target_window=t.target_window,
                )
                for i, t in enumerate(call_order(tickets, now, cfg.routing))
            ]
