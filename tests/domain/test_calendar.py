"""Service days, phases of the day, issuing rules and working-day arithmetic."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest
from domain_support import HOLIDAY, MAKEUP_SATURDAY, MONDAY, PLAIN_SATURDAY, SHANGHAI, at
from hypothesis import given
from hypothesis import strategies as st

from hallserver.domain.calendar import HallCalendar, Phase

MIN = timedelta(minutes=1)


def moment(day: date, t: time) -> datetime:
    return datetime.combine(day, t, SHANGHAI)


def with_hours(cal: HallCalendar, **changes: object) -> HallCalendar:
    return dataclasses.replace(cal, hours=cal.hours.model_copy(update=changes))


# ---------------------------------------------------------------- service days

@pytest.mark.parametrize(("day", "open_"), [
    (MONDAY, True),
    (MONDAY + timedelta(days=4), True),  # Friday
    (PLAIN_SATURDAY, False),
    (PLAIN_SATURDAY + timedelta(days=1), False),  # Sunday
    (HOLIDAY, False),  # a Wednesday inside the 劳动节 holiday
    (MAKEUP_SATURDAY, True),  # 调休: a Saturday worked
])
def test_is_service_day(calendar: HallCalendar, day: date, open_: bool) -> None:
    assert calendar.is_service_day(day) is open_


def test_holiday_and_makeup_are_what_the_config_says(calendar: HallCalendar) -> None:
    # guard the fixtures: the holiday is a weekday, the make-up day a weekend day
    assert HOLIDAY.isoweekday() in calendar.days.open_weekdays
    assert HOLIDAY in calendar.days.holidays
    assert MAKEUP_SATURDAY.isoweekday() not in calendar.days.open_weekdays
    assert MAKEUP_SATURDAY in calendar.days.makeup_workdays


def test_makeup_day_wins_over_a_holiday_entry(calendar: HallCalendar) -> None:
    days = calendar.days.model_copy(update={"holidays": [*calendar.days.holidays,
                                                         MAKEUP_SATURDAY]})
    cal = dataclasses.replace(calendar, days=days)
    assert cal.is_service_day(MAKEUP_SATURDAY)


# ---------------------------------------------------------------- phases

def _phase_cases(cal: HallCalendar) -> list[tuple[datetime, Phase]]:
    s1, s2 = cal.hours.sessions
    d = MONDAY
    return [
        (moment(d, time(0, 0)), Phase.BEFORE_OPEN),
        (moment(d, s1.start) - MIN, Phase.BEFORE_OPEN),
        (moment(d, s1.start), Phase.IN_SESSION),
        (moment(d, s1.end) - timedelta(seconds=1), Phase.IN_SESSION),
        (moment(d, s1.end), Phase.LUNCH),
        (moment(d, s2.start) - MIN, Phase.LUNCH),
        (moment(d, s2.start), Phase.IN_SESSION),
        (moment(d, s2.end) - MIN, Phase.IN_SESSION),
        (moment(d, s2.end), Phase.AFTER_CLOSE),
        (moment(d, time(23, 59)), Phase.AFTER_CLOSE),
    ]


def test_phases_across_a_day(calendar: HallCalendar) -> None:
    for now, expected in _phase_cases(calendar):
        assert calendar.phase(now) is expected, now
        assert calendar.in_opening_hours(now) is (expected is Phase.IN_SESSION)


@pytest.mark.parametrize("day", [PLAIN_SATURDAY, HOLIDAY])
def test_closed_day_phase_all_day(calendar: HallCalendar, day: date) -> None:
    for hhmm in ("00:00", "08:00", "10:00", "12:30", "15:00", "23:00"):
        assert calendar.phase(at(day, hhmm)) is Phase.CLOSED_DAY
        assert not calendar.in_opening_hours(at(day, hhmm))


def test_makeup_day_is_in_session(calendar: HallCalendar) -> None:
    assert calendar.phase(at(MAKEUP_SATURDAY, "10:00")) is Phase.IN_SESSION


# ---------------------------------------------------------------- issuing

def _code(cal: HallCalendar, now: datetime) -> str | None:
    refusal = cal.issue_refusal(now)
    return None if refusal is None else refusal.code


def test_issue_refusal_codes_across_a_day(calendar: HallCalendar) -> None:
    hours = calendar.hours
    s1, s2 = hours.sessions
    opens = moment(MONDAY, s1.start) - timedelta(minutes=hours.issue_opens_before_min)
    stops = moment(MONDAY, s2.end) - timedelta(minutes=hours.issue_stops_before_close_min)
    assert hours.issue_during_lunch
    assert _code(calendar, opens - MIN) == "before_opening"
    assert _code(calendar, opens) is None
    assert _code(calendar, moment(MONDAY, s1.start)) is None
    assert _code(calendar, moment(MONDAY, s1.end) + MIN) is None  # lunch, issuing allowed
    assert _code(calendar, stops - MIN) is None
    assert _code(calendar, stops) == "issuing_closed"
    assert _code(calendar, moment(MONDAY, s2.end) + MIN) == "issuing_closed"


@pytest.mark.parametrize("day", [PLAIN_SATURDAY, HOLIDAY])
def test_issue_refused_on_closed_days(calendar: HallCalendar, day: date) -> None:
    refusal = calendar.issue_refusal(at(day, "10:00"))
    assert refusal is not None
    assert refusal.code == "not_service_day"
    assert refusal.message_zh
    assert refusal.message_en


def test_issue_open_on_makeup_day(calendar: HallCalendar) -> None:
    assert calendar.issue_refusal(at(MAKEUP_SATURDAY, "10:00")) is None


def test_lunch_break_refusal_when_not_issuing_during_lunch(calendar: HallCalendar) -> None:
    cal = with_hours(calendar, issue_during_lunch=False)
    s1, s2 = cal.hours.sessions
    refusal = cal.issue_refusal(moment(MONDAY, s1.end) + MIN)
    assert refusal is not None
    assert refusal.code == "lunch_break"
    resume = f"{s2.start:%H:%M}"
    assert resume in refusal.message_zh
    assert resume in refusal.message_en
    # still open in both sessions
    assert cal.issue_refusal(moment(MONDAY, s1.end) - MIN) is None
    assert cal.issue_refusal(moment(MONDAY, s2.start)) is None


def test_refusal_messages_name_the_times(calendar: HallCalendar) -> None:
    s1, s2 = calendar.hours.sessions
    early = calendar.issue_refusal(at(MONDAY, "07:00"))
    late = calendar.issue_refusal(at(MONDAY, "16:45"))
    assert early is not None
    assert late is not None
    assert f"{s1.start:%H:%M}" in early.message_zh
    assert f"{s1.start:%H:%M}" in early.message_en
    assert f"{s2.end:%H:%M}" in late.message_zh
    assert f"{s2.end:%H:%M}" in late.message_en


@given(before=st.integers(0, 120), minute=st.integers(6 * 60, 10 * 60))
def test_issue_opens_before_min(calendar: HallCalendar, before: int, minute: int) -> None:
    cal = with_hours(calendar, issue_opens_before_min=before)
    now = datetime.combine(MONDAY, time(0, 0), SHANGHAI) + timedelta(minutes=minute)
    first = cal.hours.sessions[0].start
    opens_at = first.hour * 60 + first.minute - before
    assert (_code(cal, now) == "before_opening") is (minute < opens_at)
    if minute >= opens_at:
        assert _code(cal, now) is None


# ---------------------------------------------------------------- working days

def test_add_working_days_examples(calendar: HallCalendar) -> None:
    friday = MONDAY + timedelta(days=4)
    assert calendar.add_working_days(MONDAY, 0) == MONDAY
    assert calendar.add_working_days(MONDAY, 1) == MONDAY + timedelta(days=1)
    # Friday 5/10 + 1: Saturday 5/11 is a make-up working day
    assert calendar.add_working_days(friday, 1) == MAKEUP_SATURDAY
    # Saturday 5/11 + 1: skip Sunday 5/12
    assert calendar.add_working_days(MAKEUP_SATURDAY, 1) == date(2024, 5, 13)
    # Friday 5/17 + 1: skip the plain weekend
    assert calendar.add_working_days(date(2024, 5, 17), 1) == date(2024, 5, 20)
    # Tuesday 4/30 + 1: skip the holidays 5/1-5/5 (and that weekend)
    assert calendar.add_working_days(date(2024, 4, 30), 1) == MONDAY


@given(start=st.dates(date(2024, 4, 1), date(2024, 6, 30)), n=st.integers(0, 40),
       open_weekdays=st.sets(st.integers(1, 7), min_size=1))
def test_a_deadline_counts_working_days_whatever_days_the_hall_opens(
        calendar: HallCalendar, start: date, n: int, open_weekdays: set[int]) -> None:
    cal = dataclasses.replace(calendar, days=calendar.days.model_copy(
        update={"open_weekdays": sorted(open_weekdays)}))
    end = cal.add_working_days(start, n)
    assert end == calendar.add_working_days(start, n)  # service days change nothing
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(cal.is_working_day(d) for d in between) == n
    assert all(d.isoweekday() <= 5 or d == MAKEUP_SATURDAY for d in between
               if cal.is_working_day(d))  # never a plain weekend day
    assert HOLIDAY not in between or not cal.is_working_day(HOLIDAY)
    if n > 0:
        assert cal.is_working_day(end)  # the deadline itself is a working day
    else:
        assert end == start


def _county(calendar: HallCalendar, covers_until: date | None = None) -> HallCalendar:
    """Open Monday to Saturday (周末不打烊), on the shipped calendar's 2026 dates."""
    days = calendar.days.model_copy(update={
        "open_weekdays": [1, 2, 3, 4, 5, 6], "holidays": [], "makeup_workdays": [],
        "covers_until": covers_until or date(2026, 12, 31)})
    return dataclasses.replace(calendar, days=days)


