"""The hall-day simulation on the smoke scenario: it runs, conserves tickets, is
deterministic per seed and drives the production routing policy."""

from __future__ import annotations

import math

import pytest

from hallserver.domain.routing import WeightedHeadOfLine
from hallserver.sim.dispatch import POLICIES, LateBinding, production
from hallserver.sim.engine import simulate
from hallserver.sim.scenario import load_scenario
from hallserver.sim.workload import Day, build_day


@pytest.fixture(scope="module")
def smoke_day() -> Day:
    scenario, hall = load_scenario("smoke")
    return build_day(scenario, hall, seed=3)


def test_same_seed_same_day() -> None:
    scenario, hall = load_scenario("smoke")
    assert build_day(scenario, hall, 5) == build_day(scenario, hall, 5)
    assert build_day(scenario, hall, 5).customers != build_day(scenario, hall, 6).customers


@pytest.mark.parametrize("name", list(POLICIES))
def test_every_ticket_is_called_once_the_day_ends(smoke_day: Day, name: str) -> None:
    result = simulate(smoke_day, POLICIES[name](smoke_day, 0))
    assert all(not math.isnan(t) for t in result.first_call)
    for call, c in zip(result.first_call, smoke_day.customers, strict=True):
        assert call >= c.arrive
        assert call >= smoke_day.sessions[0][0]  # nobody is called before opening
    # a 过号 citizen who rejoins is called again: at most one extra call per no-show
    assert len(smoke_day.customers) <= result.calls <= len(smoke_day.customers) + result.no_shows


def test_production_runs_the_production_policy(smoke_day: Day) -> None:
    disp = production(smoke_day, 0)
    assert isinstance(disp, LateBinding)
    assert type(disp.policy) is WeightedHeadOfLine
    assert disp.policy.config == smoke_day.routing


def test_late_binding_never_leaves_a_window_idle_while_it_could_serve(smoke_day: Day) -> None:
    assert simulate(smoke_day, production(smoke_day, 0)).idle_eligible_min == 0
    bound = simulate(smoke_day, POLICIES["bound-random"](smoke_day, 0))
    assert bound.idle_eligible_min > 0


def test_same_day_same_result(smoke_day: Day) -> None:
    a = simulate(smoke_day, production(smoke_day, 0))
    b = simulate(smoke_day, production(smoke_day, 0))
    assert a.first_call == b.first_call
    assert a.predicted == b.predicted
