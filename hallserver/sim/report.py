"""Text table, goal checks and JSON of a routing benchmark."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hallserver.sim.metrics import METRICS
from hallserver.sim.runner import Benchmark
from hallserver.sim.stats import Interval

PRODUCTION = "production"
WAIT_METRICS = ("tickets", "mean", "p50", "p90", "p95", "p99", "max", "within20", "within30",
                "open_p95", "open_within20")
OTHER_METRICS = ("util_spread", "idle_eligible", "overtakes", "priority_ratio", "absent_rate",
                 "eta_mae", "eta_mae_open", "overtime", "cpu_ms")
WHOLE = ("tickets", "idle_eligible", "overtakes", "cpu_ms")


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal of the issue: what it says, the measured interval, whether it is met."""

    text: str
    measured: Interval
    target: str
    met: bool


def _fmt(ci: Interval, digits: int = 1) -> str:
    if math.isnan(ci.mean):
        return "-"
    return f"{ci.mean:.{digits}f}±{ci.half:.{digits}f}"


def table(bench: Benchmark, metrics: tuple[str, ...]) -> str:
    """Markdown table: one row per policy, mean ± 95% CI half-width over the seeds."""
    heads = [f"{METRICS[m][0]}" + (f" ({METRICS[m][1]})" if METRICS[m][1] else "")
             for m in metrics]
    lines = ["| policy | " + " | ".join(heads) + " |",
             "|---|" + "---:|" * len(heads)]
    for p in bench.policies:
        cells = [_fmt(bench.ci(p, m), 0 if m in WHOLE else 1) for m in metrics]
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def comparisons(bench: Benchmark) -> str:
    """Paired differences of p95 and mean wait against the production policy."""
    if PRODUCTION not in bench.policies:
        return ""
    lines = ["| policy | p95 - production (min) | production / policy p95 | "
             "mean - production (min) | <=20 min - production (pp) |",
             "|---|---:|---:|---:|---:|"]
    for p in bench.policies:
        if p == PRODUCTION:
            continue
        lines.append(
            f"| {p} | {_fmt(bench.diff(p, PRODUCTION, 'p95'))} | "
            f"{_fmt(bench.ratio(PRODUCTION, p, 'p95'), 2)} | "
            f"{_fmt(bench.diff(p, PRODUCTION, 'mean'))} | "
            f"{_fmt(bench.diff(p, PRODUCTION, 'within20'))} |")
    return "\n".join(lines)


def goals(bench: Benchmark) -> list[Goal]:
    """The issue's goals for the production policy (stated for S1; checked on any scenario)."""
    p = PRODUCTION
    out: list[Goal] = []
    if p not in bench.policies:
        return out
    if "dept-queues" in bench.policies:
        r = bench.ratio(p, "dept-queues", "p95")
        out.append(Goal("p95 / department category queues' p95", r, "<= 0.5", r.mean <= 0.5))
    if "bound-shortest" in bench.policies:
        r = bench.ratio(p, "bound-shortest", "p95")
        out.append(Goal("p95 / shortest-queue binding's p95", r, "<= 0.4", r.mean <= 0.4))
    if "pooled" in bench.policies:
        d = bench.diff(p, "pooled", "p95")
        out.append(Goal("p95 - pooled reference's p95 (min)", d, "<= 5", d.mean <= 5))
    idle = bench.ci(p, "idle_eligible")
    out.append(Goal("window-minutes idle while an eligible ticket waited", idle, "0",
                    max(bench.values(p, "idle_eligible")) == 0))
    w = bench.ci(p, "within20")
    out.append(Goal("% called within 20 min", w, ">= 98", w.mean >= 98))
    e = bench.ci(p, "eta_mae")
    out.append(Goal("predicted-wait MAE (min)", e, "< 3", e.mean < 3))
    c = bench.ci(p, "cpu_ms")
    out.append(Goal("CPU per simulated day (ms)", c, "< 100", c.mean < 100))
    return out


def goals_text(bench: Benchmark) -> str:
    """Goal lines, each marked met or MISSED."""
    return "\n".join(f"- {'met   ' if g.met else 'MISSED'} {g.text}: {_fmt(g.measured, 2)} "
                     f"(goal {g.target})" for g in goals(bench))


def render(bench: Benchmark) -> str:
    """The whole text report of one scenario."""
    return (f"## {bench.scenario}: {len(bench.seeds)} seeds, mean ± 95% CI half-width\n\n"
            f"{table(bench, WAIT_METRICS)}\n\n{table(bench, OTHER_METRICS)}\n\n"
            "Paired with the production policy (same customers):\n\n"
            f"{comparisons(bench)}\n\nGoals (production policy):\n{goals_text(bench)}\n")


def to_json(bench: Benchmark) -> dict[str, Any]:
    """JSON-ready dict: per-seed values, CIs, paired comparisons and goals."""
    def ci(i: Interval) -> dict[str, float | None]:
        return {"mean": _num(i.mean), "ci95": _num(i.half), "n": i.n}

    return {
        "scenario": bench.scenario,
        "seeds": bench.seeds,
        "policies": {p: {m: {**ci(bench.ci(p, m)), "values": [_num(v) for v in vs]}
                         for m, vs in bench.metrics[p].items()} for p in bench.policies},
        "paired_vs_production": {
            p: {m: ci(bench.diff(p, PRODUCTION, m)) for m in ("p95", "mean", "within20")}
            for p in bench.policies if p != PRODUCTION and PRODUCTION in bench.policies},
        "within20_by_hour": {p: {str(h): [ok, n] for h, (ok, n) in sorted(hs.items())}
                             for p, hs in bench.hourly.items()},
        "goals": [{"goal": g.text, "target": g.target, "met": g.met, **ci(g.measured)}
                  for g in goals(bench)],
    }


def _num(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else round(x, 4)
