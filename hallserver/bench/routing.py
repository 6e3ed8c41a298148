"""`hallserver bench routing`: simulate hall days and compare the production routing policy
with baselines and the pooled reference (issue #7). Prints a table per scenario, writes
JSON and PNG plots on request."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
from pathlib import Path

from hallserver.config.loader import ConfigError
from hallserver.sim.report import render, to_json
from hallserver.sim.runner import run_benchmark
from hallserver.sim.scenario import builtin_scenarios, load_scenario

logger = logging.getLogger(__name__)


def run(scenarios: list[str] | None = None, seeds: int = 30, json_path: Path | None = None,
        plots: Path | None = None, jobs: int | None = None,
        policies: list[str] | None = None) -> int:
    """Benchmark each scenario (default: all built-in ones); 0 on success."""
    names = scenarios or [n for n in builtin_scenarios() if n != "smoke"]
    jobs = jobs or min(2, os.cpu_count() or 1)
    out = {}
    if plots is not None and importlib.util.find_spec("matplotlib") is None:
        print("--plots needs matplotlib: .venv/bin/pip install --require-hashes --no-deps "
              "-r requirements/test.txt (the test lock has the benchmark tools)", file=sys.stderr)
        return 2
    for name in names:
        try:
            scenario, hall = load_scenario(name)
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
        bench = run_benchmark(scenario, hall, range(seeds), policies, jobs=jobs)
        print(render(bench), flush=True)
        out[bench.scenario] = to_json(bench)
        if plots is not None:
            from hallserver.sim.plots import write_plots  # noqa: PLC0415 (matplotlib)

            for path in write_plots(bench, plots):
                print(f"plot: {path}")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"json: {json_path}")
    return 0
