"""Metrics of one simulated day: waits, service levels, balance, idle waste, ETA error."""

from __future__ import annotations

import math

import numpy as np

from hallserver.sim.engine import RunResult
from hallserver.sim.workload import Day, Interval

# name -> (column header, unit or "" , higher is better)
METRICS: dict[str, tuple[str, str, bool]] = {
    "tickets": ("tickets", "", True),
    "mean": ("mean wait", "min", False),
    "p50": ("p50", "min", False),
    "p90": ("p90", "min", False),
    "p95": ("p95", "min", False),
    "p99": ("p99", "min", False),
    "max": ("max", "min", False),
    "within20": ("<=20 min", "%", True),
    "within30": ("<=30 min", "%", True),
    "open_p95": ("p95 open hrs", "min", False),
    "open_within20": ("<=20 open hrs", "%", True),
    "util_spread": ("util spread", "pp", False),
    "idle_eligible": ("idle w/ eligible", "win-min", False),
    "overtakes": ("overtakes", "", False),
    "priority_ratio": ("prio/other wait", "x", False),
    "absent_rate": ("过号 rate", "%", False),
    "eta_mae": ("ETA MAE", "min", False),
    "eta_mae_open": ("ETA MAE open hrs", "min", False),
    "overtime": ("overtime", "min", False),
    "cpu_ms": ("CPU/day", "ms", False),
}


def open_minutes(t0: float, t1: float, sessions: tuple[Interval, ...]) -> float:
    """Minutes of [t0, t1] during which the hall was open (lunch and the door excluded)."""
    return sum(max(0.0, min(t1, b) - max(t0, a)) for a, b in sessions)


def _within_open(t: float, sessions: tuple[Interval, ...]) -> bool:
    return any(a <= t < b for a, b in sessions)


def day_metrics(day: Day, result: RunResult) -> dict[str, float]:
    """Every metric of one run (waits until the first call, in minutes)."""
    arrive = np.array([c.arrive for c in day.customers])
    call = np.array(result.first_call)
    called = ~np.isnan(call)
    wait = call[called] - arrive[called]
    open_wait = np.array([open_minutes(a, b, day.sessions)
                          for a, b in zip(arrive[called], call[called], strict=True)])
    prio = np.array([c.priority for c in day.customers])[called]
    predicted = np.array(result.predicted)[called]
    err = np.abs(predicted - wait)
    issued_open = np.array([_within_open(a, day.sessions) for a in arrive[called]])
    others = wait[~prio]
    q = np.percentile(wait, [50, 90, 95, 99]) if wait.size else np.zeros(4)
    return {
        "tickets": float(len(day.customers)),
        "mean": float(wait.mean()),
        "p50": float(q[0]), "p90": float(q[1]), "p95": float(q[2]), "p99": float(q[3]),
        "max": float(wait.max()),
        "within20": 100.0 * float((wait <= 20).mean()),
        "within30": 100.0 * float((wait <= 30).mean()),
        "open_p95": float(np.percentile(open_wait, 95)),
        "open_within20": 100.0 * float((open_wait <= 20).mean()),
        "util_spread": utilisation_spread(result),
        "idle_eligible": result.idle_eligible_min,
        "overtakes": float(result.overtakes),
        "priority_ratio": (float(wait[prio].mean() / others.mean())
                           if prio.any() and others.size and others.mean() > 0 else math.nan),
        "absent_rate": 100.0 * result.no_shows / max(1, len(day.customers)),
        "eta_mae": float(err[np.isfinite(err)].mean()),
        "eta_mae_open": float(err[np.isfinite(err) & issued_open].mean()),
        "overtime": max(0.0, result.last_call - day.close),
        "cpu_ms": 1000.0 * result.cpu_s,
    }


def utilisation_spread(result: RunResult) -> float:
    """Mean over skill groups (windows with the same primary) of max - min utilisation, in
    percentage points; utilisation = busy / staffed minutes, capped at 100%."""
    groups: dict[str, list[float]] = {}
    for g, busy, duty in zip(result.groups, result.busy_min, result.duty_min, strict=True):
        if duty > 0:
            groups.setdefault(g, []).append(min(1.0, busy / duty))
    spreads = [max(u) - min(u) for u in groups.values() if len(u) > 1]
    return 100.0 * sum(spreads) / len(spreads) if spreads else 0.0


def waits(day: Day, result: RunResult) -> np.ndarray:
    """Waits until the first call (minutes) of every called ticket."""
    call = np.array(result.first_call)
    arrive = np.array([c.arrive for c in day.customers])
    ok = ~np.isnan(call)
    out: np.ndarray = call[ok] - arrive[ok]
    return out


def hourly_within(day: Day, result: RunResult, limit: float = 20.0) -> dict[int, tuple[int, int]]:
    """Per hour of issue: (tickets called within `limit` minutes, tickets)."""
    out: dict[int, tuple[int, int]] = {}
    for c, t in zip(day.customers, result.first_call, strict=True):
        if math.isnan(t):
            continue
        hour = int(c.arrive // 60)
        ok, n = out.get(hour, (0, 0))
        out[hour] = (ok + (t - c.arrive <= limit), n + 1)
    return out
