"""Report rules (统计报表): periods, histogram bins, the satisfaction rate, 高频/低频 items and
the monthly window score (月度排名, 红旗窗口). Pure: the service feeds it counts from SQL."""

from __future__ import annotations

import calendar as _cal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from devices.protocol.ratings import BAD_LEVELS


class Period(StrEnum):
    """The span a report covers."""

    DAY = "day"
    WEEK = "week"  # ISO week, Monday to Sunday
    MONTH = "month"


@dataclass(frozen=True)
class Span:
    """A report's dates (local service days, both ends included)."""

    period: Period
    start: date
    end: date

    def days(self) -> list[date]:
        """Every calendar date of the span."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def span_of(period: Period, anchor: date) -> Span:
    """The day, ISO week or month containing `anchor`."""
    if period is Period.DAY:
        return Span(period, anchor, anchor)
    if period is Period.WEEK:
        start = anchor - timedelta(days=anchor.isoweekday() - 1)
        return Span(period, start, start + timedelta(days=6))
    last = _cal.monthrange(anchor.year, anchor.month)[1]
    return Span(period, anchor.replace(day=1), anchor.replace(day=last))


def month_of(anchor: date) -> Span:
    """The calendar month containing `anchor` (the monthly sections' span)."""
    return span_of(Period.MONTH, anchor)


# ---- distributions -----------------------------------------------------------------------

# Upper bounds in minutes of each bin, (lo, hi]; the last bin is open. Waits use 5-minute
# bins so that 20 and 30 minutes (the call-within targets) fall on bin edges.
WAIT_BINS_MIN: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 40, 50, 60, 90)
SERVICE_BINS_MIN: tuple[int, ...] = (2, 4, 6, 8, 10, 15, 20, 30, 45, 60)
CALL_TARGETS_MIN: tuple[int, ...] = (20, 30)


def bin_labels(bounds: Sequence[int]) -> list[tuple[str, str]]:
    """(zh, en) label of each bin: 0–5, 5–10, … and ≥ the last bound."""
    labels = []
    lo = 0
    for hi in bounds:
        labels.append((f"{lo}–{hi}分钟", f"{lo}–{hi} min"))
        lo = hi
    labels.append((f"{lo}分钟以上", f"over {lo} min"))
    return labels


# ---- satisfaction ------------------------------------------------------------------------

GOOD_LEVELS = frozenset({3, 4, 5})  # 基本满意 and better: not a 差评
TOP_LEVELS = frozenset({4, 5})  # 满意, 非常满意


def satisfaction(by_level: dict[int, int]) -> float | None:
    """满意率: share of 基本满意, 满意 and 非常满意 among counted ratings (None without any).
    国办发〔2019〕51号 counts only 不满意 and 非常不满意 as 差评, so 基本满意 is satisfied."""
    total = sum(by_level.values())
    if total == 0:
        return None
    bad = sum(n for lv, n in by_level.items() if lv in BAD_LEVELS)
    return round((total - bad) / total, 4)


def top_share(by_level: dict[int, int]) -> float | None:
    """Share of 满意 and 非常满意 (shown beside the 满意率: it separates good from very good)."""
    total = sum(by_level.values())
    if total == 0:
        return None
    return round(sum(n for lv, n in by_level.items() if lv in TOP_LEVELS) / total, 4)


def share(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None for an empty whole."""
    return round(part / whole, 4) if whole else None


def mean(total: float, count: int) -> float | None:
    """An average to 1 decimal; None without data."""
    return round(total / count, 1) if count else None


# ---- 高频 / 低频 items ---------------------------------------------------------------------

HIGH_PER_MONTH = 500  # 月办件量超过 500 件: 高频事项
LOW_PER_MONTH = 100  # 月办件量低于 100 件: 低频事项


def volume_class(monthly: float) -> str:
    """'high', 'normal' or 'low' by a month's case volume (the seeds' thresholds)."""
    if monthly > HIGH_PER_MONTH:
        return "high"
    if monthly < LOW_PER_MONTH:
        return "low"
    return "normal"


def projected(actual: int, elapsed_days: int, total_days: int) -> float:
    """A month's volume projected from the service days elapsed (the whole month: as is)."""
    if elapsed_days <= 0 or elapsed_days >= total_days:
        return float(actual)
    return round(actual * total_days / elapsed_days, 1)


def service_days(days: Sequence[date], is_service_day: Callable[[date], bool]) -> list[date]:
    """The service days among `days`."""
    return [d for d in days if is_service_day(d)]


# ---- 月度排名 ------------------------------------------------------------------------------

VOLUME_POINTS = 40.0  # the busiest window gets all of them, others in proportion
SATISFACTION_POINTS = 60.0  # times the 满意率
OVERDUE_DEDUCTION = 5.0  # per 差评整改 case answered late or still open past its date
RED_FLAGS = 3  # 红旗窗口 per month
RED_FLAG_MIN_RATINGS = 10  # fewer ratings than this is not enough to judge a window


@dataclass(frozen=True)
class WindowMonth:
    """One window's month: what the score is made of."""

    window: int
    volume: int  # completed transactions (办件量)
    ratings: int  # counted ratings
    satisfaction: float | None
    overdue: int  # rectification cases late


@dataclass(frozen=True)
class Ranked:
    """A window's place in the month."""

    month: WindowMonth
    rank: int
    volume_points: float
    satisfaction_points: float
    deduction: float
    score: float
    red_flag: bool


def rank_windows(months: Sequence[WindowMonth]) -> list[Ranked]:
    """Score and rank windows: volume points (share of the busiest window's volume) plus
    satisfaction points minus deductions for late rectification cases (倒扣, never below 0);
    the best `RED_FLAGS` windows with enough ratings and no late case are 红旗窗口."""
    busiest = max((m.volume for m in months), default=0)
    scored = []
    for m in months:
        vol = VOLUME_POINTS * m.volume / busiest if busiest else 0.0
        sat = SATISFACTION_POINTS * (m.satisfaction or 0.0)
        ded = OVERDUE_DEDUCTION * m.overdue
        scored.append((m, round(vol, 1), round(sat, 1), ded,
                       round(max(0.0, vol + sat - ded), 1)))
    scored.sort(key=lambda s: (-s[4], -s[0].volume, s[0].window))
    out = []
    flags = 0
    for i, (m, vol, sat, ded, score) in enumerate(scored):
        eligible = (m.volume > 0 and m.ratings >= RED_FLAG_MIN_RATINGS and m.overdue == 0
                    and score > 0)
        red = eligible and flags < RED_FLAGS
        flags += red
        out.append(Ranked(month=m, rank=i + 1, volume_points=vol, satisfaction_points=sat,
                          deduction=ded, score=score, red_flag=red))
    return out
