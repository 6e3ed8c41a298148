"""What-if of window skills for the dashboard's preview (潮汐窗口): today's layout as a day
plan, simulated with the production policy on a few seeded days, against the same plan with
proposed skill changes (given, or searched within a small time budget): secondary skills
replaced, or a tidal switch (another category called first), all day or for a period.

The plan: every configured window staffed all day (with the usual short staff gaps), demand
at 75% of the categories' daily caps (限号, sized at the windows' capacity; 75% gives a day
like the base scenario S1: p95 ~27 min on the demo hall) spread over the day like S1
(morning and afternoon peaks, a door burst, lunch issuing).
Both plans run on the same citizens (common random numbers); differences are paired.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time as dt_time

import numpy as np

from hallserver.config.models import HallConfig
from hallserver.domain.errors import Conflict, InvalidRequest
from hallserver.sim.advisor import Proposal, advise, to_time
from hallserver.sim.dispatch import production
from hallserver.sim.engine import simulate
from hallserver.sim.metrics import open_minutes
from hallserver.sim.scenario import Scenario, SkillShift, WindowGroup
from hallserver.sim.stats import Interval, mean_ci, paired_ci
from hallserver.sim.workload import build_day, minutes

# S1's walk-in profile per half hour from 09:00 to 16:30 (lunch 12:00-13:30 included)
S1_PROFILE = (4, 6, 7, 7, 5, 3, 1.5, 1, 1.5, 4, 6, 6.5, 5.5, 4, 2)
CAP_SHARE = 0.75  # planned demand: this share of the daily caps (sized at capacity)
DEFAULT_CAP = 50  # tickets of a category without a daily cap
METRIC_NAMES = ("p50", "p95", "within20")
_RUNNING = threading.Lock()  # one what-if at a time: each takes a core for ~2 s


@dataclass(frozen=True, slots=True)
class Change:
    """Give a window these secondary skills (replacing its current ones); with `primary`, a
    tidal switch (that category called first, e.g. the window's own primary among the
    secondaries); with `start` and `end`, only for that period of the day (else all day)."""

    window: int
    secondary: tuple[str, ...]
    primary: str | None = None
    start: dt_time | None = None
    end: dt_time | None = None

    def proposal(self, number: int, own_primary: str, own_secondary: tuple[str, ...]
                 ) -> Proposal:
        """The advisor's form of the change (`number`: the window's place in the plan)."""
        return Proposal(number, self.primary or own_primary, self.secondary,
                        None if self.start is None else minutes(self.start),
                        None if self.end is None else minutes(self.end),
                        own_primary, own_secondary)


@dataclass(frozen=True)
class PlanResult:
    """Per-seed metrics of a plan: p50 / p95 wait (min), share called within 20 min (%)."""

    values: dict[str, list[float]]

    def ci(self, metric: str) -> Interval:
        """Mean over the seeds with its 95% CI."""
        return mean_ci(self.values[metric])


@dataclass(frozen=True)
class WhatIf:
    """The current plan against the proposal, on the same seeded days."""

    changes: list[Change]  # what the proposal changes
    before: dict[int, tuple[str, tuple[str, ...]]]  # those windows' primary, secondaries now
    searched: bool  # the server proposed the changes (the request gave none)
    seeds: list[int]
    current: PlanResult
    proposal: PlanResult
    tickets_per_day: float
    seconds: float
    notes: list[str] = field(default_factory=list)

    def difference(self, metric: str) -> Interval:
        """Paired 95% CI of proposal - current."""
        return paired_ci(self.proposal.values[metric], self.current.values[metric])


def plan_from_layout(cfg: HallConfig) -> Scenario:
    """Today's layout as a day plan (see the module docstring)."""
    hours = cfg.opening_hours
    opening = minutes(hours.sessions[0].start)
    last = minutes(hours.sessions[-1].end) - hours.issue_stops_before_close_min
    halves = max(1, math.ceil((last - opening) / 30))
    if halves == len(S1_PROFILE):
        weights = list(S1_PROFILE)
    else:  # other hours: flat, with lunch half hours at a third (or none)
        lunch = 1 / 3 if hours.issue_during_lunch else 0.0
        weights = [1.0 if any(minutes(s.start) <= opening + 30 * k + 15 < minutes(s.end)
                              for s in hours.sessions) else lunch for k in range(halves)]
    caps = {c.code: float(c.daily_cap or DEFAULT_CAP) for c in cfg.categories}
    served = {s for w in cfg.windows for s in w.skills}
    mix = {c: n for c, n in caps.items() if c in served}
    return Scenario.model_validate({
        "schema_version": 1, "name": "today", "description": "today's layout as a plan",
        "hall": "(live layout)", "tickets_per_day": max(1.0, CAP_SHARE * sum(mix.values())),
        "arrival_weights": weights, "door_burst": 0.06, "category_mix": mix,
        "priority_share": 0.06, "appointments": {"share": 0.15},
        "windows": [WindowGroup(count=1, primary=w.primary, secondary=list(w.secondary),
                                priority_lane=w.priority_lane, express=w.express,
                                flexible=True) for w in cfg.windows],
    })


