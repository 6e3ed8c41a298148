"""Closed-form queueing results the simulation is validated against, and stationary test
days (Poisson arrivals, exponential service, one long session) to compare them with."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hallserver.config.models import RoutingConfig
from hallserver.domain.routing import WindowView
from hallserver.sim.workload import Customer, Day, SimWindow


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c (load a = lambda / mu < c)."""
    if load >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    top = term * load / servers / (1 - load / servers)
    return top / (total + top)


def mmc_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C)."""
    load = arrival_rate / service_rate
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


def cobham_waits(rates: Sequence[float], service_rate: float, servers: int) -> list[float]:
    """Mean waits per class of non-preemptive priority M/M/c, class 0 highest (Cobham 1954):
    W_k = C(c, a) / (c mu) / ((1 - s_{k-1}) (1 - s_k)), s_k = sum_{i<=k} lambda_i / (c mu)."""
    load = sum(rates) / service_rate
    w0 = erlang_c(servers, load) / (servers * service_rate)
    out, before = [], 0.0
    for rate in rates:
        after = before + rate / (servers * service_rate)
        out.append(w0 / ((1 - before) * (1 - after)))
        before = after
    return out


def stationary_day(seed: int, servers: int, arrival_rate: float, mean_service: float,
                   minutes: float, priority_share: float = 0.0,
                   routing: RoutingConfig | None = None,
                   service_cv: float | None = None) -> Day:
    """One category, `servers` identical windows open for `minutes`, Poisson arrivals and
    exponential service (lognormal with `service_cv` if given); nobody leaves or is late."""
    rng = np.random.default_rng([seed, 7])
    n = rng.poisson(arrival_rate * minutes)
    arrivals = np.sort(rng.uniform(0.0, minutes, n))
    if service_cv is None:
        work = rng.exponential(mean_service, n)
    else:
        s2 = math.log1p(service_cv**2)
        work = rng.lognormal(math.log(mean_service) - s2 / 2, math.sqrt(s2), n)
    prio = rng.random(n) < priority_share
    customers = tuple(
        Customer(i, float(a), "x", "X-1", mean_service, float(w), priority=bool(p))
        for i, (a, w, p) in enumerate(zip(arrivals, work, prio, strict=True)))
    windows = tuple(SimWindow(WindowView(k + 1, "x"), 1.0, ((0.0, minutes),))
                    for k in range(servers))
    return Day(customers=customers, windows=windows, categories=("x",), prefixes={"x": "X"},
               priors={"x": mean_service}, routing=routing or RoutingConfig(),
               close=minutes, sessions=((0.0, minutes),))
