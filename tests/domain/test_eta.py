"""Predicted waits: service-time estimates, effective servers per category, forecasts."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallserver.domain.eta import (
    ServiceTimeEstimator,
    WaitForecast,
    effective_servers,
    forecast,
    wall_clock_minutes,
)
from hallserver.domain.routing import WindowView

CATEGORIES = ("social", "medical", "housing", "business")
PRIORS = {"social": 8.0, "medical": 12.0, "housing": 20.0, "business": 30.0}


def est() -> ServiceTimeEstimator:
    return ServiceTimeEstimator(dict(PRIORS))


# ---------------------------------------------------------------- estimator

def test_estimator_starts_at_the_prior() -> None:
    e = est()
    for c, prior in PRIORS.items():
        assert e.mean(c) == prior
    assert e.mean("unknown") == 10.0  # documented fallback for a category without prior


@given(category=st.sampled_from(CATEGORIES),
       observations=st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=30))
def test_observe_moves_toward_the_clipped_observation(category: str,
                                                      observations: list[float]) -> None:
    e = est()
    prior = PRIORS[category]
    for x in observations:
        before = e.mean(category)
        e.observe(category, x)
        after = e.mean(category)
        target = min(max(x, 0.2 * prior), 5.0 * prior)
        # never overshoots, moves by alpha of the gap
        assert min(before, target) - 1e-9 <= after <= max(before, target) + 1e-9
        assert after - before == pytest.approx(e.alpha * (target - before), abs=1e-9)
        assert 0.2 * prior - 1e-9 <= after <= 5.0 * prior + 1e-9
    # other categories are untouched
    for other in CATEGORIES:
        if other != category:
            assert e.mean(other) == PRIORS[other]


def test_observation_moves_estimate_toward_it() -> None:
    e = est()
    e.observe("social", 10.0)
    assert PRIORS["social"] < e.mean("social") < 10.0
    e2 = est()
    e2.observe("social", 6.0)
    assert 6.0 < e2.mean("social") < PRIORS["social"]


def test_outliers_are_clipped() -> None:
    prior = PRIORS["medical"]
    high, low = est(), est()
    high.observe("medical", 10_000.0)  # a forgotten "complete" button
    low.observe("medical", 0.0)  # a mis-click
    assert high.mean("medical") == pytest.approx(prior + high.alpha * (5.0 * prior - prior))
    assert low.mean("medical") == pytest.approx(prior + low.alpha * (0.2 * prior - prior))
    for _ in range(500):
        high.observe("medical", 10_000.0)
        low.observe("medical", 0.0)
    assert high.mean("medical") == pytest.approx(5.0 * prior, rel=1e-6)
    assert low.mean("medical") == pytest.approx(0.2 * prior, rel=1e-6)


# ---------------------------------------------------------------- effective servers

_skills = st.tuples(st.sampled_from(CATEGORIES),
                    st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3))


def window_sets(min_size: int = 1) -> st.SearchStrategy[list[WindowView]]:
    """1-6 windows numbered from 1, each with a primary and distinct secondary skills."""
    return st.lists(_skills, min_size=min_size, max_size=6).map(lambda rows: [
        WindowView(n, primary, tuple(c for c in secondary if c != primary))
        for n, (primary, secondary) in enumerate(rows, start=1)
    ])


waiting_counts = st.dictionaries(st.sampled_from(CATEGORIES), st.integers(0, 200))


@settings(max_examples=200, deadline=None)
@given(windows=window_sets(), waiting=waiting_counts,
       priors=st.fixed_dictionaries({c: st.floats(0.5, 120) for c in CATEGORIES}))
def test_shares_of_all_categories_sum_to_the_number_of_windows(
    windows: list[WindowView], waiting: dict[str, int], priors: dict[str, float]
) -> None:
    e = ServiceTimeEstimator(priors)
    served = {c for w in windows for c in w.skills}
    shares = {c: effective_servers(c, windows, waiting, e) for c in served}
    assert sum(shares.values()) == pytest.approx(len(windows))
    for c in served:
        n_serving = sum(c in w.skills for w in windows)
        assert 0 < shares[c] <= n_serving + 1e-9
    for c in set(CATEGORIES) - served:
        assert effective_servers(c, windows, waiting, e) == 0.0


def test_single_skill_window_is_one_full_server() -> None:
    w = [WindowView(1, "social"), WindowView(2, "social")]
    assert effective_servers("social", w, {}, est()) == pytest.approx(2.0)


def test_primary_skill_gets_the_larger_share_at_equal_work() -> None:
    e = ServiceTimeEstimator({"social": 10.0, "medical": 10.0})
    w = [WindowView(1, "social", ("medical",))]
    primary = effective_servers("social", w, {"social": 5, "medical": 5}, e)
    secondary = effective_servers("medical", w, {"social": 5, "medical": 5}, e)
    assert primary > secondary
    assert primary + secondary == pytest.approx(1.0)


def test_more_waiting_work_draws_a_larger_share() -> None:
    w = [WindowView(1, "social", ("medical",))]
    e = est()
    quiet = effective_servers("medical", w, {"medical": 0, "social": 10}, e)
    busy = effective_servers("medical", w, {"medical": 50, "social": 10}, e)
    assert busy > quiet


# ---------------------------------------------------------------- forecast

def _fc(category: str, ahead: int, open_: list[WindowView],
        all_: list[WindowView] | None = None,
        waiting: dict[str, int] | None = None) -> WaitForecast:
    return forecast(category, people_ahead=ahead, open_windows=open_,
                    all_windows=all_ if all_ is not None else open_,
                    waiting=waiting or {}, estimator=est())


@settings(max_examples=100, deadline=None)
@given(windows=window_sets(), waiting=waiting_counts, ahead=st.integers(0, 300),
       category=st.sampled_from(CATEGORIES))
def test_forecast_grows_with_people_ahead(windows: list[WindowView], waiting: dict[str, int],
                                          ahead: int, category: str) -> None:
    if not any(category in w.skills for w in windows):
        windows = [*windows, WindowView(99, category)]
    fewer = _fc(category, ahead, windows, waiting=waiting)
    more = _fc(category, ahead + 1, windows, waiting=waiting)
    assert more.minutes > fewer.minutes
    assert fewer.people_ahead == ahead
    assert fewer.servers == more.servers
    assert not fewer.assumed_staffing
    assert fewer.minutes == pytest.approx(ahead * PRIORS[category] / fewer.servers)


@settings(max_examples=100, deadline=None)
@given(windows=window_sets(), extra=window_sets(), waiting=waiting_counts,
       ahead=st.integers(1, 300), category=st.sampled_from(CATEGORIES))
def test_forecast_shrinks_with_more_windows(windows: list[WindowView], extra: list[WindowView],
                                            waiting: dict[str, int], ahead: int,
                                            category: str) -> None:
    windows = [*windows, WindowView(90, category)]
    added = [WindowView(100 + w.number, w.primary, w.secondary) for w in extra]
    base = _fc(category, ahead, windows, waiting=waiting)
    bigger = _fc(category, ahead, [*windows, *added], waiting=waiting)
    if any(category in w.skills for w in added):
        assert bigger.minutes < base.minutes
        assert bigger.servers > base.servers
    else:
        assert bigger.minutes == pytest.approx(base.minutes)


def test_no_people_ahead_no_wait() -> None:
    f = _fc("social", 0, [WindowView(1, "social")])
    assert f.minutes == 0.0
    assert f.servers == pytest.approx(1.0)


def test_no_open_window_assumes_configured_staffing() -> None:
    configured = [WindowView(1, "social"), WindowView(2, "medical", ("social",))]
    f = _fc("social", 4, [], configured)
    assert f.assumed_staffing
    assert f.servers == pytest.approx(effective_servers("social", configured, {}, est()))
    assert f.minutes == pytest.approx(4 * PRIORS["social"] / f.servers)
    # an open window serving other categories only counts as no server either
    g = _fc("social", 4, [WindowView(3, "housing")], configured)
    assert g.assumed_staffing
    assert g.servers == pytest.approx(f.servers)
    # once a serving window is open the forecast is live, not assumed
    h = _fc("social", 4, [configured[0]], configured)
    assert not h.assumed_staffing


def test_nothing_serves_the_category_gives_infinity() -> None:
    f = _fc("business", 3, [WindowView(1, "social")], [WindowView(1, "social"),
                                                       WindowView(2, "medical")])
    assert math.isinf(f.minutes)
    assert f.servers == 0.0
    assert f.assumed_staffing
    assert f.people_ahead == 3


# ---------------------------------------------------------------- closed time (hours)

DAY0 = datetime(2026, 11, 23, tzinfo=timezone(timedelta(hours=8)))


def hm(text: str) -> datetime:
    h, m = map(int, text.split(":"))
    return DAY0 + timedelta(hours=h, minutes=m)


SESSIONS = [(hm("09:00"), hm("12:00")), (hm("13:30"), hm("17:00"))]


@pytest.mark.parametrize(("now", "working", "expected"), [
    ("10:00", 30, 30),  # open all along
    ("11:50", 30, 30 + 90),  # lunch falls before the call
    ("12:00", 0, 90),  # issued at the start of lunch: nothing happens until 13:30
    ("12:30", 10, 60 + 10),
    ("08:50", 5, 10 + 5),  # before opening
    ("08:00", 200, 60 + 180 + 90 + 20),  # morning fills up, the rest after lunch
    ("16:50", 30, 30),  # after the last session the windows serve on
    ("18:00", 5, 5),
])
def test_wall_clock_minutes_add_closed_time(now: str, working: float, expected: float) -> None:
    assert wall_clock_minutes(hm(now), working, SESSIONS) == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(start=st.integers(7 * 60, 18 * 60), working=st.floats(0, 600, allow_nan=False))
def test_wall_clock_minutes_count_exactly_the_open_time(start: int, working: float) -> None:
    now = DAY0 + timedelta(minutes=start)
    wall = wall_clock_minutes(now, working, SESSIONS)
    assert wall >= working - 1e-9
    end = now + timedelta(minutes=wall)
    open_time = sum(max(0.0, (min(b, end) - max(a, now)).total_seconds() / 60)
                    for a, b in SESSIONS)
    after = max(0.0, (end - max(now, SESSIONS[-1][1])).total_seconds() / 60)
    assert open_time + after == pytest.approx(working, abs=1e-6)


def _at(now: str | None, ahead: int, open_: list[WindowView],
        all_: list[WindowView]) -> WaitForecast:
    return forecast("social", people_ahead=ahead, open_windows=open_, all_windows=all_,
                    waiting={}, estimator=est(), now=None if now is None else hm(now),
                    sessions=SESSIONS)


def test_forecast_with_hours_adds_the_lunch_break() -> None:
    w = [WindowView(1, "social"), WindowView(2, "social")]
    plain = _at(None, 6, w, w)  # no clock: working minutes only
    assert plain.minutes == pytest.approx(6 * 8.0 / 2)
    assert _at("10:00", 6, w, w).minutes == pytest.approx(plain.minutes)
    assert _at("11:50", 6, w, w).minutes == pytest.approx(plain.minutes + 90)


def test_forecast_while_closed_lets_the_first_ones_in_at_opening() -> None:
    # two windows open idle at 13:30 and call the first two at once
    w = [WindowView(1, "social"), WindowView(2, "social")]
    for ahead, working in ((0, 0.0), (1, 0.0), (2, 8.0 / 2), (5, 4 * 8.0 / 2)):
        f = _at("12:30", ahead, [], w)
        assert f.assumed_staffing
        assert f.minutes == pytest.approx(60 + working)