def test_saturday_service_does_not_shorten_a_deadline(calendar: HallCalendar) -> None:
    """The county hall's case (#20), 15 working days, the day of acceptance not counted.
    The issue's figures (2026-12-25 counting Saturdays, 2026-12-29 by law) are those of a
    case whose service day was Tuesday the 8th; from Monday the 7th both are a day earlier."""
    county = _county(calendar)
    assert county.is_service_day(date(2026, 12, 12))  # open that Saturday
    assert not county.is_working_day(date(2026, 12, 12))  # and it is still no working day
    assert county.add_working_days(date(2026, 12, 8), 15) == date(2026, 12, 29)
    assert county.add_working_days(date(2026, 12, 7), 15) == date(2026, 12, 28)
    assert not county.provisional(date(2026, 12, 28))


def test_a_deadline_in_an_unannounced_year_skips_the_statutory_days_provisionally(
        calendar: HallCalendar) -> None:
    county = _county(calendar)
    # 2027's Spring Festival by law: 除夕 Friday 2/5 to 初三 Monday 2/8.
    assert not county.is_working_day(date(2027, 2, 5))
    assert not county.is_working_day(date(2027, 2, 8))
    assert county.add_working_days(date(2027, 2, 1), 10) == date(2027, 2, 17)
    assert county.provisional(date(2027, 2, 17))
    # Once 2027 is entered, its own dates count (here: none listed, so only weekends).
    entered = _county(calendar, covers_until=date(2027, 12, 31))
    assert entered.is_working_day(date(2027, 2, 8))
    assert not entered.provisional(date(2027, 2, 17))


