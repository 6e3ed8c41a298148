"""Draw one hall day (citizens, staff speeds, duty periods) from a scenario and a seed.

Every policy of a comparison runs on the same `Day` (common random numbers): a citizen's
arrival, item, work content, patience and rejoin decision, and a window's staff speed and
gaps do not depend on how tickets are routed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np

from hallserver.config.models import HallConfig, RoutingConfig
from hallserver.domain.eta import category_priors
from hallserver.domain.routing import WindowView
from hallserver.sim.scenario import Scenario

Interval = tuple[float, float]
DAY = date(2026, 3, 2)  # a Monday; the date only labels tickets


@dataclass(frozen=True, slots=True)
class Customer:
    """A citizen who takes a ticket: what they need and how they behave."""

    index: int
    arrive: float  # minutes after midnight
    category: str
    item: str
    expected: float  # the item's expected minutes (printed on the ticket, used by baselines)
    work: float  # service minutes at a primary window with a speed-1 member of staff
    priority: bool = False
    appointment: float | None = None  # slot start, minutes after midnight
    patience: float = math.inf  # minutes after taking the ticket before stepping out
    rejoin_after: float | None = None  # minutes after a 过号 to rejoin; None: gone


@dataclass(frozen=True, slots=True)
class SimWindow:
    """A window of the day: its skills, its staff's speed and when it is staffed."""

    view: WindowView
    speed: float  # service time factor of its staff (1 = average)
    duty: tuple[Interval, ...]  # staffed intervals, minutes after midnight
    flexible: bool = False
    # tidal switches: (from, until, skills meanwhile); (-inf, inf) for all day. `view` stays
    # the window's own skills: its staff serve anything but its primary at the slowdown.
    shifts: tuple[tuple[float, float, WindowView], ...] = ()


@dataclass(frozen=True)
class Day:
    """Everything a simulation run needs; shared read-only by all policies."""

    customers: tuple[Customer, ...]  # ordered by arrival
    windows: tuple[SimWindow, ...]
    categories: tuple[str, ...]
    prefixes: dict[str, str]
    priors: dict[str, float]  # mean expected minutes per category (estimator prior)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    secondary_slowdown: float = 1.0
    recall_min: float = 1.5
    sessions: tuple[Interval, ...] = ((9 * 60.0, 17 * 60.0),)
    close: float = 17 * 60.0  # last session end: windows then serve who is left and go
    date: date = DAY

    @property
    def start(self) -> datetime:
        """Midnight of the simulated service day (tickets' clock origin)."""
        return datetime.combine(self.date, time())


def minutes(t: time) -> float:
    """Minutes after midnight of a wall-clock time."""
    return t.hour * 60.0 + t.minute


def subtract(spans: list[Interval], gaps: list[Interval]) -> list[Interval]:
    """Intervals `spans` minus the union of `gaps`."""
    out = spans
    for g0, g1 in gaps:
        nxt: list[Interval] = []
        for s0, s1 in out:
            if g1 <= s0 or g0 >= s1:
                nxt.append((s0, s1))
                continue
            if s0 < g0:
                nxt.append((s0, g0))
            if g1 < s1:
                nxt.append((g1, s1))
        out = nxt
    return [(a, b) for a, b in out if b - a > 1e-9]


def build_day(scenario: Scenario, hall: HallConfig, seed: int) -> Day:
    """Draw the day of `seed` (deterministic) from the scenario."""
    rng = np.random.default_rng([seed, 1])
    sessions = [(minutes(s.start), minutes(s.end)) for s in hall.opening_hours.sessions]
    customers = _customers(scenario, hall, sessions, rng)
    windows = _windows(scenario, sessions, np.random.default_rng([seed, 2]))
    return Day(
        customers=tuple(customers), windows=tuple(windows),
        categories=tuple(c.code for c in hall.categories),
        prefixes={c.code: c.prefix for c in hall.categories},
        priors=category_priors(hall), routing=hall.routing,
        secondary_slowdown=scenario.service.secondary_slowdown,
        recall_min=scenario.patience.recall_min, close=sessions[-1][1],
        sessions=tuple(sessions),
    )


def _mix(scenario: Scenario) -> dict[str, float]:
    total = sum(scenario.category_mix.values())
    return {c: s / total * scenario.surge.get(c, 1.0) for c, s in scenario.category_mix.items()}


