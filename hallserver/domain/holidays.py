"""The statutory public holidays of a year, by the law, for years whose State Council notice
is not yet out (or not yet entered).

全国年节及纪念日放假办法 (as revised 2024-11-10, in force from 2025) gives every citizen 13
days off: 元旦 1 (1 January), 春节 4 (除夕 and 正月初一 to 初三), 清明节 1 (the 清明 solar term),
劳动节 2 (1-2 May), 端午节 1 (五月初五), 中秋节 1 (八月十五) and 国庆节 3 (1-3 October). Each
year's notice (国务院办公厅关于部分节假日安排的通知) then joins them to weekends and moves
working days (调休); that part cannot be computed. So a deadline in an unannounced year is
counted with the statutory days closed and no 调休, and marked provisional."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from lunardate import LunarDate  # type: ignore[import-untyped]

# The years the lunar table of `lunardate` covers, and the 清明 formula below holds for.
FIRST_YEAR, LAST_YEAR = 2001, 2099


@dataclass(frozen=True)
class StatutoryHoliday:
    """One statutory holiday of a year and its days off."""

    zh: str
    en: str
    days: tuple[date, ...]


def qingming(year: int) -> date:
    """The date of the 清明 solar term (4 or 5 April) in the 21st century: the classic
    formula [Y·0.2422 + 4.81] - [Y/4] on the year's last two digits (checked against
    the solar terms of `chinesecalendar` for every year, tests/domain/test_holidays.py)."""
    _check(year)
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def statutory_holidays(year: int) -> list[StatutoryHoliday]:
    """The year's statutory days off, in calendar order."""
    _check(year)
    new_year = _lunar(year, 1, 1)
    return [
        StatutoryHoliday("元旦", "New Year", (date(year, 1, 1),)),
        StatutoryHoliday("春节", "Spring Festival",
                         tuple(new_year + timedelta(days=d) for d in range(-1, 3))),
        StatutoryHoliday("清明节", "Qingming", (qingming(year),)),
        StatutoryHoliday("劳动节", "Labour Day", (date(year, 5, 1), date(year, 5, 2))),
        StatutoryHoliday("端午节", "Dragon Boat", (_lunar(year, 5, 5),)),
        StatutoryHoliday("中秋节", "Mid-Autumn", (_lunar(year, 8, 15),)),
        StatutoryHoliday("国庆节", "National Day",
                         (date(year, 10, 1), date(year, 10, 2), date(year, 10, 3))),
    ]


@cache
def statutory_days_off(year: int) -> frozenset[date]:
    """Every statutory day off of the year."""
    return frozenset(d for h in statutory_holidays(year) for d in h.days)


def _check(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"statutory holidays are computed for {FIRST_YEAR}-{LAST_YEAR}, "
                         f"not {year}")