# ---------------------------------------------------------------- time zones

@pytest.mark.parametrize("call", ["local", "service_day", "phase", "in_opening_hours",
                                  "issue_refusal"])
def test_naive_datetime_raises(calendar: HallCalendar, call: str) -> None:
    with pytest.raises(ValueError, match="naive"):
        getattr(calendar, call)(datetime(2024, 5, 6, 10, 0))


def test_utc_instant_maps_to_shanghai_service_day_near_midnight(calendar: HallCalendar) -> None:
    # Shanghai is UTC+8 all year: 16:00 UTC is local midnight
    just_before = datetime(2024, 5, 6, 15, 59, tzinfo=UTC)
    just_after = datetime(2024, 5, 6, 16, 0, tzinfo=UTC)
    assert calendar.service_day(just_before) == date(2024, 5, 6)
    assert calendar.service_day(just_after) == date(2024, 5, 7)
    assert calendar.local(just_after).hour == 0
    # a UTC Friday evening is already the make-up Saturday in the hall
    friday_utc = datetime(2024, 5, 10, 17, 0, tzinfo=UTC)
    assert friday_utc.date().isoweekday() == 5
    assert calendar.service_day(friday_utc) == MAKEUP_SATURDAY
    assert calendar.phase(friday_utc) is Phase.BEFORE_OPEN
    # ... and on an ordinary Friday it is a closed Saturday
    assert calendar.phase(datetime(2024, 5, 17, 17, 0, tzinfo=UTC)) is Phase.CLOSED_DAY
    # 01:00 UTC is 09:00 in Shanghai: the morning session has begun
    assert calendar.phase(datetime(2024, 5, 6, 1, 0, tzinfo=UTC)) is Phase.IN_SESSION
    assert calendar.phase(datetime(2024, 5, 6, 0, 59, tzinfo=UTC)) is Phase.BEFORE_OPEN


def test_opening_moment(calendar: HallCalendar) -> None:
    opening = calendar.opening_moment(MONDAY)
    assert opening.tzinfo is not None
    assert opening == datetime(2024, 5, 6, 1, 0, tzinfo=UTC)
    assert calendar.phase(opening) is Phase.IN_SESSION
    assert calendar.phase(opening - timedelta(seconds=1)) is Phase.BEFORE_OPEN


# ---------------------------------------------------------------- hours by weekday and date

