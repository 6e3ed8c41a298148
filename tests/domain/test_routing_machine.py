"""A simulated hall: random issuing, calling, serving, no-shows, rejoins and transfers.

The state machine drives the pure domain the way the call service does (numbering with a
counter per (category, service day), `WeightedHeadOfLine.choose`, then `Ticket.call`) with a
fake clock, and checks after every step that no ticket is at two windows, numbers are gapless
and increasing, and no ticket is passed over by one that waited much less.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from domain_support import MONDAY, at, build_hall
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hallserver.config.models import HallConfig, StaffRole
from hallserver.domain.calendar import HallCalendar, Phase
from hallserver.domain.errors import Conflict, IllegalTransition, InvalidRequest, Refused
from hallserver.domain.numbering import format_number, next_seq
from hallserver.domain.routing import WeightedHeadOfLine, WindowView
from hallserver.domain.tickets import AT_WINDOW_STATES, Ticket, TicketState
from hallserver.domain.windows import WindowState, WindowStatus

S = TicketState
# a small cap on one category so the machine also meets the daily_cap_reached refusal
HALL = build_hall(daily_caps={"business": 4})
CODES = tuple(c.code for c in HALL.categories)
WINDOWS = tuple(w.number for w in HALL.windows)
QUICK, SLOW = 4.0, 30.0


def queues_of(tickets: Iterable[Ticket]) -> dict[str, list[Ticket]]:
    """Waiting tickets per category, oldest first, ties in issue order."""
    out: dict[str, list[Ticket]] = {}
    for t in sorted(tickets, key=lambda t: (t.queued_at, t.id or 0)):
        if t.state is S.WAITING:
            out.setdefault(t.category, []).append(t)
    return out


def may_call(view: WindowView, t: Ticket) -> bool:
    return (t.state is S.WAITING and t.category in view.skills
            and t.target_window in (None, view.number))


class HallMachine(RuleBasedStateMachine):
    """A five-window hall over one or a few service days, with a fake clock."""

    hall: HallConfig = HALL

    def __init__(self) -> None:
        super().__init__()
        hall = self.hall
        self.cfg = hall.routing
        self.policy = WeightedHeadOfLine(self.cfg)
        self.calendar = HallCalendar(hall.opening_hours, hall.service_days,
                                     ZoneInfo(hall.hall.timezone))
        self.views = {w.number: WindowView.of(w) for w in hall.windows}
        self.now = at(MONDAY, "08:50")
        self.grace = timedelta(minutes=self.cfg.no_show_grace_min)
        self.tickets: dict[int, Ticket] = {}
        self.windows: dict[int, WindowState] = {}
        for w in hall.windows:
            state = WindowState(w.number)
            staff = next(s for s in hall.staff if w.number in s.role_a)
            state.sign_in(staff.id, StaffRole.A, self.now, hall)
            self.windows[w.number] = state
        self.last_seq: dict[tuple[str, date], int] = {}
        self.issued: list[Ticket] = []  # in issue order
        self.bound = (self.cfg.max_credit_min + self.cfg.priority_credit_min
                      + self.cfg.secondary_penalty_min)

    # ------------------------------------------------------------ helpers

    def current(self, window: int) -> Ticket | None:
        tid = self.windows[window].current_ticket
        return None if tid is None else self.tickets[tid]

    def check_call_bound(self, view: WindowView, chosen: Ticket) -> None:
        """Nobody this window may call has waited `bound` minutes longer than the chosen one."""
        for other in self.tickets.values():
            if other is chosen or not may_call(view, other):
                continue
            lead = other.wait_minutes(self.now) - chosen.wait_minutes(self.now)
            assert lead <= self.bound, (
                f"window {view.number} called {chosen.number} ({chosen}) although "
                f"{other.number} ({other}) waited {lead:.1f} min longer (bound {self.bound})"
            )

    # ------------------------------------------------------------ rules

    @initialize(arrivals=st.lists(
        st.tuples(st.sampled_from(CODES), st.booleans(), st.none() | st.integers(-30, 60),
                  st.sampled_from([None, QUICK, SLOW]), st.integers(0, 5 * 60)),
        max_size=15))
    def morning_queue(self, arrivals: list[tuple[str, bool, int | None, float | None, int]]
                      ) -> None:
        """Citizens who came early: a queue is already waiting at opening."""
        for category, priority, slot_in, expected, gap in arrivals:
            self.issue(category, priority, slot_in, expected)
            self.advance(gap)

    @rule(category=st.sampled_from(CODES), priority=st.booleans(),
          slot_in=st.none() | st.integers(-30, 60),
          expected=st.sampled_from([None, QUICK, SLOW]))
    def issue(self, category: str, priority: bool, slot_in: int | None,
              expected: float | None) -> None:
        cat = self.hall.category(category)
        day = self.calendar.service_day(self.now)
        key = (cat.prefix, day)
        last = self.last_seq.get(key, 0)
        if last == cat.daily_cap:  # 限号: today's numbers are all taken
            with pytest.raises(Refused) as refusal:
                next_seq(last, cat.daily_cap, cat.name.zh, cat.name.en)
            assert refusal.value.code == "daily_cap_reached"
            return
        seq = next_seq(last, cat.daily_cap, cat.name.zh, cat.name.en)
        assert last < seq <= cat.daily_cap
        self.last_seq[key] = seq
        t = Ticket(
            number=format_number(cat.prefix, seq), category=category, service_day=day,
            issued_at=self.now, queued_at=self.now, id=len(self.tickets) + 1,
            priority=priority,
            appointment_at=None if slot_in is None else self.now + timedelta(minutes=slot_in),
            expected_minutes=expected,
        )
        self.tickets[t.id] = t  # type: ignore[index]
        self.issued.append(t)

    @rule(seconds=st.integers(0, 25 * 60))
    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.calendar.phase(self.now) is not Phase.IN_SESSION)
    @rule()
    def overnight(self) -> None:
        """After hours, jump to just before opening on the next day: numbering restarts."""
        self.now = at(self.calendar.local(self.now).date() + timedelta(days=1), "08:50")

    def _idle_windows(self) -> list[int]:
        """Windows allowed to call now (open and without a current ticket)."""
        out = []
        for n, ws in self.windows.items():
            try:
                ws.require_can_call()
            except (IllegalTransition, Conflict):
                assert ws.status is not WindowStatus.OPEN or ws.current_ticket is not None
                continue
            out.append(n)
        return out

    def _ready_windows(self) -> list[int]:
        """Idle windows with a waiting ticket they may call; the others get nothing."""
        ready = []
        queues = queues_of(self.tickets.values())
        for n in self._idle_windows():
            if any(may_call(self.views[n], t) for t in self.tickets.values()):
                ready.append(n)
            else:
                assert self.policy.choose(self.views[n], queues, self.now) is None
        return ready

    def call(self, window: int) -> Ticket:
        """The window calls the next ticket the policy chooses, checking the choice."""
        view = self.views[window]
        choice = self.policy.choose(view, queues_of(self.tickets.values()), self.now)
        assert choice is not None
        chosen = choice.ticket
        assert may_call(view, chosen)
        assert chosen.number in choice.reason
        self.check_call_bound(view, chosen)
        chosen.call(window, self.now)
        self.windows[window].take(chosen.id)  # type: ignore[arg-type]
        return chosen

    @precondition(lambda self: self._ready_windows())
    @rule(pick=st.integers(0, 100))
    def call_next(self, pick: int) -> None:
        ready = self._ready_windows()
        self.call(ready[pick % len(ready)])

    @precondition(lambda self: self._ready_windows() or self._at_windows(S.CALLED, S.SERVING))
    @rule(pick=st.integers(0, 100), minutes=st.integers(0, 15))
    def work(self, pick: int, minutes: int) -> None:
        """A window takes its next natural step (call, start, complete), then time passes."""
        busy = self._at_windows(S.CALLED, S.SERVING)
        ns = sorted({*self._ready_windows(), *busy})
        n = ns[pick % len(ns)]
        t = self.current(n)
        if t is None:
            self.call(n)
        elif t.state is S.CALLED:
            t.start(self.now)
        else:
            t.complete(self.now)
            self.windows[n].release(self.now)
        self.now += timedelta(minutes=minutes)

    def _at_windows(self, *states: TicketState) -> list[int]:
        return [n for n in WINDOWS
                if (t := self.current(n)) is not None and t.state in states]

    def _pick(self, pick: int, *states: TicketState) -> tuple[int, Ticket]:
        ns = self._at_windows(*states)
        n = ns[pick % len(ns)]
        t = self.current(n)
        assert t is not None
        return n, t

    @precondition(lambda self: self._at_windows(S.CALLED))
    @rule(pick=st.integers(0, 100))
    def recall(self, pick: int) -> None:
        _, t = self._pick(pick, S.CALLED)
        before = t.recalls
        t.recall(self.now)
        assert t.recalls == before + 1

    @precondition(lambda self: self._at_windows(S.CALLED))
    @rule(pick=st.integers(0, 100))
    def start(self, pick: int) -> None:
        _, t = self._pick(pick, S.CALLED)
        t.start(self.now)

    @precondition(lambda self: self._at_windows(S.SERVING))
    @rule(pick=st.integers(0, 100))
    def complete(self, pick: int) -> None:
        n, t = self._pick(pick, S.SERVING)
        t.complete(self.now)
        self.windows[n].release(self.now)

    @precondition(lambda self: self._at_windows(S.CALLED))
    @rule(pick=st.integers(0, 100))
    def no_show(self, pick: int) -> None:
        n, t = self._pick(pick, S.CALLED)
        t.no_show(self.now)
        self.windows[n].release(self.now)

    @precondition(lambda self: any(t.state is S.NO_SHOW for t in self.tickets.values()))
    @rule(pick=st.integers(0, 10_000))
    def rejoin(self, pick: int) -> None:
        gone = [t for t in self.tickets.values() if t.state is S.NO_SHOW]
        t = gone[pick % len(gone)]
        assert t.finished_at is not None
        if self.now - t.finished_at <= self.grace:
            t.rejoin(self.now, self.grace)
            assert t.state is S.WAITING
            assert t.queued_at == self.now
        else:
            with pytest.raises(IllegalTransition):
                t.rejoin(self.now, self.grace)
            assert t.state is S.NO_SHOW

    @precondition(lambda self: self._at_windows(S.CALLED, S.SERVING))
    @rule(pick=st.integers(0, 100), category=st.sampled_from(CODES), to_window=st.booleans())
    def transfer(self, pick: int, category: str, to_window: bool) -> None:
        n, t = self._pick(pick, S.CALLED, S.SERVING)
        # 转入: to the main window of the new category, as a manager would pick it
        target = self.hall.windows_serving(category)[0].number if to_window else None
        t.transfer(category, target)
        self.windows[n].release(self.now)
        assert t.state is S.WAITING
        assert t.queued_at == t.issued_at
        assert t.window is None
        assert t.target_window == target

    def _with_status(self, *statuses: WindowStatus) -> list[int]:
        return [n for n, ws in self.windows.items() if ws.status in statuses]

    @precondition(lambda self: self._with_status(WindowStatus.OPEN))
    @rule(pick=st.integers(0, 100), reason=st.sampled_from(["", "复印材料", "会议"]))
    def pause(self, pick: int, reason: str) -> None:
        ns = self._with_status(WindowStatus.OPEN)
        ws = self.windows[ns[pick % len(ns)]]
        if reason:
            ws.pause(reason)
            assert ws.status is WindowStatus.PAUSED
        else:
            with pytest.raises(InvalidRequest):
                ws.pause(reason)

    @precondition(lambda self: self._with_status(WindowStatus.PAUSED))
    @rule(pick=st.integers(0, 100))
    def resume(self, pick: int) -> None:
        ns = self._with_status(WindowStatus.PAUSED)
        ws = self.windows[ns[pick % len(ns)]]
        ws.resume(self.now)
        assert ws.status is WindowStatus.OPEN

    @rule(window=st.sampled_from(WINDOWS))
    def requeue_and_sign_out(self, window: int) -> None:
        """Staff sign out; a called (not yet served) ticket goes back, keeping its place."""
        ws = self.windows[window]
        t = self.current(window)
        if ws.staff_id is None or (t is not None and t.state is S.SERVING):
            return
        if t is not None:
            queued = t.queued_at
            t.requeue()
            assert t.queued_at == queued
            ws.release(self.now)
        ws.sign_out()
        staff = next(s for s in self.hall.staff if window in s.role_b)
        ws.sign_in(staff.id, StaffRole.B, self.now, self.hall)  # B角 stands in

    # ------------------------------------------------------------ invariants

    @invariant()
    def one_window_per_ticket(self) -> None:
        holders: dict[int, list[int]] = {}
        for n, ws in self.windows.items():
            if ws.current_ticket is not None:
                holders.setdefault(ws.current_ticket, []).append(n)
        for tid, ns in holders.items():
            assert len(ns) == 1, f"ticket {tid} is at windows {ns}"
            t = self.tickets[tid]
            assert t.state in AT_WINDOW_STATES
            assert t.window == ns[0]
        for t in self.tickets.values():
            if t.state in AT_WINDOW_STATES:
                assert t.window is not None
                assert holders.get(t.id) == [t.window]  # type: ignore[arg-type]
            if t.state is S.WAITING:
                assert t.window is None
                assert t.id not in holders

    @invariant()
    def numbers_unique_and_increasing(self) -> None:
        keys = [(t.service_day, t.number) for t in self.issued]
        assert len(keys) == len(set(keys))
        last: dict[tuple[str, date], int] = {}
        for t in self.issued:
            prefix, seq = t.number[0], int(t.number[1:])
            key = (prefix, t.service_day)
            assert seq == last.get(key, 0) + 1  # gapless and strictly increasing
            last[key] = seq
        assert last == {k: v for k, v in self.last_seq.items() if v}

    @invariant()
    def queue_times_are_sane(self) -> None:
        for t in self.tickets.values():
            assert t.issued_at <= t.queued_at <= self.now


MACHINE_SETTINGS = settings(max_examples=60, stateful_step_count=80, deadline=None,
                            derandomize=True,
                            suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.filter_too_much])


def test_hall_machine() -> None:
    run_state_machine_as_test(HallMachine, settings=MACHINE_SETTINGS)


def test_hall_machine_scripted_credit_bound() -> None:
    """A fixed run of the machine that reaches the stacked-credit case deterministically."""
    m = HallMachine()
    lead = m.bound + 2  # A001 will have waited this much longer than D001
    m.advance(20 * 60)
    m.issue("social", priority=False, slot_in=None, expected=None)  # A001
    m.advance(int(lead * 60))
    # D001: 绿色通道 with an appointment due now; window 3 (business is a secondary skill)
    # calls it, then transfers it to the business window 4 (the priority lane) by name
    m.issue("business", priority=True, slot_in=0, expected=None)
    d001 = m.call(3)
    assert d001 is not None
    assert d001.number == "D001"
    m.start(0)  # the only called ticket
    m.transfer(0, "business", to_window=True)
    assert d001.target_window == 4
    a001 = m.tickets[1]
    assert a001.state is S.WAITING
    assert a001.wait_minutes(m.now) - d001.wait_minutes(m.now) == pytest.approx(lead)
    # window 4 serves social as a secondary skill: A001 waited `lead` > bound minutes longer,
    # so it must be called first
    assert m.call(4) is a001


# ---------------------------------------------------------------- liveness


LIVE_NOW = at(MONDAY, "10:00")
_WAITING = st.tuples(
    st.sampled_from(CODES), st.integers(0, 120), st.booleans(), st.booleans(),
    st.sampled_from([None, QUICK, SLOW]), st.none() | st.sampled_from(WINDOWS),
)


def _waiting(rows: list[tuple[str, int, bool, bool, float | None, int | None]]
             ) -> list[Ticket]:
    out = []
    for i, (category, age, priority, appointment, expected, target) in enumerate(rows):
        queued = LIVE_NOW - timedelta(minutes=age)
        out.append(Ticket(
            number=f"X{i + 1:03d}", category=category, service_day=MONDAY, issued_at=queued,
            queued_at=queued, id=i + 1, priority=priority,
            appointment_at=LIVE_NOW if appointment else None, expected_minutes=expected,
            target_window=target,
        ))
    return out


hall_runs = st.tuples(
    st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=5, unique=True),  # open windows
    st.lists(_WAITING, max_size=40).map(_waiting),  # the queue when arrivals stop
    st.lists(st.integers(1, 30), min_size=1, max_size=10),  # service minutes, cycled
)


def callable_somewhere(t: Ticket, views: list[WindowView]) -> bool:
    return any(t.category in v.skills and t.target_window in (None, v.number) for v in views)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hall_runs)
def test_every_served_ticket_is_eventually_called(run: tuple[list[int], list[Ticket],
                                                             list[int]]) -> None:
    open_windows, tickets, service = run
    policy = WeightedHeadOfLine(HALL.routing)
    all_views = {w.number: WindowView.of(w) for w in HALL.windows}
    views = [all_views[n] for n in open_windows]
    servable = [t for t in tickets if callable_somewhere(t, views)]
    now = LIVE_NOW
    idle_since: dict[int, datetime] = dict.fromkeys(open_windows, now)
    rounds = 0
    # each round every idle window (longest idle first) calls, serves and completes one ticket;
    # a round calls at least one ticket while any servable one waits, so len(servable) bounds it
    while any(t.state is S.WAITING for t in servable):
        rounds += 1
        assert rounds <= len(servable), "a servable ticket was never called"
        called = 0
        for n in sorted(open_windows, key=lambda n: (idle_since[n], n)):
            choice = policy.choose(all_views[n], queues_of(tickets), now)
            if choice is None:
                continue
            t = choice.ticket
            t.call(n, now)
            t.start(now)
            now += timedelta(minutes=service[(rounds + n) % len(service)])
            t.complete(now)
            idle_since[n] = now
            called += 1
        assert called >= 1
    for t in tickets:
        if t in servable:
            assert t.state is S.DONE
        else:
            assert t.state is S.WAITING  # nobody open may call it: it must not be lost
