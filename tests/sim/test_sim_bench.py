"""`hallserver bench routing` on the smoke scenario: table, JSON, plots, paired statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hallserver.cli import main
from hallserver.sim.report import goals, render, to_json
from hallserver.sim.runner import run_benchmark
from hallserver.sim.scenario import load_scenario
from hallserver.sim.stats import mean_ci, paired_ci, t_quantile


def test_t_quantiles_match_tables() -> None:
    assert t_quantile(0.975, 29) == pytest.approx(2.0452, abs=1e-3)
    assert t_quantile(0.975, 10) == pytest.approx(2.2281, abs=2e-3)
    assert t_quantile(0.975, 1000) == pytest.approx(1.9623, abs=1e-3)


def test_paired_interval_removes_the_shared_noise() -> None:
    base = [10.0, 30.0, 50.0, 70.0]
    shifted = [b + 2.0 for b in base]
    assert paired_ci(shifted, base).mean == 2.0
    assert paired_ci(shifted, base).half == 0.0
    assert mean_ci(shifted).half > 10


def test_benchmark_report_and_json() -> None:
    scenario, hall = load_scenario("smoke")
    bench = run_benchmark(scenario, hall, range(3), ["production", "pooled", "dept-queues",
                                                     "bound-shortest"])
    text = render(bench)
    for name in bench.policies:
        assert f"| {name} |" in text
    data = json.loads(json.dumps(to_json(bench)))
    assert len(data["policies"]["production"]["p95"]["values"]) == 3
    assert {g.text for g in goals(bench)} >= {"% called within 20 min"}
    # same customers for every policy
    assert len(set(map(tuple, (bench.values(p, "tickets") for p in bench.policies)))) == 1


def test_cli_writes_json_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "routing.json"
    assert main(["bench", "routing", "--scenario", "smoke", "--seeds", "2", "--jobs", "1",
                 "--json", str(out), "--plots", str(tmp_path / "plots")]) == 0
    assert "## smoke" in capsys.readouterr().out
    assert "smoke" in json.loads(out.read_text(encoding="utf-8"))
    assert (tmp_path / "plots" / "smoke-waits.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "smoke-within20-by-hour.png").stat().st_size > 1000
