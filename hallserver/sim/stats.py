"""Paired confidence intervals over seeds (common random numbers across policies)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, stdev


def t_quantile(p: float, df: int) -> float:
    """Student-t quantile by the Cornish-Fisher expansion (error < 1e-3 for df >= 5)."""
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean and its two-sided 95% confidence half-width."""

    mean: float
    half: float
    n: int

    @property
    def low(self) -> float:
        """Lower bound."""
        return self.mean - self.half

    @property
    def high(self) -> float:
        """Upper bound."""
        return self.mean + self.half

    def __str__(self) -> str:
        return f"{self.mean:.2f} ± {self.half:.2f}"


def mean_ci(values: Sequence[float], level: float = 0.95) -> Interval:
    """Mean with a t confidence interval (NaNs dropped)."""
    xs = [v for v in values if not math.isnan(v)]
    if not xs:
        return Interval(math.nan, math.nan, 0)
    if len(xs) < 2:
        return Interval(xs[0], math.inf, 1)
    half = t_quantile(0.5 + level / 2, len(xs) - 1) * stdev(xs) / math.sqrt(len(xs))
    return Interval(fmean(xs), half, len(xs))


def paired_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Interval:
    """CI of the mean of per-seed differences a - b (same seeds, same customers)."""
    return mean_ci([x - y for x, y in zip(a, b, strict=True)], level)


def ratio_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Interval:
    """CI of the mean of per-seed ratios a / b."""
    return mean_ci([x / y if y else math.nan for x, y in zip(a, b, strict=True)], level)