def apply_changes(plan: Scenario, cfg: HallConfig, changes: Sequence[Change]) -> Scenario:
    """The plan with the changes applied as skill shifts; InvalidRequest for an unknown window
    or category, a repeated skill, a bad period or two changes of a window overlapping."""
    index = {w.number: i for i, w in enumerate(cfg.windows)}
    codes = {c.code for c in cfg.categories}
    groups = list(plan.windows)
    shifts: list[SkillShift] = list(plan.shifts)
    spans: dict[int, list[tuple[dt_time, dt_time]]] = {}
    for ch in changes:
        if ch.window not in index:
            raise InvalidRequest(f"没有 {ch.window} 号窗口", f"no window {ch.window}")
        g = groups[index[ch.window]]
        primary = ch.primary or g.primary
        unknown = [c for c in (primary, *ch.secondary) if c not in codes]
        if unknown:
            raise InvalidRequest(f"没有业务类别 {unknown[0]}", f"no category {unknown[0]!r}")
        if primary in ch.secondary or len(set(ch.secondary)) != len(ch.secondary):
            raise InvalidRequest(
                f"{ch.window} 号窗口的兼办类别重复或与主办相同",
                f"window {ch.window}: a secondary category repeats or is its primary")
        if (ch.start is None) != (ch.end is None) or (
                ch.start is not None and ch.end is not None and ch.end <= ch.start):
            raise InvalidRequest(
                f"{ch.window} 号窗口的调整时段须同时给出开始和结束，且结束晚于开始",
                f"window {ch.window}: give both start and end, end after start")
        span = (ch.start or dt_time.min, ch.end or dt_time.max)
        if any(a < span[1] and span[0] < b for a, b in spans.get(ch.window, [])):
            raise InvalidRequest(f"{ch.window} 号窗口的两项调整时段重叠",
                                 f"window {ch.window}: two changes overlap in time")
        spans.setdefault(ch.window, []).append(span)
        shifts.append(SkillShift(window=index[ch.window] + 1, primary=primary,
                                 secondary=list(ch.secondary), start=ch.start, end=ch.end))
    return plan.model_copy(update={"shifts": shifts})


def run_plan(plan: Scenario, cfg: HallConfig,
             seeds: Sequence[int]) -> tuple[PlanResult, dict[str, float]]:
    """Per-seed metrics of a plan, and each category's open-hours p95 over all seeds."""
    values: dict[str, list[float]] = {m: [] for m in (*METRIC_NAMES, "open_p95")}
    by_cat: dict[str, list[float]] = {}
    for seed in seeds:
        day = build_day(plan, cfg, seed)
        result = simulate(day, production(day, seed))
        pairs = [(c, t) for c, t in zip(day.customers, result.first_call, strict=True)
                 if not math.isnan(t)]
        wait = np.array([t - c.arrive for c, t in pairs])
        open_wait = np.array([open_minutes(c.arrive, t, day.sessions) for c, t in pairs])
        if not wait.size:
            continue
        values["p50"].append(float(np.percentile(wait, 50)))
        values["p95"].append(float(np.percentile(wait, 95)))
        values["within20"].append(100.0 * float((wait <= 20).mean()))
        values["open_p95"].append(float(np.percentile(open_wait, 95)))
        for (c, _t), w in zip(pairs, open_wait, strict=True):
            by_cat.setdefault(c.category, []).append(float(w))
    cat_p95 = {c: float(np.percentile(ws, 95)) for c, ws in by_cat.items()}
    return PlanResult(values), cat_p95


def propose(plan: Scenario, cfg: HallConfig, seeds: Sequence[int], deadline: float,
            max_changes: int = 2, min_gain_min: float = 0.5) -> list[Change]:
    """The tidal advisor's search (`advisor.advise`: the hottest categories given a place at
    windows whose own categories wait least, switched first or added, in their worst period,
    its session or all day), cut off at `deadline` (perf_counter)."""
    advice = advise(plan, cfg, seeds, max_changes=max_changes, hot=2,
                    min_gain_min=min_gain_min, deadline=deadline)
    numbers = [w.number for w in cfg.windows]
    return [Change(numbers[p.window - 1], p.secondary,
                   p.primary if p.switch else None,
                   None if p.start is None else to_time(p.start),
                   None if p.end is None else to_time(p.end)) for p in advice.proposals]


def what_if(cfg: HallConfig, changes: Sequence[Change] | None = None, seeds: int = 4,
            budget_s: float = 1.5) -> WhatIf:
    """Compare today's plan with the changes (or with proposals searched for `budget_s`
    seconds on other seeds than the comparison's). Conflict if another what-if runs."""
    if not _RUNNING.acquire(blocking=False):
        raise Conflict("另一个推演正在进行，请稍后再试",
                       "another what-if is running; try again in a moment")
    try:
        t0 = time.perf_counter()
        plan = plan_from_layout(cfg)
        judged = list(range(1000, 1000 + seeds))
        notes = []
        searched = not changes
        if searched:
            changes = propose(plan, cfg, range(2000, 2003), t0 + budget_s)
            if not changes:
                notes.append("no change cut the p95 by 0.5 min within the time budget")
        assert changes is not None
        proposal = apply_changes(plan, cfg, changes)
        current, _ = run_plan(plan, cfg, judged)
        after, _ = run_plan(proposal, cfg, judged)
        numbers = {w.number: (w.primary, tuple(w.secondary)) for w in cfg.windows}
        return WhatIf(list(changes), {c.window: numbers[c.window] for c in changes}, searched,
                      judged, current, after, plan.tickets_per_day,
                      time.perf_counter() - t0, notes)
    finally:
        _RUNNING.release()
