"""Predicted wait at issue time, from live service-time estimates per category.

The windows' work ahead of a ticket is spread over the time the hall is open: a ticket taken
before opening or over lunch waits for the next session, and work that does not fit before
the lunch break continues after it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hallserver.config.models import HallConfig
from hallserver.domain.routing import WindowView

SECONDARY_SHARE_WEIGHT = 0.5  # a window spends less effort on secondary skills


def category_priors(cfg: HallConfig) -> dict[str, float]:
    """Mean expected service minutes of each category's items (10 when it has none): the
    estimator's starting point."""
    priors = {}
    for c in cfg.categories:
        minutes = [i.expected_minutes for i in cfg.items if i.category == c.code]
        priors[c.code] = sum(minutes) / len(minutes) if minutes else 10.0
    return priors


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
    with secondary skills weighted down. (The layout lists a category once per window.)
    """
    work: dict[str, float] = {}  # waiting work per category (plus one service)
    total = 0.0
    for w in windows:
        primary = w.primary
        if category != primary and category not in w.secondary:
            continue
        load = work.get(primary)
        if load is None:
            load = work[primary] = (waiting.get(primary, 0) + 1) * estimator.mean(primary)
        weights = load * 1.0
        mine = weights if primary == category else 0.0
        for skill in w.secondary:
            load = work.get(skill)
            if load is None:
                load = work[skill] = (waiting.get(skill, 0) + 1) * estimator.mean(skill)
            weight = load * SECONDARY_SHARE_WEIGHT
            weights += weight
            if skill == category:
                mine = weight
        total += mine / weights
    return total

def forecast(
    category: str,
    *,
    people_ahead: int,
    open_windows: Iterable[WindowView],
    all_windows: Iterable[WindowView],
    waiting: Mapping[str, int],
    estimator: ServiceTimeEstimator,
    now: datetime | None = None,
    sessions: Sequence[tuple[datetime, datetime]] = (),
) -> WaitForecast:
    """Predicted minutes until a ticket with `people_ahead` before it is called.

    With `now` and the day's `sessions` (open periods, in order), closed time before the
    predicted call (before opening, the lunch break) is added to the windows' working time.
    """
    servers = effective_servers(category, open_windows, waiting, estimator)
    assumed = False
    if servers <= 0:
        servers = effective_servers(category, all_windows, waiting, estimator)
        assumed = True
    if servers <= 0:
        return WaitForecast(people_ahead, float("inf"), 0.0, assumed)
    ahead: float = people_ahead
    if now is not None and sessions:
        for start, end in sessions:
            if start <= now < end:
                break
        else:  # closed now: the windows open idle and call the first ones in line at once
            ahead = max(0.0, people_ahead + 1 - servers)
        minutes = wall_clock_minutes(now, ahead * estimator.mean(category) / servers, sessions)
    else:
        minutes = ahead * estimator.mean(category) / servers
    return WaitForecast(people_ahead, minutes, servers, assumed)


def wall_clock_minutes(now: datetime, working: float,
                       sessions: Sequence[tuple[datetime, datetime]]) -> float:
    """Minutes from `now` until `working` minutes of open time have passed.

    Open time is inside `sessions` (ordered, non-overlapping); after the last session the
    windows serve on (whoever still waits is served after closing).
    """
    at = now
    left = working * 60.0  # seconds
    for start, end in sessions:
        if end <= at:
            continue
        at = max(at, start)
        span = (end - at).total_seconds()
        if left <= span:
            break
        left -= span
        at = end
    return (at - now).total_seconds() / 60.0 + left / 60.0
