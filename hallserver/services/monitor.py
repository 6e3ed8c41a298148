"""The manager dashboard's numbers and the hall monitor that raises its alerts.

`overview()` gives what GET /api/queues, /api/windows, /api/devices and /api/alerts do not:
today's share called within 20 minutes, serving and idle times per window, idle windows
while tickets they could serve wait, the hall's summary line, and the conditions holding
now. `check()` (every `monitor.check_interval_s`) raises one alert when a condition begins
and resolves it by itself (acknowledged by `AUTO_RESOLVED`) when it ends; a recurrence later
is a new alert. Bad ratings and overdue follow-ups raise their own alerts elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.protocol.messages import PaperState
from hallserver.config.models import HallConfig, Window
from hallserver.domain import monitor as rules
from hallserver.domain.routing import WindowView
from hallserver.domain.tickets import TicketState
from hallserver.domain.windows import WindowStatus
from hallserver.services.alerts import AlertService
from hallserver.services.devices import DeviceHealth, DeviceRegistry
from hallserver.services.hall import HallChange, HallContext
from hallserver.services.queues import QueueService
from hallserver.services.records import all_window_states
from hallserver.services.views import QueueInfo, View
from hallserver.store.models import AlertRow, TicketRow, WindowStateRow

logger = logging.getLogger(__name__)

AUTO_RESOLVED = "system:cleared"  # acknowledged_by of an alert whose condition ended
PAPER_OUT_PROBLEM = "缺纸 / paper out"


class CategoryService(View):
    """A category's service level today (the 20-minute goal)."""

    category: str
    called: int  # tickets issued today in this category that were called at least once
    within_goal: int  # ... of which first called within the goal
    late_uncalled: int  # never called, waiting (or cancelled) after longer than the goal
    share_within_goal: float | None  # within_goal / (called + late_uncalled)


class WindowLoad(View):
    """A window's times (minutes, one decimal; None when not applicable)."""

    number: int
    status: WindowStatus
    staffed: bool
    at_window_min: float | None  # the current ticket, since it was called
    serving_min: float | None  # the current ticket, since service started
    idle_min: float | None  # open, staffed and without a ticket, since
    eligible_waiting: int  # tickets waiting that this window may call
    idle_while_waiting_min: float | None  # idle while some of those wait, since
    unstaffed_min: float | None  # opening hours and nobody signed in, since
    served_today: int


class HallSummary(View):
    """The hall's line: today so far."""

    issued: int
    served: int  # finished at a window (办结, 受理, 退回补正)
    waiting: int
    at_windows: int  # called or being served now
    called: int  # tickets of today called at least once
    avg_wait_min: float | None  # issue to first call, over `called`
    share_within_goal: float | None


class ConditionView(View):
    """A condition holding now (the monitor raises an alert when one begins)."""

    kind: str
    subject: str
    level: str
    message: str
    message_en: str


class MonitorOverview(View):
    """What the dashboard adds to the queue, window, device and alert lists."""

    at: datetime
    service_day: date
    in_opening_hours: bool
    goal_min: float
    summary: HallSummary
    categories: list[CategoryService]
    windows: list[WindowLoad]
    conditions: list[ConditionView]


class CheckResult(View):
    """What one monitor check changed."""

    holding: int
    raised: list[int]
    resolved: list[int]


@dataclass(frozen=True, slots=True)
class _Ticket:
    id: int
    issued_category: str
    category: str
    state: str
    issued_at: datetime
    queued_at: datetime
    called_at: datetime | None
    first_called_at: datetime | None  # kept through requeue / transfer / rejoin
    serving_at: datetime | None
    finished_at: datetime | None
    window: int | None
    target_window: int | None