def _county_hours(calendar: HallCalendar) -> HallCalendar:
    """Saturday mornings (周末不打烊), Wednesday evenings (延时服务), summer hours, a closure
    and an extra open Sunday."""
    hours = calendar.hours.model_validate({
        **calendar.hours.model_dump(mode="json"),
        "weekdays": {6: [{"start": "09:00", "end": "12:00"}],
                     3: [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "19:00"}]},
        "seasons": [{"name": "夏季作息", "start": "07-01", "end": "09-30",
                     "sessions": [{"start": "09:00", "end": "12:00"},
                                  {"start": "14:00", "end": "17:30"}]}],
        "dates": [{"day": "2026-12-31", "note": "年度盘点"},
                  {"day": "2026-12-27", "sessions": [{"start": "09:00", "end": "11:00"}]}]})
    days = calendar.days.model_copy(update={"open_weekdays": [1, 2, 3, 4, 5, 6],
                                            "holidays": [], "makeup_workdays": []})
    return dataclasses.replace(calendar, hours=hours, days=days)


def test_saturday_morning_issues_and_refuses_at_its_own_minutes(calendar: HallCalendar) -> None:
    county = _county_hours(calendar)
    saturday = date(2026, 12, 12)
    stop = county.hours.issue_stops_before_close_min  # before 12:00, Saturday's close
    assert _code(county, moment(saturday, time(9, 0))) is None
    assert _code(county, moment(saturday, time(12, 0)) - (stop + 1) * MIN) is None
    assert _code(county, moment(saturday, time(12, 0)) - stop * MIN) == "issuing_closed"
    assert _code(county, moment(saturday, time(15, 0))) == "issuing_closed"  # no afternoon
    assert county.phase(moment(saturday, time(13, 0))) is Phase.AFTER_CLOSE
    assert county.closing_moment(saturday) == moment(saturday, time(12, 0))
    assert _code(county, moment(date(2026, 12, 13), time(10, 0))) == "not_service_day"


def test_evenings_seasons_and_dates(calendar: HallCalendar) -> None:
    county = _county_hours(calendar)
    wednesday = date(2026, 12, 9)
    assert county.phase(moment(wednesday, time(18, 0))) is Phase.IN_SESSION  # 延时服务
    assert county.phase(moment(date(2026, 12, 10), time(18, 0))) is Phase.AFTER_CLOSE
    assert county.phase(moment(date(2026, 7, 7), time(13, 45))) is Phase.LUNCH  # summer
    assert county.phase(moment(date(2026, 12, 8), time(13, 45))) is Phase.IN_SESSION
    assert not county.is_service_day(date(2026, 12, 31))  # a closure
    assert county.is_working_day(date(2026, 12, 31))  # which stops no deadline
    sunday = date(2026, 12, 27)  # an extra open day
    assert county.is_service_day(sunday) and not county.is_working_day(sunday)
    assert county.closing_moment(sunday) == moment(sunday, time(11, 0))


def test_a_weekday_listed_without_sessions_is_refused(calendar: HallCalendar) -> None:
    with pytest.raises(ValueError, match="needs sessions"):
        calendar.hours.model_validate({**calendar.hours.model_dump(mode="json"),
                                       "weekdays": {6: []}})
    with pytest.raises(ValueError, match="listed twice"):
        calendar.hours.model_validate({**calendar.hours.model_dump(mode="json"),
                                       "dates": [{"day": "2026-12-31"}, {"day": "2026-12-31"}]})


# ---------------------------------------------------------------- other time limits

def test_service_hours_skip_lunch_nights_and_closed_days(calendar: HallCalendar) -> None:
    """"1小时办结": an hour of the hall's service time (the test hall: 09:00-12:00,
    13:30-17:00 on working days)."""
    friday = MONDAY + timedelta(days=4)
    assert calendar.add_service_minutes(moment(MONDAY, time(9, 30)), 60) == \
        moment(MONDAY, time(10, 30))
    assert calendar.add_service_minutes(moment(MONDAY, time(11, 30)), 60) == \
        moment(MONDAY, time(14, 0))  # 30 min before lunch, 30 after
    assert calendar.add_service_minutes(moment(MONDAY, time(12, 30)), 60) == \
        moment(MONDAY, time(14, 30))  # accepted over lunch: counts from 13:30
    assert calendar.add_service_minutes(moment(date(2024, 5, 17), time(16, 30)), 60) == \
        moment(date(2024, 5, 20), time(9, 30))  # Friday evening to Monday morning
    assert calendar.add_service_minutes(moment(friday, time(16, 30)), 60) == \
        moment(MAKEUP_SATURDAY, time(9, 30))  # 调休: that Saturday is worked


def test_natural_days_end_on_a_working_day(calendar: HallCalendar) -> None:
    assert calendar.add_natural_days(MONDAY, 0) == MONDAY
    assert calendar.add_natural_days(MONDAY, 3) == MONDAY + timedelta(days=3)
    assert calendar.add_natural_days(MONDAY, 6) == MONDAY + timedelta(days=7)  # Sunday -> Mon
    # From 4/26 (Friday) + 5 days = 5/1, inside the 劳动节 holiday: moved to Monday 5/6.
    assert calendar.add_natural_days(date(2024, 4, 26), 5) == MONDAY
