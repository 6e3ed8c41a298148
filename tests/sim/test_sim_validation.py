"""Validation of the simulation (driving the production policy) against queueing theory and
the `ciw` library. Stationary cases: one category, identical windows, one long session."""

from __future__ import annotations

import numpy as np
import pytest

from hallserver.config.models import RoutingConfig
from hallserver.sim.dispatch import production
from hallserver.sim.engine import simulate
from hallserver.sim.metrics import waits
from hallserver.sim.queueing import cobham_waits, erlang_c, mmc_wait, stationary_day
from hallserver.sim.workload import Day

SERVERS, MEAN, RHO = 3, 10.0, 0.7
RATE = RHO * SERVERS / MEAN
WARM_UP = 600.0  # minutes from an empty hall discarded


def _run(day: Day) -> tuple[np.ndarray, np.ndarray]:
    result = simulate(day, production(day, 0))
    keep = np.array([c.arrive for c in day.customers]) > WARM_UP
    prio = np.array([c.priority for c in day.customers])
    w = waits(day, result)
    return w[keep], prio[keep]


def test_erlang_c_formula_known_values() -> None:
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_wait(0.5, 1.0, 1) == pytest.approx(1.0)  # rho / (mu - lambda)


def test_cobham_reduces_to_erlang_c_for_one_class() -> None:
    assert cobham_waits([RATE], 1 / MEAN, SERVERS)[0] == pytest.approx(
        mmc_wait(RATE, 1 / MEAN, SERVERS))


def test_mmc_matches_erlang_c_within_3_percent() -> None:
    minutes = 50_000 / RATE  # ~100,000 citizens over two runs
    w = np.concatenate([_run(stationary_day(s, SERVERS, RATE, MEAN, minutes))[0]
                        for s in (0, 1)])
    p_wait = erlang_c(SERVERS, RATE * MEAN)
    assert float((w > 1e-9).mean()) == pytest.approx(p_wait, rel=0.03)
    assert float(w.mean()) == pytest.approx(mmc_wait(RATE, 1 / MEAN, SERVERS), rel=0.03)


def test_priority_lane_matches_cobham() -> None:
    """The production credit made as large as allowed (60 min, cap 120) is, at this load,
    practically strict non-preemptive priority."""
    cfg = RoutingConfig(priority_credit_min=60, max_credit_min=120)
    share = 0.3
    minutes = 50_000 / RATE
    runs = [_run(stationary_day(s, SERVERS, RATE, MEAN, minutes, priority_share=share,
                                routing=cfg)) for s in (0, 1)]
    w = np.concatenate([r[0] for r in runs])
    prio = np.concatenate([r[1] for r in runs])
    high, low = cobham_waits([RATE * share, RATE * (1 - share)], 1 / MEAN, SERVERS)
    assert float(w[prio].mean()) == pytest.approx(high, rel=0.08)
    assert float(w[~prio].mean()) == pytest.approx(low, rel=0.05)
    assert w[prio].mean() < 0.4 * w[~prio].mean()


@pytest.mark.parametrize("cv", [None, 1.5])
def test_same_sample_path_as_ciw(cv: float | None) -> None:
    """M/G/c first come first served: fed the same inter-arrival and service times, ciw and
    the simulation give every citizen the same wait."""
    ciw = pytest.importorskip("ciw")
    day = stationary_day(4, SERVERS, RATE, MEAN, 5_000 / RATE, service_cv=cv)
    ours = waits(day, simulate(day, production(day, 0)))
    arrivals = [c.arrive for c in day.customers]
    gaps = np.diff([0.0, *arrivals]).tolist()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Sequential([*gaps, 1e12])],
        service_distributions=[ciw.dists.Sequential([c.work for c in day.customers])],
        number_of_servers=[SERVERS])
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(arrivals[-1] * 10)
    records = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)
    theirs = np.array([r.waiting_time for r in records])
    assert len(theirs) == len(ours)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
