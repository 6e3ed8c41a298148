"""Discrete-event simulation of a hall day, driving a dispatcher (routing policy) and the
production ETA predictor on production `Ticket` objects.

Clock: float minutes after midnight; tickets carry the matching datetimes. A window is
staffed during its duty intervals; it finishes the citizen in front of it when a gap
starts. After the last session, windows serve whoever still waits, then go home.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from hallserver.domain.eta import ServiceTimeEstimator, forecast
from hallserver.domain.numbering import format_number
from hallserver.domain.routing import WindowView, base_credit_terms, people_ahead
from hallserver.domain.tickets import Outcome, Ticket
from hallserver.sim.workload import Customer, Day

DONE, OFF, SKILL, ON, REJOIN = 0, 1, 2, 3, 4  # event kinds; at equal times in this order


@dataclass
class HallState:
    """Live state of the simulated hall that dispatchers may read."""

    idle: dict[int, float] = field(default_factory=dict)  # window index -> idle since
    on_duty: list[bool] = field(default_factory=list)
    free_at: list[float] = field(default_factory=list)  # expected end of current service
    now: float = 0.0


class Dispatcher(Protocol):
    """How tickets reach windows: late binding (a routing policy) or bound at print time."""

    name: str
    views: list[WindowView]  # what the routing sees of each window (index = number - 1)
    eligible: list[frozenset[str]]  # categories each window's staff could serve
    slowdown: bool  # secondary skills are slower (false for the pooled reference)

    def add(self, ticket: Ticket, state: HallState) -> int | None:
        """Queue a new (or rejoining) ticket; return an idle window to call now, if any."""
        ...

    def take(self, window: int, now: datetime) -> Ticket | None:
        """Remove and return the ticket this window calls now, or None."""
        ...

    def waiting(self, category: str) -> list[Ticket]:
        """Waiting tickets of a category, oldest queued first."""
        ...

    def oldest(self, category: str) -> Ticket | None:
        """The waiting ticket of a category that queued first."""
        ...

    def reskill(self, window: int, view: WindowView) -> None:
        """A tidal switch: the window serves these skills from now on (may be ignored)."""
        ...


@dataclass
class RunResult:
    """Per-ticket and per-window outcomes of one simulated day under one dispatcher."""

    policy: str
    customers: tuple[Customer, ...]
    first_call: list[float]  # minutes after midnight; nan if never called
    predicted: list[float]  # predicted wait printed on the ticket (minutes)
    no_shows: int = 0
    overtakes: int = 0
    calls: int = 0
    idle_eligible_min: float = 0.0
    busy_min: list[float] = field(default_factory=list)
    duty_min: list[float] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # primary category of each window
    last_call: float = 0.0
    cpu_s: float = 0.0


def simulate(day: Day, dispatcher: Dispatcher) -> RunResult:
    """Run one day; the dispatcher must be fresh (it holds the queues)."""
    cpu0 = time.process_time()
    sim = _Run(day, dispatcher)
    sim.run()
    sim.result.cpu_s = time.process_time() - cpu0
    return sim.result


class _Run:
    def __init__(self, day: Day, disp: Dispatcher) -> None:
        self.day = day
        self.disp = disp
        n = len(day.windows)
        self.state = HallState(on_duty=[False] * n, free_at=[0.0] * n)
        self.busy = [False] * n
        self.final = [iv[-1][1] >= day.close if (iv := w.duty) else False
                      for w in day.windows]
        self.closing = [False] * n
        self.current: list[tuple[Ticket, float, bool] | None] = [None] * n
        self.events: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.tickets: list[Ticket | None] = [None] * len(day.customers)
        self.rejoined = [False] * len(day.customers)
        self.waiting_n = dict.fromkeys(day.categories, 0)
        self.total_waiting = 0
        self.serving: dict[str, list[WindowView]] = {
            c: [v for v in disp.views if c in v.skills] for c in day.categories}
        self.estimator = ServiceTimeEstimator(prior_minutes=dict(day.priors))
        self.counters = dict.fromkeys(day.categories, 0)
        self.base = day.start
        self._last_t = 0.0
        self._last_dt = self.base
        self.sessions = [(self._dt(a), self._dt(b)) for a, b in day.sessions]
        self.started_at = [0.0] * n
        self.result = RunResult(
            disp.name, day.customers, [float("nan")] * len(day.customers),
            [float("nan")] * len(day.customers), busy_min=[0.0] * n,
            duty_min=[sum(b - a for a, b in w.duty) for w in day.windows],
            groups=[w.view.primary for w in day.windows])
        self.reskills: list[tuple[int, WindowView]] = []  # SKILL event argument -> change
        for w, win in enumerate(day.windows):
            for a, b in win.duty:
                self._push(a, ON, w)
                self._push(b, OFF, w)
            for a, b, view in win.shifts:
                self.reskills.append((w, view))
                self._push(max(a, 0.0), SKILL, len(self.reskills) - 1)
                if b != math.inf:
                    self.reskills.append((w, win.view))
                    self._push(b, SKILL, len(self.reskills) - 1)

    def _push(self, t: float, kind: int, arg: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, kind, self.seq, arg))

    def _dt(self, t: float) -> datetime:
        if t != self._last_t:  # calls follow arrivals and completions at the same time
            self._last_t = t
            self._last_dt = self.base + timedelta(0, t * 60.0)  # = timedelta(minutes=t)
        return self._last_dt

    def run(self) -> None:
        arrivals = self.day.customers
        i, events, last = 0, self.events, 0.0
        while i < len(arrivals) or events:
            if events and (i >= len(arrivals) or events[0][0] <= arrivals[i].arrive):
                t, kind, _seq, arg = heapq.heappop(events)
                self._account(last, t)
                last = t
                self.state.now = t
                if kind == DONE:
                    self._done(arg, t)
                elif kind == OFF:
                    self._off(arg)
                elif kind == ON:
                    self._on(arg, t)
                elif kind == SKILL:
                    self._reskill(arg, t)
                else:
                    self._queue(arg, t)
            else:
                t = arrivals[i].arrive
                self._account(last, t)
                last = t
                self.state.now = t
                self._arrive(arrivals[i], t)
                i += 1

    def _account(self, t0: float, t1: float) -> None:
        """Window-minutes idle while a ticket the window could serve waited."""
        if t1 <= t0 or not self.state.idle or not self.total_waiting:
            return
        wn = self.waiting_n
        for w in self.state.idle:
            if any(wn[c] for c in self.disp.eligible[w]):
                self.result.idle_eligible_min += t1 - t0

    def _arrive(self, c: Customer, t: float) -> None:
        day = self.day
        now = self._dt(t)
        self.counters[c.category] += 1
        ticket = Ticket(
            number=format_number(day.prefixes[c.category], self.counters[c.category]),
            category=c.category, service_day=day.date, issued_at=now, queued_at=now,
            id=c.index, priority=c.priority,
            appointment_at=None if c.appointment is None else self._dt(c.appointment),
            item_code=c.item, expected_minutes=c.expected)
        self.tickets[c.index] = ticket
        if (c.priority or c.appointment is not None) and base_credit_terms(ticket, now,
                                                                           day.routing):
            ahead = people_ahead(ticket, self.disp.waiting(c.category), now, day.routing)
        else:
            ahead = self.waiting_n[c.category]  # no credit: everyone waiting is ahead
        views = self.serving[c.category]
        on = self.state.on_duty
        fc = forecast(c.category, people_ahead=ahead,
                      open_windows=[v for v in views if on[v.number - 1]], all_windows=views,
                      waiting=self.waiting_n, estimator=self.estimator, now=now,
                      sessions=self.sessions)
        self.result.predicted[c.index] = fc.minutes
        self._enqueue(ticket)

    def _enqueue(self, ticket: Ticket) -> None:
        self.waiting_n[ticket.category] += 1
        self.total_waiting += 1
        w = self.disp.add(ticket, self.state)
        if w is not None:
            self._call(w, self.state.now)

    def _queue(self, index: int, t: float) -> None:
        """A 过号 citizen comes back within the grace period and rejoins at the back."""
        ticket = self.tickets[index]
        assert ticket is not None
        if not any(self.state.on_duty) and t >= self.day.close:
            ticket.cancel(self._dt(t))  # everyone went home
            return
        ticket.rejoin(self._dt(t), timedelta(minutes=self.day.routing.no_show_grace_min))
        self.rejoined[index] = True
        self._enqueue(ticket)

    def _on(self, w: int, t: float) -> None:
        self.state.on_duty[w] = True
        self.started_at[w] = t
        if not self.busy[w]:
            self._call(w, t)

    def _reskill(self, arg: int, t: float) -> None:
        w, view = self.reskills[arg]
        disp = self.disp
        disp.reskill(w, view)
        self.serving = {c: [v for v in disp.views if c in v.skills] for c in self.day.categories}
        if self.state.on_duty[w] and not self.busy[w]:
            self._call(w, t)  # an idle window may find work in its new skills

    def _off(self, w: int) -> None:
        if self.final[w] and self.state.now >= self.day.close and self.busy[w]:
            self.closing[w] = True  # serve on after closing while tickets wait
            return
        self.state.on_duty[w] = False
        self.state.idle.pop(w, None)

    def _call(self, w: int, t: float) -> None:
        now = self._dt(t)
        ticket = self.disp.take(w, now)
        state = self.state
        if ticket is None:
            if self.closing[w]:
                self.closing[w] = False
                state.on_duty[w] = False
                return
            state.idle.setdefault(w, t)
            return
        state.idle.pop(w, None)
        res = self.result
        idx = ticket.id
        assert idx is not None
        c = self.day.customers[idx]
        self.waiting_n[ticket.category] -= 1
        self.total_waiting -= 1
        oldest = self.disp.oldest(ticket.category)
        if oldest is not None and oldest.queued_at < ticket.queued_at:
            res.overtakes += 1
        res.calls += 1
        res.last_call = t
        if res.first_call[idx] != res.first_call[idx]:  # nan: first call
            res.first_call[idx] = t
        ticket.call(w + 1, now)
        self.busy[w] = True
        win = self.day.windows[w]
        absent = not self.rejoined[idx] and t - c.arrive > c.patience
        if absent:
            dur = self.day.recall_min
            res.no_shows += 1
        else:
            ticket.start(now)
            dur = c.work * win.speed
            if self.disp.slowdown and ticket.category != win.view.primary:
                dur *= self.day.secondary_slowdown
        state.free_at[w] = t + (self.day.recall_min if absent else c.expected)
        self.current[w] = (ticket, dur, absent)
        res.busy_min[w] += dur
        self._push(t + dur, DONE, w)

    def _done(self, w: int, t: float) -> None:
        cur = self.current[w]
        assert cur is not None
        ticket, dur, absent = cur
        self.current[w] = None
        self.busy[w] = False
        now = self._dt(t)
        idx = ticket.id
        assert idx is not None
        if absent:
            ticket.no_show(now)
            after = self.day.customers[idx].rejoin_after
            if after is not None:
                self._push(t + after, REJOIN, idx)
        else:
            ticket.complete(now, Outcome.COMPLETED)
            self.estimator.observe(ticket.category, dur)
        if self.state.on_duty[w]:
            self._call(w, t)
