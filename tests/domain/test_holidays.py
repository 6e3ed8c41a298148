"""The statutory holidays by law (domain/holidays.py) and the shipped calendar file, checked
against `chinesecalendar` (the published notices, 2004-2026)."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from hallserver.config.loader import CALENDARS, validate_file
from hallserver.config.models import HolidayCalendar
from hallserver.domain.holidays import FIRST_YEAR, LAST_YEAR, qingming, statutory_holidays

ANNOUNCED = range(2008, 2027)  # 清明, 端午 and 中秋 have been public holidays since 2008
NAMES = {"元旦": "New Year's Day", "春节": "Spring Festival", "清明节": "Tomb-sweeping Day",
         "劳动节": "Labour Day", "端午节": "Dragon Boat Festival", "中秋节": "Mid-autumn Festival",
         "国庆节": "National Day"}


def test_qingming_is_the_solar_term_in_every_year_of_the_table() -> None:
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
        assert [d for d, name in terms if name == "清明"] == [qingming(year)], year


@pytest.mark.parametrize("year", ANNOUNCED)
def test_the_lunar_holidays_fall_in_the_announced_ones(year: int) -> None:
    for holiday in statutory_holidays(year):
        if holiday.zh in ("端午节", "中秋节"):
            day = holiday.days[0]
            on, name = chinese_calendar.get_holiday_detail(day)
            assert on, (year, holiday.zh, day)
            # The table names a holiday's days off, not always the day itself (2012's 端午
            # was a Saturday, off as a weekend); 中秋 fell in the 国庆 week in 2020 and 2023.
            assert name in (NAMES[holiday.zh], "National Day", None), (year, holiday.zh, name)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_day_of_the_law_since_2025_is_off_in_the_notice(year: int) -> None:
    """Under the 2024 revision (in force 2025): 13 days, each one off in the notice."""
    days = [d for h in statutory_holidays(year) for d in h.days]
    assert len(days) == len(set(days)) == 13
    for d in days:
        assert chinese_calendar.is_holiday(d), d


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_shipped_calendar_matches_the_notices(year: int) -> None:
    cal = validate_file(CALENDARS / "cn-mainland.yaml", HolidayCalendar)
    closed = cal.closed_dates()
    day = date(year, 1, 1)
    while day.year == year:
        weekend = day.isoweekday() > 5
        shipped_working = (day in cal.makeup_workdays) or (not weekend and day not in closed)
        assert shipped_working == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_years_outside_the_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="2001-2099"):
        statutory_holidays(2100)