class MonitorService:
    """Dashboard numbers and the alert check of one hall."""

    def __init__(self, ctx: HallContext, queues: QueueService, alerts: AlertService,
                 devices: DeviceRegistry) -> None:
        self.ctx = ctx
        self.queues = queues
        self.alerts = alerts
        self.devices = devices
        self._lock = threading.Lock()  # one check at a time; guards the fields below
        self._episodes: dict[rules.Key, int] | None = None  # open episode -> alert id
        self._offline_seen: dict[str, datetime] = {}  # never-seen devices: first seen offline

    # ---- the overview -------------------------------------------------------------------

    def overview(self) -> MonitorOverview:
        """Service level, window times, summary and conditions at this moment."""
        return self._snapshot()[0]

    def _snapshot(self) -> tuple[MonitorOverview, list[rules.Condition]]:
        queues = self.queues.overview()
        devices = self.devices.all()
        ctx = self.ctx
        with ctx.db.read() as session:
            cfg = ctx.layout.current(session)
            now = ctx.clock()
            calendar = ctx.calendar(cfg)
            day = calendar.service_day(now)
            in_hours = calendar.in_opening_hours(now)
            tickets = self._tickets(session, day)
            states = all_window_states(session, ctx.hall_id)
            local = calendar.local(now)
            began = rules.session_start(calendar.sessions_on(local.date()), local)
        categories = self._service_levels(cfg, tickets, now)
        expected = self.ctx.staffed_today(cfg)
        windows = [self._window(w, states.get(w.number), tickets, now,
                                began if in_hours and w.number in expected else None)
                   for w in cfg.windows]
        waits = [rules.minutes(t.issued_at, t.first_called_at) for t in tickets.values()
                 if t.first_called_at is not None]
        called = sum(c.called for c in categories)
        within = sum(c.within_goal for c in categories)
        late = sum(c.late_uncalled for c in categories)
        summary = HallSummary(
            issued=len(tickets),
            served=sum(1 for t in tickets.values() if t.state == TicketState.DONE.value),
            waiting=sum(q.waiting for q in queues),
            at_windows=sum(1 for t in tickets.values()
                           if t.state in (TicketState.CALLED.value, TicketState.SERVING.value)),
            called=called,
            avg_wait_min=round(sum(waits) / len(waits), 1) if waits else None,
            share_within_goal=rules.share(within, called + late),
        )
        conditions = self._conditions(cfg, queues, windows, devices, now)
        return MonitorOverview(
            at=now, service_day=day, in_opening_hours=in_hours, goal_min=rules.WITHIN_MIN,
            summary=summary, categories=categories, windows=windows,
            conditions=[ConditionView(kind=c.kind, subject=c.subject, level=c.level,
                                      message=c.message, message_en=c.message_en)
                        for c in conditions],
        ), conditions

    def _tickets(self, session: Session, day: date) -> dict[int, _Ticket]:
        rows = session.execute(select(
            TicketRow.id, TicketRow.issued_category, TicketRow.category, TicketRow.state,
            TicketRow.issued_at, TicketRow.queued_at, TicketRow.called_at,
            TicketRow.first_called_at, TicketRow.serving_at, TicketRow.finished_at,
            TicketRow.window, TicketRow.target_window,
        ).where(TicketRow.hall_id == self.ctx.hall_id, TicketRow.service_day == day))
        return {r.id: _Ticket(
            id=r.id, issued_category=r.issued_category, category=r.category, state=r.state,
            issued_at=r.issued_at, queued_at=r.queued_at, called_at=r.called_at,
            first_called_at=r.first_called_at, serving_at=r.serving_at,
            finished_at=r.finished_at, window=r.window, target_window=r.target_window)
            for r in rows}

    @staticmethod
    def _service_levels(cfg: HallConfig, tickets: dict[int, _Ticket],
                        now: datetime) -> list[CategoryService]:
        called: Counter[str] = Counter()
        within: Counter[str] = Counter()
        late: Counter[str] = Counter()
        for t in tickets.values():
            first = t.first_called_at  # a recall, requeue or transfer does not move it
            if first is not None:
                called[t.issued_category] += 1
                if rules.within_goal(t.issued_at, first):
                    within[t.issued_category] += 1
            elif rules.missed_goal(t.issued_at, t.state == TicketState.WAITING.value,
                                   t.finished_at if t.state == TicketState.CANCELLED.value
                                   else None, now):
                late[t.issued_category] += 1
        return [CategoryService(category=c.code, called=called[c.code],
                                within_goal=within[c.code], late_uncalled=late[c.code],
                                share_within_goal=rules.share(
                                    within[c.code], called[c.code] + late[c.code]))
                for c in cfg.categories]

    @staticmethod
    def _window(w: Window, row: WindowStateRow | None, tickets: dict[int, _Ticket],
                now: datetime, session_began: datetime | None) -> WindowLoad:
        status = WindowStatus(row.status) if row is not None else WindowStatus.CLOSED
        staffed = row is not None and row.staff_id is not None
        current = tickets.get(row.current_ticket_id) if row and row.current_ticket_id else None
        if current is not None and current.state not in (TicketState.CALLED.value,
                                                         TicketState.SERVING.value):
            current = None
        skills = set(WindowView.of(w).skills)
        eligible = [t for t in tickets.values()
                    if t.state == TicketState.WAITING.value and t.category in skills
                    and t.target_window in (None, w.number)]
        idle = staffed and status is WindowStatus.OPEN and current is None
        idle_since = row.idle_since if idle and row is not None else None
        oldest = min((t.queued_at for t in eligible), default=None)
        iww = rules.idle_while_waiting_since(idle_since, oldest)
        unstaffed = None
        if not staffed:
            closed_at = row.updated_at if row is not None else None
            unstaffed = rules.unstaffed_since(session_began, closed_at)
        return WindowLoad(
            number=w.number, status=status, staffed=staffed,
            at_window_min=rules.minutes(current.called_at, now)
            if current and current.called_at else None,
            serving_min=rules.minutes(current.serving_at, now)
            if current and current.serving_at else None,
            idle_min=rules.minutes(idle_since, now) if idle_since else None,
            eligible_waiting=len(eligible),
            idle_while_waiting_min=rules.minutes(iww, now) if iww else None,
            unstaffed_min=rules.minutes(unstaffed, now) if unstaffed else None,
            served_today=sum(1 for t in tickets.values()
                             if t.window == w.number and t.state == TicketState.DONE.value),
        )

    # ---- conditions -----------------------------------------------------------------------

    def _conditions(self, cfg: HallConfig, queues: list[QueueInfo], windows: list[WindowLoad],
                    devices: list[DeviceHealth], now: datetime) -> list[rules.Condition]:
        out: list[rules.Condition] = []
        by_code = {c.code: c for c in cfg.categories}
        for q in queues:
            c = by_code.get(q.category)
            if c is None:
                continue
            out += rules.queue_conditions(rules.QueueFacts(
                code=c.code, prefix=c.prefix, name_zh=c.name.zh, name_en=c.name.en,
                waiting=q.waiting, longest_min=q.longest_wait_min,
                warn_waiting=c.warn_waiting, warn_wait_min=c.warn_wait_min))
        for w in windows:
            out += rules.window_conditions(rules.WindowFacts(
                number=w.number, unstaffed_min=w.unstaffed_min,
                idle_while_waiting_min=w.idle_while_waiting_min,
                eligible_waiting=w.eligible_waiting), cfg.monitor)
        for d in devices:
            out += rules.device_conditions(self._device_facts(d, now), cfg.monitor)
        out += rules.calendar_conditions(cfg.service_days.covers_until,
                                         self.ctx.calendar(cfg).service_day(now))
        return out

    def _device_facts(self, d: DeviceHealth, now: datetime) -> rules.DeviceFacts:
        offline_s = None
        if d.online is False:  # None: the bus is down, presence unknown
            since = d.status_at or self._offline_seen.setdefault(d.id, now)
            offline_s = (now - since).total_seconds()
        elif d.online:
            self._offline_seen.pop(d.id, None)
        faults = tuple(p for p in d.problems if p != PAPER_OUT_PROBLEM) \
            if d.health == "fault" else ()
        return rules.DeviceFacts(
            id=d.id, type=d.type.value, window=d.window, offline_s=offline_s,
            paper_out=d.online is True and d.paper is PaperState.OUT, faults=faults)

    # ---- the check --------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Raise an alert for each condition that began, resolve those that ended."""
        with self._lock:
            holding = self._snapshot()[1]
            episodes = self._load_episodes()
            todo = rules.plan(episodes, holding)
            if not self.devices.link():  # presence unknown: device episodes stay as they are
                todo = rules.Plan(begin=todo.begin, end=[
                    k for k in todo.end if k[0] not in rules.DEVICE_KINDS])
            if not todo.begin and not todo.end:
                return CheckResult(holding=len(holding), raised=[], resolved=[])
            began: dict[rules.Key, int] = {}
            resolved: list[int] = []
            with self.ctx.db.write() as session:
                now = self.ctx.clock()
                for c in todo.begin:
                    row = self.alerts.raise_(
                        session, kind=c.kind, ref=self._free_ref(session, c, now),
                        level=c.level, message=c.message, message_en=c.message_en, at=now)
                    began[c.key] = row.id
                for key in todo.end:
                    ended = session.get(AlertRow, episodes[key])
                    if ended is not None and ended.acknowledged_at is None:
                        ended.acknowledged_at, ended.acknowledged_by = now, AUTO_RESOLVED
                        resolved.append(ended.id)
                if resolved:
                    self.ctx.changed(HallChange("alert"))
            for key in todo.end:  # only once committed
                episodes.pop(key, None)
            episodes.update(began)
            if resolved:
                logger.info("alerts resolved by themselves: %s", resolved)
            return CheckResult(holding=len(holding), raised=sorted(began.values()),
                               resolved=resolved)

    def _free_ref(self, session: Session, c: rules.Condition, now: datetime) -> str:
        """An episode ref not used yet (a condition may end and begin again within the
        same second)."""
        base = ref = rules.episode_ref(c.subject, now)
        n = 1
        while session.scalar(select(AlertRow.id).where(
                AlertRow.hall_id == self.ctx.hall_id, AlertRow.kind == c.kind,
                AlertRow.ref == ref)) is not None:
            n += 1
            ref = f"{base}.{n}"
        return ref

    def _load_episodes(self) -> dict[rules.Key, int]:
        """Open episodes: remembered, or after a start the unacknowledged monitor alerts
        on record (an episode a manager acknowledged before a restart is raised again if
        its condition still holds)."""
        if self._episodes is None:
            with self.ctx.db.read() as session:
                rows = session.execute(select(AlertRow.kind, AlertRow.ref, AlertRow.id).where(
                    AlertRow.hall_id == self.ctx.hall_id,
                    AlertRow.kind.in_(sorted(rules.MONITOR_KINDS)),
                    AlertRow.acknowledged_at.is_(None)))
                self._episodes = dict(rules.latest_by_subject(
                    (str(k), str(r), int(i)) for k, r, i in rows))
        return self._episodes

    async def watch(self) -> None:
        """Check every `monitor.check_interval_s` (read from the current layout) forever;
        the first check waits one interval, so devices can connect after a start."""
        while True:
            await asyncio.sleep(self._interval())
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                logger.exception("monitor check failed; trying again")

    def _interval(self) -> float:
        try:
            with self.ctx.db.read() as session:
                return float(self.ctx.layout.current(session).monitor.check_interval_s)
        except Exception:
            logger.exception("monitor interval unreadable; using 15 s")
            return 15.0
