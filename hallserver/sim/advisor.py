"""Tidal-window advisor (潮汐窗口): propose secondary-skill changes for flexible windows that
cut the predicted p95 wait of a day's plan, judged by the same simulator and production
policy. Greedy: try giving each flexible window one of the hottest categories, keep the best
change if it helps, repeat. Proposals are then checked on seeds the search never saw.

The objective is the p95 of waits counted in open hours: time spent waiting over lunch or
before the doors open is the same whatever the windows' skills, and it dominates the
wall-clock p95 of a day (tickets taken at lunch wait until 13:30)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hallserver.config.models import HallConfig
from hallserver.sim.dispatch import POLICIES
from hallserver.sim.engine import simulate
from hallserver.sim.metrics import open_minutes
from hallserver.sim.scenario import Scenario, WindowGroup
from hallserver.sim.stats import Interval, paired_ci
from hallserver.sim.workload import build_day

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Proposal:
    """Give `window` the secondary skill `add` (dropping `drop`, if any)."""

    window: int
    add: str
    drop: str | None
    p95_before: float  # mean p95 over the search seeds before this change ...
    p95_after: float  # ... and after it (with the earlier proposals applied)

    def __str__(self) -> str:
        swap = f" instead of {self.drop}" if self.drop else ""
        return (f"window {self.window}: add secondary {self.add}{swap} "
                f"(open-hours p95 {self.p95_before:.1f} -> {self.p95_after:.1f} min)")


@dataclass(frozen=True)
class Advice:
    """The proposals, in order, and the plan with all of them applied."""

    proposals: list[Proposal]
    plan: Scenario
    p95_before: float
    p95_after: float


def single_windows(scenario: Scenario) -> Scenario:
    """The same plan with one window per group, so one window's skills can change."""
    groups = [g.model_copy(update={"count": 1}) for g in scenario.windows for _ in range(g.count)]
    return scenario.model_copy(update={"windows": groups})


def apply(plan: Scenario, proposal: Proposal) -> Scenario:
    """The plan with one proposal applied (plan must have one window per group)."""
    groups = list(plan.windows)
    g = groups[proposal.window - 1]
    secondary = [s for s in g.secondary if s != proposal.drop] + [proposal.add]
    groups[proposal.window - 1] = g.model_copy(update={"secondary": secondary})
    return plan.model_copy(update={"windows": groups})


def evaluate(plan: Scenario, hall: HallConfig, seeds: Sequence[int],
             policy: str = "production") -> tuple[list[float], dict[str, float]]:
    """Per-seed p95 open-hours waits of a plan, and per category over all seeds."""
    p95s: list[float] = []
    by_cat: dict[str, list[np.ndarray]] = {}
    for seed in seeds:
        day = build_day(plan, hall, seed)
        result = simulate(day, POLICIES[policy](day, seed))
        called = [(c, t) for c, t in zip(day.customers, result.first_call, strict=True)
                  if not math.isnan(t)]
        w = np.array([open_minutes(c.arrive, t, day.sessions) for c, t in called])
        p95s.append(float(np.percentile(w, 95)))
        cats = np.array([c.category for c, _t in called])
        for cat in day.categories:
            by_cat.setdefault(cat, []).append(w[cats == cat])
    cat_p95 = {c: float(np.percentile(np.concatenate(ws), 95)) if sum(map(len, ws)) else 0.0
               for c, ws in by_cat.items()}
    return p95s, cat_p95


def advise(scenario: Scenario, hall: HallConfig, seeds: Sequence[int] = range(6),
           max_changes: int = 3, max_secondary: int = 2, hot: int = 2,
           min_gain_min: float = 0.5) -> Advice:
    """Greedy secondary-skill changes for flexible windows that cut the mean p95 wait."""
    plan = single_windows(scenario)
    p95s, cat_p95 = evaluate(plan, hall, seeds)
    start = current = float(np.mean(p95s))
    proposals: list[Proposal] = []
    for _ in range(max_changes):
        hottest = sorted(cat_p95, key=lambda c: -cat_p95[c])[:hot]
        best: tuple[float, Proposal, dict[str, float]] | None = None
        for number, g in enumerate(plan.windows, start=1):
            if not g.flexible:
                continue
            for cat in hottest:
                if cat == g.primary or cat in g.secondary:
                    continue
                # add the skill, or swap it for the least loaded secondary
                drops: list[str | None] = [min(g.secondary, key=lambda c: cat_p95.get(c, 0.0))
                                           ] if g.secondary else []
                if len(g.secondary) < max_secondary:
                    drops.insert(0, None)
                for drop in drops:
                    trial = Proposal(number, cat, drop, current, current)
                    p95s, trial_cats = evaluate(apply(plan, trial), hall, seeds)
                    score = float(np.mean(p95s))
                    if best is None or score < best[0]:
                        best = (score, trial, trial_cats)
        if best is None or current - best[0] < min_gain_min:
            break
        score, trial, cat_p95 = best
        proposal = Proposal(trial.window, trial.add, trial.drop, current, score)
        logger.info("advisor: %s", proposal)
        proposals.append(proposal)
        plan = apply(plan, proposal)
        current = score
    return Advice(proposals, plan, start, current)


def check(scenario: Scenario, advice: Advice, hall: HallConfig,
          seeds: Sequence[int]) -> Interval:
    """Paired 95% CI of p95(after) - p95(before) on seeds (use ones the search did not)."""
    before, _ = evaluate(single_windows(scenario), hall, seeds)
    after, _ = evaluate(advice.plan, hall, seeds)
    return paired_ci(after, before)


def describe(groups: Sequence[WindowGroup]) -> str:
    """Short text of a window plan, e.g. `3 x qiye+shuiwu`."""
    return ", ".join(f"{g.count} x {'+'.join((g.primary, *g.secondary))}" for g in groups)
