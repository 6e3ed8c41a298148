"""Run every policy on the same simulated days (one per seed) and collect the metrics."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from hallserver.config.models import HallConfig
from hallserver.sim.dispatch import POLICIES
from hallserver.sim.engine import simulate
from hallserver.sim.metrics import day_metrics, hourly_within, waits
from hallserver.sim.scenario import Scenario
from hallserver.sim.stats import Interval, mean_ci, paired_ci, ratio_ci
from hallserver.sim.workload import build_day

logger = logging.getLogger(__name__)


@dataclass
class SeedOutcome:
    """All policies on one seed's day."""

    seed: int
    metrics: dict[str, dict[str, float]]  # policy -> metric -> value
    waits: dict[str, np.ndarray]
    hourly: dict[str, dict[int, tuple[int, int]]]


@dataclass
class Benchmark:
    """Per-seed metrics of every policy on one scenario."""

    scenario: str
    seeds: list[int]
    policies: list[str]
    metrics: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    waits: dict[str, np.ndarray] = field(default_factory=dict)  # pooled over seeds
    hourly: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)

    def values(self, policy: str, metric: str) -> list[float]:
        """Per-seed values of a metric under a policy."""
        return self.metrics[policy][metric]

    def ci(self, policy: str, metric: str) -> Interval:
        """Mean over seeds with its 95% CI."""
        return mean_ci(self.values(policy, metric))

    def diff(self, policy: str, other: str, metric: str) -> Interval:
        """Paired 95% CI of policy - other."""
        return paired_ci(self.values(policy, metric), self.values(other, metric))

    def ratio(self, policy: str, other: str, metric: str) -> Interval:
        """Paired 95% CI of the per-seed ratio policy / other."""
        return ratio_ci(self.values(policy, metric), self.values(other, metric))


def run_seed(scenario: Scenario, hall: HallConfig, seed: int,
             policies: Sequence[str]) -> SeedOutcome:
    """Draw the seed's day once and run every policy on it."""
    day = build_day(scenario, hall, seed)
    out = SeedOutcome(seed, {}, {}, {})
    for name in policies:
        result = simulate(day, POLICIES[name](day, seed))
        out.metrics[name] = day_metrics(day, result)
        out.waits[name] = waits(day, result)
        out.hourly[name] = hourly_within(day, result)
    return out


def run_benchmark(scenario: Scenario, hall: HallConfig, seeds: Sequence[int],
                  policies: Sequence[str] | None = None, jobs: int = 1) -> Benchmark:
    """Every policy on every seed; `jobs` > 1 runs seeds in worker processes."""
    names = list(policies or POLICIES)
    bench = Benchmark(scenario.name, list(seeds), names,
                      {n: {} for n in names}, {}, {n: {} for n in names})
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(run_seed, [scenario] * len(seeds), [hall] * len(seeds),
                                     list(seeds), [names] * len(seeds)))
    else:
        outcomes = [run_seed(scenario, hall, s, names) for s in seeds]
    for o in outcomes:
        for name in names:
            for metric, value in o.metrics[name].items():
                bench.metrics[name].setdefault(metric, []).append(value)
            for hour, (ok, n) in o.hourly[name].items():
                ok0, n0 = bench.hourly[name].get(hour, (0, 0))
                bench.hourly[name][hour] = (ok0 + ok, n0 + n)
    for name in names:
        bench.waits[name] = np.concatenate([o.waits[name] for o in outcomes])
    logger.info("scenario %s: %d policies x %d seeds", scenario.name, len(names), len(seeds))
    return bench