def _customers(scenario: Scenario, hall: HallConfig, sessions: list[Interval],
               rng: np.random.Generator) -> list[Customer]:
    hours = hall.opening_hours
    opening = sessions[0][0]
    n = scenario.tickets_per_day * scenario.volume
    appt = scenario.appointments
    weights = np.asarray(scenario.arrival_weights, dtype=float)
    weights = weights / weights.sum()
    drafts: list[tuple[float, str, float | None]] = []  # (arrival, category, slot)
    for cat, share in _mix(scenario).items():
        walk_ins = n * share * (1 - appt.share)
        burst = rng.poisson(walk_ins * scenario.door_burst)
        drafts += [(float(t), cat, None) for t in
                   rng.uniform(opening - hours.issue_opens_before_min, opening, burst)]
        counts = rng.poisson(walk_ins * (1 - scenario.door_burst) * weights)
        for k, count in enumerate(counts):
            drafts += [(float(t), cat, None) for t in
                       rng.uniform(opening + 30 * k, opening + 30 * (k + 1), count)]
        shows = rng.poisson(n * share * appt.share)  # bookings kept; no-shows draw no ticket
        slots = _slots(sessions, appt.slot_min, hours.issue_stops_before_close_min)
        for slot in rng.choice(slots, size=shows):
            offset = rng.uniform(-appt.late_max_min, appt.early_max_min)
            drafts.append((float(slot) - offset, cat, float(slot)))
    drafts.sort(key=lambda d: d[0])
    return [_customer(i, d, scenario, hall, rng) for i, d in enumerate(drafts)]


def _slots(sessions: list[Interval], slot_min: int, stop_before_close: int) -> list[float]:
    last = sessions[-1][1] - stop_before_close
    return [float(s) for s0, s1 in sessions
            for s in np.arange(s0, s1 - slot_min + 1e-9, slot_min) if s < last]


def _customer(index: int, draft: tuple[float, str, float | None], scenario: Scenario,
              hall: HallConfig, rng: np.random.Generator) -> Customer:
    arrive, cat, slot = draft
    items = [i for i in hall.items if i.category == cat]
    if items:
        w = np.asarray([scenario.item_weights.get(i.frequency, 1.0) for i in items])
        item = items[int(rng.choice(len(items), p=w / w.sum()))]
        code, expected = item.code, item.expected_minutes
    else:
        code, expected = cat, 10.0
    svc = scenario.service
    if svc.distribution == "exponential":
        work = float(rng.exponential(expected))
    else:
        sigma2 = math.log1p(svc.cv ** 2)
        work = float(rng.lognormal(math.log(expected) - sigma2 / 2, math.sqrt(sigma2)))
    pat = scenario.patience
    p_sigma2 = math.log1p(pat.cv ** 2)
    patience = float(rng.lognormal(math.log(pat.mean_min) - p_sigma2 / 2, math.sqrt(p_sigma2)))
    rejoin = rng.random() < pat.rejoin
    delay = float(rng.uniform(1.0, max(1.0, hall.routing.no_show_grace_min - 1.0)))
    return Customer(
        index=index, arrive=arrive, category=cat, item=code, expected=expected, work=work,
        priority=bool(rng.random() < scenario.priority_share), appointment=slot,
        patience=patience, rejoin_after=delay if rejoin else None,
    )


def _windows(scenario: Scenario, sessions: list[Interval],
             rng: np.random.Generator) -> list[SimWindow]:
    out: list[SimWindow] = []
    sd = scenario.service.staff_speed_sd
    day_span = (sessions[0][0], sessions[-1][1])
    lunch = {n: (minutes(s.start), minutes(s.end)) for s in scenario.lunch for n in s.windows}
    for group in scenario.windows:
        for _ in range(group.count):
            number = len(out) + 1
            view = WindowView(number, group.primary, tuple(group.secondary),
                              group.priority_lane, group.express)
            speed = float(rng.lognormal(-sd * sd / 2, sd)) if sd > 0 else 1.0
            gaps = [(a.start, a.end) for a in scenario.absences if number in a.windows]
            gaps_min = [(minutes(a), minutes(b)) for a, b in gaps]
            own = (subtract([day_span], [lunch[number]]) if number in lunch
                   else list(sessions))  # its staff's hours (a staggered lunch moves the break)
            span = sum(b - a for a, b in own)
            for _ in range(rng.poisson(scenario.away.per_window)):
                at = _session_time(own, float(rng.uniform(0, span)))
                gaps_min.append((at, at + float(rng.exponential(scenario.away.mean_min))))
            duty = subtract(own, sorted(gaps_min))
            shifts = tuple(
                (-math.inf if sh.start is None else minutes(sh.start),
                 math.inf if sh.end is None else minutes(sh.end),
                 WindowView(number, sh.primary, tuple(sh.secondary), group.priority_lane,
                            group.express))
                for sh in scenario.shifts if sh.window == number)
            out.append(SimWindow(view, speed, tuple(duty), group.flexible, shifts))
    return out


def _session_time(sessions: list[Interval], offset: float) -> float:
    """The wall-clock minute `offset` minutes of service time into the day."""
    for a, b in sessions:
        if offset < b - a:
            return a + offset
        offset -= b - a
    return sessions[-1][1]
