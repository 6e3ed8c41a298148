"""Tidal-window advisor: proposals change only flexible windows' secondary skills and cut
the p95 wait they were searched on."""

from __future__ import annotations

from hallserver.sim.advisor import Proposal, advise, apply, single_windows
from hallserver.sim.scenario import Absence, Scenario, load_scenario


def _short_staffed_smoke() -> Scenario:
    """Smoke day with 2 of 5 社保 windows away all morning and every window flexible."""
    scenario, _hall = load_scenario("smoke")
    groups = [g.model_copy(update={"flexible": True}) for g in scenario.windows]
    away = Absence.model_validate({"windows": [6, 7], "start": "09:00", "end": "12:00"})
    return scenario.model_copy(update={"windows": groups, "absences": [away],
                                       "tickets_per_day": 420.0})


def test_single_windows_keeps_the_plan() -> None:
    scenario, _hall = load_scenario("S1")
    plan = single_windows(scenario)
    assert len(plan.windows) == 60
    assert [g.primary for g in plan.windows][:10] == ["qiye"] * 9 + ["shebao"]


def test_apply_swaps_a_secondary() -> None:
    scenario, _hall = load_scenario("smoke")
    plan = apply(single_windows(scenario), Proposal(4, "shebao", "zonghe", 0, 0))
    assert plan.windows[3].secondary == ["shuiwu", "shebao"]
    assert plan.windows[3].primary == "qiye"


def test_advice_cuts_the_p95_it_was_searched_on() -> None:
    scenario = _short_staffed_smoke()
    _s, hall = load_scenario("smoke")
    advice = advise(scenario, hall, seeds=range(2), max_changes=1)
    assert advice.proposals, "the short-staffed category should get help"
    assert advice.p95_after < advice.p95_before
    for p in advice.proposals:
        before = single_windows(scenario).windows[p.window - 1]
        after = advice.plan.windows[p.window - 1]
        assert after.primary == before.primary
        assert p.add in after.secondary and p.add not in before.secondary
