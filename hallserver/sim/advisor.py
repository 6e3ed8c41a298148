"""Tidal-window advisor (潮汐窗口): propose skill changes of flexible windows that cut the
predicted p95 wait of a day's plan, judged by the same simulator and production policy.

What a hall manager does when a category surges or its staff are away: a flexible window
takes the hot category too (adds it as a secondary skill), or switches which business it
takes first (a "tidal switch": the hot category becomes its primary, its own primary its
first secondary), for the period in which that category's wait is worst or for the whole
day. Such a change is a `SkillShift` of the scenario (the simulator changes the window's
skills at the given times; its staff keep their speed: anything but their own primary is
served at the secondary slowdown).

Search: the hottest categories by open-hours p95 wait; for each, the period in which its
longest wait is high (from the simulated queue's head age); candidates = every flexible
window (all windows if the scenario marks none flexible) x {add, switch} x {that period,
its sessions, all day}; every candidate is simulated on the same search seeds (common random
numbers) and the best is kept if it cuts the mean p95 by `min_gain_min`; repeat. `check`
then compares the plan with and without the proposals on held-out seeds (paired CI).

The objective is the p95 of waits counted in open hours (default: time spent waiting over
lunch or before the doors open is the same whatever the windows' skills, and it dominates the
wall-clock p95 of a day, as tickets taken at lunch wait until 13:30) or the wall-clock p95
(`objective="wall"`). With `lunch=True` a staggered lunch (错峰午休) of flexible windows also
competes: the one change that reaches the tickets waiting over lunch. `check` reports both.

Offline: `python -m hallserver.sim.advisor S3 --jobs 2`."""

from __future__ import annotations

import argparse
import logging
import math
import time as clock
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Literal

import numpy as np

from hallserver.config.models import HallConfig
from hallserver.sim.dispatch import POLICIES
from hallserver.sim.engine import simulate
from hallserver.sim.metrics import open_minutes
from hallserver.sim.scenario import LunchShift, Scenario, SkillShift, WindowGroup, load_scenario
from hallserver.sim.stats import Interval, paired_ci
from hallserver.sim.workload import Day, build_day

logger = logging.getLogger(__name__)

GRID_MIN = 15.0  # step of the head-age curves that locate a category's worst period
MAX_SECONDARY = 3  # a window's secondary skills after a change, at most
Objective = Literal["open", "wall"]  # which p95 a search minimises: open hours or wall clock


def hhmm(t: float) -> str:
    """'09:30' of minutes after midnight."""
    m = round(t)
    return f"{m // 60:02d}:{m % 60:02d}"


