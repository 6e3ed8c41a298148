"""Tidal-window advisor: skill shifts (tidal switches, time-bounded) in the simulator, and
proposals that change only flexible windows and cut the p95 wait they were searched on."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from hallserver.domain.tickets import Ticket
from hallserver.sim.advisor import (
    LunchProposal,
    Pressure,
    Proposal,
    advise,
    apply,
    candidates,
    category_names,
    lunch_candidates,
    main,
    single_windows,
)
from hallserver.sim.dispatch import POLICIES
from hallserver.sim.engine import simulate
from hallserver.sim.scenario import (
    SCENARIOS,
    Absence,
    LunchShift,
    Scenario,
    SkillShift,
    load_scenario,
)
from hallserver.sim.workload import build_day

SESSIONS = [(540.0, 720.0), (810.0, 1020.0)]


def _short_staffed_smoke(flexible: tuple[int, ...] | None = None) -> Scenario:
    """Smoke day with 3 of 5 社保 windows away all morning; windows `flexible` (all if None)."""
    scenario, _hall = load_scenario("smoke")
    plan = single_windows(scenario)
    groups = [g.model_copy(update={"flexible": flexible is None or n in flexible})
              for n, g in enumerate(plan.windows, start=1)]
    away = Absence.model_validate({"windows": [6, 7, 8], "start": "09:00", "end": "12:00"})
    return plan.model_copy(update={"windows": groups, "absences": [away],
                                   "tickets_per_day": 420.0})


def _calls(scenario: Scenario, seed: int = 1) -> list[tuple[int, str, float]]:
    """(window, category, minute) of every call of the production policy."""
    _s, hall = load_scenario("smoke")
    day = build_day(scenario, hall, seed)
    disp = POLICIES["production"](day, seed)
    take = disp.take
    calls: list[tuple[int, str, float]] = []

    def spy(window: int, now: datetime) -> Ticket | None:
        ticket = take(window, now)
        if ticket is not None:
            calls.append((window + 1, ticket.category, now.hour * 60 + now.minute
                          + now.second / 60))
        return ticket
    disp.take = spy  # type: ignore[method-assign]
    simulate(day, disp)
    return calls


def test_a_timed_switch_serves_the_new_category_only_in_its_period() -> None:
    scenario, _hall = load_scenario("smoke")
    # window 1 (企业开办 + 税务) takes 社保 first 09:30-11:00, then its own 企业开办
    shift = SkillShift.model_validate({"window": 1, "primary": "shebao",
                                       "secondary": ["qiye"], "start": "09:30",
                                       "end": "11:00"})
    calls = _calls(scenario.model_copy(update={"shifts": [shift]}))
    mine = [(c, t) for w, c, t in calls if w == 1]
    shebao = [t for c, t in mine if c == "shebao"]
    assert shebao and all(570 <= t < 660 for t in shebao)
    assert not [t for c, t in mine if c == "shuiwu" and 570 <= t < 660]  # dropped meanwhile
    assert [t for c, t in mine if c == "shuiwu" and t >= 660] or [
        t for c, t in mine if c == "qiye" and t >= 660]  # back to its own skills
    assert not any(c == "shebao" for w, c, _t in _calls(scenario) if w == 1)


def test_a_shift_to_the_same_skills_changes_nothing() -> None:
    scenario, hall = load_scenario("smoke")
    g = single_windows(scenario).windows[3]
    same = scenario.model_copy(update={"shifts": [SkillShift(
        window=4, primary=g.primary, secondary=list(g.secondary))]})
    for seed in (1, 2):
        a = simulate(d := build_day(scenario, hall, seed), POLICIES["production"](d, seed))
        b = simulate(d := build_day(same, hall, seed), POLICIES["production"](d, seed))
        assert np.array_equal(np.array(a.first_call), np.array(b.first_call), equal_nan=True)


@pytest.mark.parametrize("shift", [
    {"window": 1, "primary": "shebao", "start": "09:00"},  # no end
    {"window": 1, "primary": "shebao", "start": "12:00", "end": "09:00"},
    {"window": 1, "primary": "shebao", "secondary": ["shebao"]},
])
def test_bad_shifts_are_refused(shift: dict) -> None:
    with pytest.raises(ValidationError):
        SkillShift.model_validate(shift)


def test_overlapping_or_outside_shifts_are_refused() -> None:
    scenario, _hall = load_scenario("smoke")
    data = scenario.model_dump(mode="json")
    a = {"window": 1, "primary": "shebao", "start": "09:00", "end": "11:00"}
    b = {"window": 1, "primary": "huzheng", "start": "10:00", "end": "12:00"}
    with pytest.raises(ValidationError, match="overlap"):
        Scenario.model_validate({**data, "shifts": [a, b]})
    with pytest.raises(ValidationError, match="outside"):
        Scenario.model_validate({**data, "shifts": [{**a, "window": 99}]})
    ok = Scenario.model_validate({**data, "shifts": [a, {**b, "start": "11:00"}]})
    assert len(ok.shifts) == 2


def test_proposal_in_words() -> None:
    _s, hall = load_scenario("smoke")
    names = category_names(hall)
    switch = Proposal(5, "shebao", ("gongjijin",), 540.0, 720.0, "gongjijin", ("shebao",))
    assert switch.text(names)[0] == "5号窗口 09:00-12:00 先办社保医保，再办公积金"
    assert switch.text(names)[1] == ("window 5 09:00-12:00: Social Security & Medical "
                                     "Insurance first, then Housing Provident Fund")
    add = Proposal(3, "qiye", ("shuiwu", "shebao"), None, None, "qiye", ("shuiwu",))
    assert add.text(names)[0] == "3号窗口 全天 兼办社保医保"
    assert not add.switch and switch.switch
    assert apply(single_windows(load_scenario("smoke")[0]), switch).shifts[-1] == SkillShift(
        window=5, primary="shebao", secondary=["gongjijin"], start=time(9), end=time(12))


def _pressure(hot: str) -> Pressure:
    grid = np.arange(540.0, 1021.0, 15.0)
    age = np.where((grid >= 600) & (grid < 690), 30.0, 2.0)
    cats = ["qiye", "budongchan", "shebao", "huzheng", "shuiwu", "gongjijin", "zonghe"]
    return Pressure({c: 40.0 if c == hot else 10.0 + i for i, c in enumerate(cats)}, grid,
                    {c: age if c == hot else 0 * grid + 3 for c in cats})


def test_worst_period_is_where_the_head_age_is_high() -> None:
    press = _pressure("shebao")
    assert press.worst_period("shebao", SESSIONS) == (570.0, 690.0)  # 30 min ahead, half hours
    assert press.worst_period("qiye", SESSIONS) is None  # never pressed


def test_candidates_keep_to_flexible_windows() -> None:
    plan = _short_staffed_smoke(flexible=(1,))
    cands = candidates(plan, _pressure("shebao"), SESSIONS, hot=1)
    assert {c.window for c in cands} == {1}
    assert {(c.switch, c.start, c.end) for c in cands} == {
        (s, a, b) for s in (True, False) for a, b in ((570.0, 690.0), (540.0, 720.0),
                                                      (None, None))}
    switch = next(c for c in cands if c.switch)
    assert switch.primary == "shebao" and switch.secondary[0] == "qiye"
    everyone = candidates(_short_staffed_smoke(flexible=()), _pressure("shebao"), SESSIONS, 1)
    assert len({c.window for c in everyone}) > 10  # none flexible: every window may change
    # windows of 社保 itself never; 12 (户政 + 综合, 社保) has it already: switch only
    assert not {5, 6, 7, 8, 9}.intersection(c.window for c in everyone)
    assert all(c.switch for c in everyone if c.window == 12)
    assert any(c.window == 12 for c in everyone)


def test_advice_cuts_the_p95_it_was_searched_on() -> None:
    scenario = _short_staffed_smoke(flexible=(1, 2, 15, 16, 23))
    _s, hall = load_scenario("smoke")
    advice = advise(scenario, hall, seeds=range(2), max_changes=1, hot=1, confirm=[7])
    assert advice.proposals, "the short-staffed category should get help"
    assert advice.p95_after < advice.p95_before - 0.5
    for p in advice.proposals:
        assert p.window in (1, 2, 15, 16, 23)
        assert advice.plan.shifts[-1] == p.shift()


# ---- 错峰午休: staggered lunch ----------------------------------------------------------------


def test_a_late_lunch_window_is_staffed_over_the_halls_lunch_and_off_later() -> None:
    scenario, hall = load_scenario("smoke")
    plan = single_windows(scenario).model_copy(update={
        "lunch": [LunchShift(windows=[3, 4], start=time(12, 30), end=time(14, 0))],
        "away": scenario.away.model_copy(update={"per_window": 0.0})})
    day = build_day(plan, hall, 1)
    assert day.windows[2].duty == ((540.0, 750.0), (840.0, 1020.0))
    assert day.windows[0].duty == ((540.0, 720.0), (810.0, 1020.0))  # the hall's lunch
    calls = _calls(plan)
    at_lunch = {w for w, _c, t in calls if 720.0 <= t < 750.0}
    assert at_lunch and at_lunch <= {3, 4}  # only they call during 12:00-12:30
    assert not any(w in (3, 4) for w, _c, t in calls if 750.0 <= t < 840.0)
    assert any(w == 1 for w, _c, t in calls if 810.0 <= t < 840.0)


def test_a_staggered_lunch_keeps_the_draws_of_the_day() -> None:
    """Common random numbers: moving a lunch changes no citizen and no staff speed."""
    scenario, hall = load_scenario("smoke")
    plan = single_windows(scenario)
    moved = plan.model_copy(update={
        "lunch": [LunchShift(windows=[2], start=time(11, 30), end=time(13, 0))]})
    a, b = build_day(plan, hall, 4), build_day(moved, hall, 4)
    assert a.customers == b.customers
    assert [w.speed for w in a.windows] == [w.speed for w in b.windows]
    assert a.windows[1].duty != b.windows[1].duty


@pytest.mark.parametrize("lunch", [
    [{"windows": [1], "start": "13:00", "end": "12:00"}],  # ends before it starts
    [{"windows": [99], "start": "12:30", "end": "14:00"}],  # no such window
    [{"windows": [1, 2], "start": "12:30", "end": "14:00"},
     {"windows": [2], "start": "11:30", "end": "13:00"}],  # window 2 twice
])
def test_bad_lunch_shifts_are_refused(lunch: list[dict]) -> None:
    scenario, _hall = load_scenario("smoke")
    with pytest.raises(ValidationError):
        Scenario.model_validate({**scenario.model_dump(mode="json"), "lunch": lunch})


def test_lunch_candidates_move_flexible_windows_breaks() -> None:
    plan = _short_staffed_smoke(flexible=(1, 6, 12))
    cands = lunch_candidates(plan, _pressure("shebao"), SESSIONS, hot=1)
    # all flexible windows, and those serving 社保 (6: 社保; 12: 户政 + 社保): later or earlier
    assert {c.windows for c in cands} == {(1, 6, 12), (6, 12)}
    assert {(c.start, c.end) for c in cands} == {(750.0, 840.0), (780.0, 870.0),
                                                 (690.0, 780.0)}
    assert lunch_candidates(_short_staffed_smoke(flexible=()), _pressure("shebao"), SESSIONS,
                            1) == []
    assert lunch_candidates(plan, _pressure("shebao"), [(540.0, 1020.0)], 1) == []


def test_lunch_proposal_in_words_and_applied() -> None:
    p = LunchProposal((1, 23), 750.0, 840.0)
    assert p.text()[0] == "1、23号窗口 午休改为 12:30-14:00（错峰午休，午间有人叫号）"
    assert p.text()[1].startswith("windows 1, 23 take lunch 12:30-14:00")
    plan = apply(single_windows(load_scenario("smoke")[0]), p)
    assert plan.lunch == [LunchShift(windows=[1, 23], start=time(12, 30), end=time(14, 0))]


def test_advice_may_stagger_the_lunch_for_the_wall_clock_p95() -> None:
    """Tickets left at noon and taken over lunch wait for 13:30; a later lunch for the
    flexible windows calls them: the wall-clock search picks it."""
    scenario = _short_staffed_smoke(flexible=(1, 2, 15, 16, 23))
    _s, hall = load_scenario("smoke")
    advice = advise(scenario, hall, seeds=range(3), max_changes=1, hot=1, objective="wall",
                    lunch=True)
    assert advice.lunch is not None and not advice.proposals
    assert set(advice.lunch.windows) <= {1, 2, 15, 16, 23}
    assert advice.lunch.start > 720.0  # later, not earlier
    assert advice.p95_after < advice.p95_before - 1.0
    assert advice.plan.lunch == [advice.lunch.shift()]


def test_the_command_line_prints_a_lunch_proposal_and_its_held_out_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _short_staffed_smoke(flexible=(1, 2, 15, 16, 23))
    data = scenario.model_dump(mode="json")
    data["hall"] = str((SCENARIOS / load_scenario("smoke")[0].hall).resolve())
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    main([str(path), "--search-seeds", "2", "--held-out", "3", "--max-changes", "1",
          "--hot", "1", "--objective", "wall", "--lunch"])
    out = capsys.readouterr().out
    assert "wall p95" in out and "午休改为" in out and "staggered lunch" in out
    assert "held-out 3 seeds" in out
