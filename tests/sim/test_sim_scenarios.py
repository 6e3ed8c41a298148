"""Scenario files: every shipped one loads; mistakes are reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hallserver.config.loader import ConfigError
from hallserver.sim.scenario import SCENARIOS, builtin_scenarios, load_scenario
from hallserver.sim.workload import build_day

HALL = (Path(__file__).parents[2] / "firmware_configs/demo/hall.yaml").resolve()


def test_all_scenarios_ship() -> None:
    assert builtin_scenarios() == ["smoke", *(f"S{i}" for i in range(1, 9))]


@pytest.mark.parametrize("name", builtin_scenarios())
def test_scenario_loads(name: str) -> None:
    scenario, hall = load_scenario(name)
    assert scenario.name.lower() == name.lower()
    windows = sum(g.count for g in scenario.windows)
    assert windows == (24 if name == "smoke" else 60)
    assert {c.code for c in hall.categories} >= set(scenario.category_mix)


def test_s1_is_a_day_of_about_1730_tickets() -> None:
    scenario, hall = load_scenario("S1")
    counts = [len(build_day(scenario, hall, s).customers) for s in range(8)]
    assert 1600 < sum(counts) / len(counts) < 1860


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(f"schema_version: 1\nname: bad\ndescription: test\nhall: {HALL}\n{text}",
                    encoding="utf-8")
    return path


BASE = ("tickets_per_day: 100\narrival_weights: [1, 1]\n"
        "category_mix: {shebao: 1}\nwindows:\n  - {count: 2, primary: shebao}\n")


def test_a_good_file_loads(tmp_path: Path) -> None:
    scenario, _hall = load_scenario(_write(tmp_path, BASE))
    assert scenario.windows[0].count == 2


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_scenario(_write(tmp_path, BASE + "colour: blue\n"))
    issue = err.value.issues[0]
    assert (issue.line, issue.path) == (10, "colour")
    assert "unknown key" in issue.message


def test_unknown_category_names_its_line(tmp_path: Path) -> None:
    text = BASE.replace("{count: 2, primary: shebao}",
                        "{count: 2, primary: shebao}\n  - {count: 1, primary: nosuch}")
    with pytest.raises(ConfigError) as err:
        load_scenario(_write(tmp_path, text))
    assert [(i.line, i.path) for i in err.value.issues] == [(10, "windows[1].primary")]
    assert str(err.value).startswith(f"{tmp_path / 'bad.yaml'}:10:")


def test_a_category_nobody_serves_is_an_error(tmp_path: Path) -> None:
    text = BASE.replace("{shebao: 1}", "{shebao: 1, qiye: 1}")
    with pytest.raises(ConfigError, match="no window serves category 'qiye'"):
        load_scenario(_write(tmp_path, text))


def test_scenarios_live_next_to_the_code() -> None:
    assert (SCENARIOS / "s1.yaml").is_file()