def to_time(t: float) -> time:
    """`datetime.time` of minutes after midnight (below 24:00)."""
    m = round(t)
    return time(m // 60, m % 60)


@dataclass(frozen=True, slots=True)
class Proposal:
    """From `start` to `end` (minutes after midnight; None: all day) window `window` calls
    `primary` first, then `secondary`; its own skills are `own_primary` + `own_secondary`."""

    window: int
    primary: str
    secondary: tuple[str, ...]
    start: float | None
    end: float | None
    own_primary: str
    own_secondary: tuple[str, ...]
    p95_before: float = math.nan  # mean p95 over the search seeds before this change ...
    p95_after: float = math.nan  # ... and after it (with the earlier proposals applied)

    @property
    def switch(self) -> bool:
        """A tidal switch (another category first), not just an added skill."""
        return self.primary != self.own_primary

    @property
    def period(self) -> str:
        """'09:00-12:00', or 'all day'."""
        if self.start is None or self.end is None:
            return "all day"
        return f"{hhmm(self.start)}-{hhmm(self.end)}"

    def shift(self) -> SkillShift:
        """The scenario's form of the change."""
        return SkillShift(window=self.window, primary=self.primary,
                          secondary=list(self.secondary),
                          start=None if self.start is None else to_time(self.start),
                          end=None if self.end is None else to_time(self.end))

    def text(self, names: dict[str, tuple[str, str]] | None = None) -> tuple[str, str]:
        """What to tell the manager, (zh, en), e.g. '5号窗口 09:00-12:00 先办社保，再办公积金'.
        `names`: category code -> (zh, en) names; codes are shown without it."""
        def zh(c: str) -> str:
            return names[c][0] if names and c in names else c

        def en(c: str) -> str:
            return names[c][1] if names and c in names else c
        period_zh = "全天" if self.start is None else self.period
        added = [c for c in (self.primary, *self.secondary)
                 if c not in (self.own_primary, *self.own_secondary)]
        dropped = [c for c in (self.own_primary, *self.own_secondary)
                   if c not in (self.primary, *self.secondary)]
        if self.switch:
            rest_zh = "、".join(map(zh, self.secondary))
            rest_en = ", ".join(map(en, self.secondary))
            t_zh = f"{self.window}号窗口 {period_zh} 先办{zh(self.primary)}" + (
                f"，再办{rest_zh}" if rest_zh else "")
            t_en = f"window {self.window} {self.period}: {en(self.primary)} first" + (
                f", then {rest_en}" if rest_en else "")
        else:
            t_zh = (f"{self.window}号窗口 {period_zh} 兼办{'、'.join(map(zh, added))}"
                    if added else f"{self.window}号窗口 {period_zh} 兼办不变")
            t_en = (f"window {self.window} {self.period}: also serves "
                    f"{', '.join(map(en, added))}" if added
                    else f"window {self.window} {self.period}: no change")
        if dropped:
            t_zh += f"（暂停{'、'.join(map(zh, dropped))}）"
            t_en += f" (stops {', '.join(map(en, dropped))})"
        return t_zh, t_en

    def __str__(self) -> str:
        gain = ("" if math.isnan(self.p95_before) else
                f" (p95 {self.p95_before:.1f} -> {self.p95_after:.1f} min)")
        return self.text()[1] + gain


@dataclass(frozen=True, slots=True)
class LunchProposal:
    """错峰午休 (staggered lunch): `windows` take their break from `start` to `end` (minutes
    after midnight) instead of the hall's lunch, so calls go on while the hall is at lunch:
    the same staffed minutes, moved to when tickets taken over lunch and those left waiting
    at noon would otherwise wait for the afternoon."""

    windows: tuple[int, ...]
    start: float
    end: float
    p95_before: float = math.nan
    p95_after: float = math.nan

    def shift(self) -> LunchShift:
        """The scenario's form of the change."""
        return LunchShift(windows=list(self.windows), start=to_time(self.start),
                          end=to_time(self.end))

    def text(self, names: dict[str, tuple[str, str]] | None = None) -> tuple[str, str]:
        """What to tell the manager, (zh, en)."""
        del names  # no categories named
        span = f"{hhmm(self.start)}-{hhmm(self.end)}"
        numbers = "、".join(map(str, self.windows))
        return (f"{numbers}号窗口 午休改为 {span}（错峰午休，午间有人叫号）",
                f"windows {', '.join(map(str, self.windows))} take lunch {span} (staggered "
                "lunch: calls go on over the hall's lunch break)")

    def __str__(self) -> str:
        gain = ("" if math.isnan(self.p95_before) else
                f" (p95 {self.p95_before:.1f} -> {self.p95_after:.1f} min)")
        return self.text()[1] + gain


Change = Proposal | LunchProposal


@dataclass(frozen=True)
class Pressure:
    """How hard each category is pressed on a plan, averaged over seeds: its open-hours p95
    wait, and the age of its oldest waiting ticket at each grid time (minutes)."""

    cat_p95: dict[str, float]
    grid: np.ndarray
    head_age: dict[str, np.ndarray]

    def hottest(self, n: int) -> list[str]:
        """The n categories with the highest p95."""
        return sorted(self.cat_p95, key=lambda c: -self.cat_p95[c])[:n]

    def worst_period(self, category: str, sessions: Sequence[tuple[float, float]],
                     floor_min: float = 10.0) -> tuple[float, float] | None:
        """The span around the category's worst head age where it stays above half its peak
        (and above `floor_min`), started 30 min earlier (a queue builds before its head is
        old) and rounded out to half hours inside the day's sessions; None if never pressed."""
        age = self.head_age.get(category)
        if age is None or not age.size:
            return None
        open_ = np.array([any(a <= g < b for a, b in sessions) for g in self.grid])
        masked = np.where(open_, age, -1.0)
        k = int(np.argmax(masked))
        peak = float(masked[k])
        if peak < floor_min:
            return None
        level = max(floor_min, peak / 2)
        lo = hi = k
        while lo > 0 and (masked[lo - 1] >= level or not open_[lo - 1]):
            lo -= 1
        while hi < len(age) - 1 and (masked[hi + 1] >= level or not open_[hi + 1]):
            hi += 1
        start = math.floor((float(self.grid[lo]) - 30.0) / 30.0) * 30.0
        end = math.ceil((float(self.grid[hi]) + GRID_MIN) / 30.0) * 30.0
        start = max(start, min(a for a, b in sessions if b > start) if any(
            b > start for _a, b in sessions) else start)
        end = min(end, max(b for a, b in sessions if a < end) if any(
            a < end for a, _b in sessions) else end)
        return (start, end) if end > start else None


@dataclass(frozen=True)
class Evaluation:
    """Per-seed p95 waits of a plan: open hours and wall clock (`objective` picks the one
    the search minimises)."""

    open_p95: list[float]
    p95: list[float]
    pressure: Pressure | None = None
    objective: Objective = "open"  # the p95 the search minimises: open hours or wall clock

    @property
    def values(self) -> list[float]:
        """Per-seed values of the objective."""
        return self.p95 if self.objective == "wall" else self.open_p95

    @property
    def score(self) -> float:
        """Mean of the objective over the seeds."""
        return float(np.mean(self.values))


@dataclass(frozen=True)
class Advice:
    """The proposals, in order, and the plan with all of them applied."""

    proposals: list[Proposal]
    plan: Scenario
    p95_before: float
    p95_after: float
    evaluated: int = 0  # candidate plans simulated
    seconds: float = 0.0
    periods: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    lunch: LunchProposal | None = None  # a staggered lunch, if asked for and worth it


def single_windows(scenario: Scenario) -> Scenario:
    """The same plan with one window per group (window n is group n)."""
    groups = [g.model_copy(update={"count": 1}) for g in scenario.windows for _ in range(g.count)]
    return scenario.model_copy(update={"windows": groups})


def window_list(scenario: Scenario) -> list[WindowGroup]:
    """The scenario's windows, one entry per window number (1-based index + 1)."""
    return [g for g in scenario.windows for _ in range(g.count)]


def apply(plan: Scenario, proposal: Change) -> Scenario:
    """The plan with one more skill shift or staggered lunch (the proposal's)."""
    if isinstance(proposal, LunchProposal):
        return plan.model_copy(update={"lunch": [*plan.lunch, proposal.shift()]})
    return plan.model_copy(update={"shifts": [*plan.shifts, proposal.shift()]})


def lunch_candidates(plan: Scenario, press: Pressure, sessions: Sequence[tuple[float, float]],
                     hot: int = 2) -> list[LunchProposal]:
    """Staggered lunches worth simulating: the flexible windows (all of them, and those that
    serve a hot category) take the hall's break 30 or 60 minutes later, or 30 earlier. None
    if the hall has no lunch break, or no window is flexible (moving every window's lunch
    is moving the hall's hours, not a window change)."""
    if len(sessions) < 2:
        return []
    lunch0, lunch1 = sessions[0][1], sessions[1][0]
    windows = window_list(plan)
    flexible = tuple(n for n, g in enumerate(windows, start=1) if g.flexible)
    hottest = set(press.hottest(hot))
    serving_hot = tuple(n for n in flexible
                        if hottest & {windows[n - 1].primary, *windows[n - 1].secondary})
    sets = list(dict.fromkeys(s for s in (flexible, serving_hot) if s))
    return [LunchProposal(ws, lunch0 + d, lunch1 + d) for ws in sets for d in (30.0, 60.0, -30.0)
            if sessions[0][0] < lunch0 + d and lunch1 + d < sessions[-1][1]]


def _waits(day: Day, seed: int, policy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Called citizens' open-hours and wall-clock waits, and first-call times of everyone."""
    result = simulate(day, POLICIES[policy](day, seed))
    first = np.array(result.first_call)
    called = ~np.isnan(first)
    arrive = np.array([c.arrive for c in day.customers])
    open_w = np.array([open_minutes(a, t, day.sessions)
                       for a, t in zip(arrive[called], first[called], strict=True)])
    return open_w, (first - arrive)[called], first


def evaluate(plan: Scenario, hall: HallConfig, seeds: Sequence[int], policy: str = "production",
             pressure: bool = False, objective: Objective = "open") -> Evaluation:
    """Per-seed p95 waits of a plan; with `pressure`, also how hard each category is pressed."""
    open_p95: list[float] = []
    p95: list[float] = []
    by_cat: dict[str, list[np.ndarray]] = {}
    ages: dict[str, list[np.ndarray]] = {}
    grid = np.zeros(0)
    for seed in seeds:
        day = build_day(plan, hall, seed)
        open_w, wall_w, first = _waits(day, seed, policy)
        open_p95.append(float(np.percentile(open_w, 95)) if open_w.size else 0.0)
        p95.append(float(np.percentile(wall_w, 95)) if wall_w.size else 0.0)
        if not pressure:
            continue
        cats = np.array([c.category for c in day.customers])
        arrive = np.array([c.arrive for c in day.customers])
        called = ~np.isnan(first)
        grid = np.arange(day.sessions[0][0], day.close + 1e-9, GRID_MIN)
        gone = np.where(called, first, day.close + 120.0)
        for cat in day.categories:
            m = cats == cat
            by_cat.setdefault(cat, []).append(open_w[cats[called] == cat])
            a, f = arrive[m][:, None], gone[m][:, None]
            waiting = (a <= grid) & (f > grid)
            age = sum(np.clip(np.minimum(grid, s1) - np.maximum(a, s0), 0.0, None)
                      for s0, s1 in day.sessions)  # open minutes waited so far
            ages.setdefault(cat, []).append(
                np.where(waiting, age, 0.0).max(axis=0) if m.any() else 0.0 * grid)
    press = None
    if pressure:
        cat_p95 = {c: float(np.percentile(np.concatenate(ws), 95)) if sum(map(len, ws)) else 0.0
                   for c, ws in by_cat.items()}
        press = Pressure(cat_p95, grid, {c: np.mean(a, axis=0) for c, a in ages.items()})
    return Evaluation(open_p95, p95, press, objective)


def candidates(plan: Scenario, press: Pressure, sessions: Sequence[tuple[float, float]],
               hot: int = 2, taken: Iterable[int] = (),
               periods: dict[str, tuple[float, float] | None] | None = None
               ) -> list[Proposal]:
    """Changes worth simulating, most promising first: flexible windows (every window if none
    is flexible) whose own categories are least pressed give one of the `hot` hottest
    categories a place (switch: first; add: as a secondary) in its worst period, in the
    sessions of that period, or all day. `taken`: windows already changed (skipped).
    `periods` (optional, filled in): each hot category's worst period.
    Open minutes waited count (`open_minutes`): the lunch break ages nobody."""
    windows = window_list(plan)
    flexible = [n for n, g in enumerate(windows, start=1) if g.flexible]
    numbers = flexible or list(range(1, len(windows) + 1))
    skip = set(taken)
    cool = press.cat_p95
    out: list[tuple[tuple[float, int, int], Proposal]] = []
    for rank, cat in enumerate(press.hottest(hot)):
        worst = press.worst_period(cat, sessions)
        if periods is not None:
            periods[cat] = worst
        spans: list[tuple[float, float] | None] = []
        if worst is not None:
            spans.append(worst)
            peak = float(press.grid[int(np.argmax(press.head_age[cat]))])
            spans += [s for s in sessions if s[0] <= peak < s[1]]
        spans.append(None)
        spans = list(dict.fromkeys(spans))  # the session span may equal the worst period
        for n in numbers:
            g = windows[n - 1]
            if n in skip or cat == g.primary:
                continue
            own = tuple(g.secondary)
            rest = [c for c in own if c != cat]
            forms: list[tuple[str, tuple[str, ...]]] = [(cat, (g.primary, *rest))]  # switch
            if cat not in own:  # add, dropping the least pressed secondary if full
                keep = list(own)
                if len(keep) >= MAX_SECONDARY:
                    keep.remove(min(keep, key=lambda c: cool.get(c, 0.0)))
                forms.append((g.primary, (*keep, cat)))
            for primary, skills in forms:
                secondary = skills
                if len(skills) > MAX_SECONDARY:  # switch: drop the least pressed
                    extra = min(skills[1:], key=lambda c: cool.get(c, 0.0))
                    secondary = tuple(c for c in skills if c != extra)
                for span in spans:
                    p = Proposal(n, primary, secondary, None if span is None else span[0],
                                 None if span is None else span[1], g.primary, own)
                    out.append(((cool.get(g.primary, 0.0), rank, len(out)), p))
    return [p for _key, p in sorted(out, key=lambda x: x[0])]


def _score(plan: Scenario, hall: HallConfig, seeds: Sequence[int],
           objective: Objective = "open") -> Evaluation:
    return evaluate(plan, hall, seeds, objective=objective)


def _score_all(plan: Scenario, cands: Sequence[Change], hall: HallConfig,
               seeds: Sequence[int], pool: Executor | None,
               deadline: float | None, objective: Objective = "open"
               ) -> list[tuple[Change, Evaluation]]:
    """Each candidate applied to the plan, simulated on the seeds (until the deadline)."""
    if deadline is not None:
        scored = []
        for c in cands:
            if clock.perf_counter() > deadline:
                break
            scored.append((c, _score(apply(plan, c), hall, seeds, objective)))
        return scored
    if pool is not None:
        plans = [apply(plan, c) for c in cands]
        evals = list(pool.map(_score, plans, [hall] * len(plans), [list(seeds)] * len(plans),
                              [objective] * len(plans)))
        return list(zip(cands, evals, strict=True))
    return [(c, _score(apply(plan, c), hall, seeds, objective)) for c in cands]


def _confirm(plan: Scenario, scored: Sequence[tuple[Change, Evaluation]],
             before: Sequence[float], hall: HallConfig, confirm: Sequence[int],
             pool: Executor | None, objective: Objective
             ) -> tuple[Change, Evaluation, float]:
    """The step's 3 best candidates simulated on the `confirm` seeds too and judged on all
    seeds together: (the best of them, its search-seed evaluation, its gain)."""
    top = sorted(scored, key=lambda s: s[1].score)[:3]
    now = _score(plan, hall, confirm, objective)
    extra = [e for _c, e in _score_all(plan, [c for c, _e in top], hall, confirm, pool, None,
                                        objective)]
    both = [(float(np.mean([*e.values, *x.values])), c, e)
            for (c, e), x in zip(top, extra, strict=True)]
    score_both, best, best_eval = min(both, key=lambda b: b[0])
    gain = float(np.mean([*before, *now.values])) - score_both
    logger.info("advisor: confirmed on %d more seeds: %s gains %.2f", len(confirm), best, gain)
    return best, best_eval, gain


def advise(scenario: Scenario, hall: HallConfig, seeds: Sequence[int] = range(8),
           max_changes: int = 4, hot: int = 2, min_gain_min: float = 0.5, jobs: int = 1,
           deadline: float | None = None, confirm: Sequence[int] = (),
           objective: Objective = "open", lunch: bool = False) -> Advice:
    """Greedy tidal changes (see the module docstring) that cut the mean p95 on `seeds`
    (`objective` "open": waits counted in open hours; "wall": wall-clock waits); `jobs` > 1
    simulates candidates in worker processes; stop at `deadline` (time.perf_counter) if given.
    With `confirm` seeds, the 3 best candidates of a step are also simulated on those and
    judged on all seeds together (the best of many candidates on few seeds is partly luck:
    this keeps less of it). With `lunch`, a staggered lunch of flexible windows
    (`lunch_candidates`) competes with the skill changes at each step (at most one is kept)."""
    t0 = clock.perf_counter()
    sessions = [(s.start.hour * 60.0 + s.start.minute, s.end.hour * 60.0 + s.end.minute)
                for s in hall.opening_hours.sessions]
    plan = scenario
    base = evaluate(plan, hall, seeds, pressure=True, objective=objective)
    assert base.pressure is not None
    press = base.pressure
    start = current = base.score
    proposals: list[Proposal] = []
    staggered: LunchProposal | None = None
    periods: dict[str, tuple[float, float] | None] = {}
    evaluated = 0
    pool: Executor | None = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        before = base.values
        for _ in range(max_changes):
            cands: list[Change] = [*candidates(plan, press, sessions, hot,
                                               [p.window for p in proposals], periods)]
            if lunch and staggered is None:
                cands += lunch_candidates(plan, press, sessions, hot)
            scored = _score_all(plan, cands, hall, seeds, pool, deadline, objective)
            evaluated += len(scored)
            if not scored:
                break
            best, best_eval = min(scored, key=lambda s: s[1].score)
            gain = current - best_eval.score
            logger.info("advisor: %d candidates, best %s: %.2f -> %.2f", len(scored), best,
                        current, best_eval.score)
            if confirm and gain >= min_gain_min:
                best, best_eval, gain = _confirm(plan, scored, before, hall, confirm, pool,
                                                 objective)
                evaluated += min(3, len(scored)) + 1
            if gain < min_gain_min:
                break
            chosen = replace(best, p95_before=current, p95_after=best_eval.score)
            if isinstance(chosen, LunchProposal):
                staggered = chosen
            else:
                proposals.append(chosen)
            plan = apply(plan, chosen)
            current = best_eval.score
            after = evaluate(plan, hall, seeds, pressure=True, objective=objective)
            assert after.pressure is not None
            press = after.pressure
            before = after.values
    finally:
        if pool is not None:
            pool.shutdown()
    return Advice(proposals, plan, start, current, evaluated, clock.perf_counter() - t0,
                  periods, staggered)


@dataclass(frozen=True)
class Check:
    """Held-out comparison, paired per seed: after - before."""

    open_p95: Interval
    p95: Interval
    before: Evaluation
    after: Evaluation


def check(scenario: Scenario, advice: Advice, hall: HallConfig,
          seeds: Sequence[int], jobs: int = 1) -> Check:
    """Paired 95% CIs of p95(after) - p95(before) on seeds (use ones the search did not)."""
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            halves = [list(seeds)[k::jobs] for k in range(jobs)]
            b_parts = list(pool.map(_score, [scenario] * jobs, [hall] * jobs, halves))
            a_parts = list(pool.map(_score, [advice.plan] * jobs, [hall] * jobs, halves))
        before = Evaluation([v for e in b_parts for v in e.open_p95],
                            [v for e in b_parts for v in e.p95])
        after = Evaluation([v for e in a_parts for v in e.open_p95],
                           [v for e in a_parts for v in e.p95])
    else:
        before = evaluate(scenario, hall, seeds)
        after = evaluate(advice.plan, hall, seeds)
    return Check(paired_ci(after.open_p95, before.open_p95), paired_ci(after.p95, before.p95),
                 before, after)


def describe(groups: Sequence[WindowGroup]) -> str:
    """Short text of a window plan, e.g. `3 x qiye+shuiwu`."""
    return ", ".join(f"{g.count} x {'+'.join((g.primary, *g.secondary))}" for g in groups)


def category_names(hall: HallConfig) -> dict[str, tuple[str, str]]:
    """Category code -> (zh, en) names."""
    return {c.code: (c.name.zh, c.name.en) for c in hall.categories}


def main(argv: Sequence[str] | None = None) -> None:
    """Search proposals for a scenario, then check them on held-out seeds."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--search-seeds", type=int, default=8)
    ap.add_argument("--held-out", type=int, default=100)
    ap.add_argument("--max-changes", type=int, default=4)
    ap.add_argument("--hot", type=int, default=2)
    ap.add_argument("--min-gain", type=float, default=0.5)
    ap.add_argument("--confirm-seeds", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--objective", choices=("open", "wall"), default="open",
                    help="minimise the p95 of open-hours waits (default) or wall-clock waits")
    ap.add_argument("--lunch", action="store_true",
                    help="also consider a staggered lunch (错峰午休) of flexible windows")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    scenario, hall = load_scenario(args.scenario)
    advice = advise(scenario, hall, range(args.search_seeds), args.max_changes, args.hot,
                    args.min_gain, jobs=args.jobs,
                    confirm=range(500, 500 + args.confirm_seeds), objective=args.objective,
                    lunch=args.lunch)
    names = category_names(hall)
    print(f"{scenario.name}: search on {args.search_seeds} seeds (+{args.confirm_seeds} to "
          f"confirm), hot {args.hot}, min gain {args.min_gain}, {advice.evaluated} "
          f"candidate plans, {advice.seconds:.0f} s; {args.objective} p95 {advice.p95_before:.2f} "
          f"-> {advice.p95_after:.2f} min")
    for cat, span in advice.periods.items():
        print(f"  worst period of {cat}: "
              f"{'none' if span is None else f'{hhmm(span[0])}-{hhmm(span[1])}'}")
    changes: list[Change] = [*advice.proposals, *([advice.lunch] if advice.lunch else [])]
    for p in sorted(changes, key=lambda c: -c.p95_before):  # in the order they were chosen
        zh, en = p.text(names)
        print(f"  {zh} | {en} | {p.p95_before:.2f} -> {p.p95_after:.2f}")
    if not changes:
        return
    held = range(1000, 1000 + args.held_out)
    res = check(scenario, advice, hall, held, jobs=args.jobs)
    print(f"held-out {args.held_out} seeds, after - before (paired 95% CI): open-hours p95 "
          f"{res.open_p95.mean:+.2f} ± {res.open_p95.half:.2f} min; p95 "
          f"{res.p95.mean:+.2f} ± {res.p95.half:.2f} min; before: open-hours p95 "
          f"{np.mean(res.before.open_p95):.2f}, p95 {np.mean(res.before.p95):.2f}")


if __name__ == "__main__":
    main()
