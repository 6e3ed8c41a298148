"""Predicted wait at issue time, from live service-time estimates per category."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hallserver.domain.routing import WindowView

SECONDARY_SHARE_WEIGHT = 0.5  # a window spends less effort on secondary skills


@dataclass
class ServiceTimeEstimator:
    """Exponentially weighted mean service minutes per category, seeded by the layout.

    Observations are clipped to [0.2, 5] x the prior, so a forgotten "complete" button
    or an instant mis-click does not swing the estimate.
    """

    prior_minutes: Mapping[str, float]
    alpha: float = 0.1
    _mean: dict[str, float] = field(default_factory=dict)

    def observe(self, category: str, minutes: float) -> None:
        """Fold one finished service duration into the category's estimate."""
        prior = self.prior_minutes.get(category, 10.0)
        clipped = min(max(minutes, 0.2 * prior), 5.0 * prior)
        current = self._mean.get(category, prior)
        self._mean[category] = current + self.alpha * (clipped - current)

    def mean(self, category: str) -> float:
        """Current estimate of mean service minutes for a category."""
        return self._mean.get(category, self.prior_minutes.get(category, 10.0))


@dataclass(frozen=True, slots=True)
class WaitForecast:
    """What the kiosk shows and prints: people ahead and the predicted wait."""

    people_ahead: int
    minutes: float
    servers: float  # effective windows serving the category now
    assumed_staffing: bool  # no window serves it now: assumed the configured ones open


def effective_servers(
    category: str,
    windows: Iterable[WindowView],
    waiting: Mapping[str, int],
    estimator: ServiceTimeEstimator,
) -> float:
    """Share of the given windows' time that goes to the category.

    A window splits its time across its skills in proportion to the waiting work of each,
    with secondary skills weighted down.
    """
    total = 0.0
    for w in windows:
        if category not in w.skills:
            continue
        weights = {}
        for skill in w.skills:
            work = (waiting.get(skill, 0) + 1) * estimator.mean(skill)
            weights[skill] = work * (1.0 if skill == w.primary else SECONDARY_SHARE_WEIGHT)
        total += weights[category] / sum(weights.values())
    return total


def forecast(
    category: str,
    *,
    people_ahead: int,
    open_windows: Iterable[WindowView],
    all_windows: Iterable[WindowView],
    waiting: Mapping[str, int],
    estimator: ServiceTimeEstimator,
) -> WaitForecast:
    """Predicted minutes until a ticket with `people_ahead` before it is called."""
    servers = effective_servers(category, open_windows, waiting, estimator)
    assumed = False
    if servers <= 0:
        servers = effective_servers(category, all_windows, waiting, estimator)
        assumed = True
    if servers <= 0:
        return WaitForecast(people_ahead, float("inf"), 0.0, assumed)
    minutes = people_ahead * estimator.mean(category) / servers
    return WaitForecast(people_ahead, minutes, servers, assumed)
