"""好差评 rules and 差评整改 deadlines, without I/O.

Deadlines use the holiday calendar file shipped with the server (cn-mainland), read through
the same loader as a hall: the 2026 Spring Festival closes 15-23 February and the Saturdays
14 and 28 February are make-up working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.protocol.ratings import LEVELS, REASONS
from hallserver.config.loader import CALENDARS, ConfigError, load_hall, validate_file
from hallserver.config.models import HolidayCalendar, RatingsConfig
from hallserver.domain import ratings as r
from hallserver.domain.calendar import HallCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO = Path(__file__).parents[2] / "firmware_configs" / "demo" / "hall.yaml"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
RULES = RatingsConfig()


def arm(**kw: object) -> r.Arm:
    base: dict[str, object] = {"token": "t" * 16, "ticket_id": 7, "window": 3, "armed_at": T0,
                               "expires_at": T0 + timedelta(minutes=3)}
    base.update(kw)
    return r.Arm(**base)  # type: ignore[arg-type]


def judge(a: r.Arm | None, **kw: object) -> r.Refusal | None:
    args: dict[str, object] = {"pad_window": 3, "level": 4, "reasons": [],
                               "now": T0 + timedelta(seconds=5), "ticket_completed": True}
    args.update(kw)
    return r.judge(a, **args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def calendar() -> HallCalendar:
    cfg = load_hall(DEMO)
    return HallCalendar(cfg.opening_hours, cfg.service_days, SHANGHAI)


# ---------------------------------------------------------------- judging a rating

def test_a_valid_rating_counts() -> None:
    assert judge(arm()) is None
    assert judge(arm(), level=1, reasons=[REASONS[0].code]) is None


@pytest.mark.parametrize(("the_arm", "kw", "refusal"), [
    (None, {}, r.Refusal.UNKNOWN_TOKEN),
    (arm(window=4), {}, r.Refusal.WRONG_WINDOW),
    (arm(used=True), {}, r.Refusal.USED),
    (arm(), {"now": T0 + timedelta(minutes=3, seconds=1)}, r.Refusal.EXPIRED),
    (arm(), {"ticket_completed": False}, r.Refusal.NOT_COMPLETED),
    (arm(), {"level": 1, "reasons": ["bogus"]}, r.Refusal.UNKNOWN_REASON),
])
def test_bad_ratings_are_refused(the_arm: r.Arm | None, kw: dict[str, object],
                                 refusal: r.Refusal) -> None:
    assert judge(the_arm, **kw) is refusal


def test_a_replayed_token_says_used_even_after_expiry() -> None:
    assert judge(arm(used=True), now=T0 + timedelta(hours=1)) is r.Refusal.USED


def test_the_window_comes_from_the_pad_never_the_payload() -> None:
    # A pad of window 4 holding window 3's token is refused whatever it claims.
    assert judge(arm(window=3), pad_window=4) is r.Refusal.WRONG_WINDOW


@pytest.mark.parametrize("level", [0, 6, -1])
def test_levels_outside_the_scale_are_a_programming_error(level: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        judge(arm(), level=level)


def test_national_scale() -> None:
    assert [LEVELS[x].zh for x in range(5, 0, -1)] == [
        "非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [r.is_bad(x) for x in range(1, 6)] == [True, True, False, False, False]


# ---------------------------------------------------------------- flags and defaults

@pytest.mark.parametrize(("after_ms", "fast"), [(0, True), (299, True), (300, False),
                                                 (5000, False)])
def test_fast_ratings_are_flagged(after_ms: int, fast: bool) -> None:
    flags = r.flags_of(arm(), received_at=T0 + timedelta(milliseconds=after_ms),
                       recent_from_pad=1, rules=RULES)
    assert (r.Flag.FAST in flags) is fast


def test_bursts_are_flagged() -> None:
    at = T0 + timedelta(seconds=2)
    assert r.flags_of(arm(), received_at=at, recent_from_pad=RULES.burst_count - 1,
                      rules=RULES) == []
    assert r.flags_of(arm(), received_at=at, recent_from_pad=RULES.burst_count,
                      rules=RULES) == [r.Flag.BURST]


def test_uniform_top_ratings_need_many_and_no_variance() -> None:
    n = RULES.uniform_min_ratings
    assert r.uniform([5] * n, RULES)
    assert not r.uniform([5] * (n - 1), RULES)
    assert not r.uniform([5] * n + [4], RULES)


def test_default_applies_after_the_configured_days() -> None:
    rules = RatingsConfig(default_level=3, default_after_days=2)
    assert not r.default_due(T0, T0 + timedelta(days=2) - timedelta(seconds=1), rules)
    assert r.default_due(T0, T0 + timedelta(days=2), rules)
    assert not r.default_due(T0, T0 + timedelta(days=30), RatingsConfig(default_level=None))


# ---------------------------------------------------------------- the rectification case

def test_a_case_closes_only_after_the_callback() -> None:
    s, a = r.FollowUpStatus, r.FollowUpAction
    with pytest.raises(r.FollowUpRefused):
        r.follow_up(s.OPEN, a.CLOSE, callback_done=False)
    assert r.follow_up(s.OPEN, a.CALLBACK, callback_done=False) is s.CALLED_BACK
    assert r.follow_up(s.CALLED_BACK, a.RECTIFY, callback_done=True) is s.RECTIFYING
    assert r.follow_up(s.RECTIFYING, a.CALLBACK, callback_done=True) is s.RECTIFYING
    with pytest.raises(r.FollowUpRefused):
        r.follow_up(s.RECTIFYING, a.CLOSE, callback_done=False)
    assert r.follow_up(s.RECTIFYING, a.CLOSE, callback_done=True) is s.CLOSED


def test_appeal_and_review() -> None:
    s, a = r.FollowUpStatus, r.FollowUpAction
    assert r.follow_up(s.OPEN, a.APPEAL, callback_done=False) is s.APPEALED
    with pytest.raises(r.FollowUpRefused):
        r.follow_up(s.APPEALED, a.CLOSE, callback_done=True)  # review first
    assert r.follow_up(s.APPEALED, a.APPEAL_UPHELD, callback_done=False) is s.CLOSED
    assert r.follow_up(s.APPEALED, a.APPEAL_REJECTED, callback_done=False) is s.RECTIFYING


@given(st.lists(st.sampled_from(list(r.FollowUpAction)), max_size=12), st.booleans())
def test_a_closed_case_stays_closed(actions: list[r.FollowUpAction], called: bool) -> None:
    status = r.FollowUpStatus.OPEN
    for action in actions:
        try:
            status = r.follow_up(status, action, callback_done=called)
        except r.FollowUpRefused:
            continue
    if status is r.FollowUpStatus.CLOSED:
        for action in r.FollowUpAction:
            with pytest.raises(r.FollowUpRefused):
                r.follow_up(status, action, callback_done=True)


# ---------------------------------------------------------------- working-day deadlines

def test_the_calendar_file_has_the_2026_spring_festival(calendar: HallCalendar) -> None:
    for d in range(15, 24):
        assert not calendar.is_service_day(date(2026, 2, d)), d  # 除夕 to 初七, weekends too
    assert calendar.is_service_day(date(2026, 2, 14))  # Saturday, 调休上班
    assert calendar.is_service_day(date(2026, 2, 28))  # Saturday, 调休上班
    assert calendar.is_service_day(date(2026, 2, 24))  # Tuesday, back to work
    assert calendar.days.covers_until == date(2026, 12, 31)


@pytest.mark.parametrize(("opened", "days", "due"), [
    # Friday 13 Feb: Sat 14 (make-up) is day 1, then the holiday, Tue 24 is day 2.
    (date(2026, 2, 13), 1, date(2026, 2, 14)),
    (date(2026, 2, 13), 2, date(2026, 2, 24)),
    # 15 working days from Thu 12 Feb: 13, 14 (Sat make-up), 24-27, 28 (Sat make-up),
    # 2-6 Mar, 9-11 Mar.
    (date(2026, 2, 12), 15, date(2026, 3, 11)),
    # Opened on the holiday itself (a weekend rating of a 24 h hall): counting starts after.
    (date(2026, 2, 18), 1, date(2026, 2, 24)),
    # Zero days: the same day.
    (date(2026, 2, 12), 0, date(2026, 2, 12)),
])
def test_deadlines_across_the_spring_festival(calendar: HallCalendar, opened: date, days: int,
                                              due: date) -> None:
    assert calendar.add_working_days(opened, days) == due


def test_followup_deadlines_from_the_rules(calendar: HallCalendar) -> None:
    opened = datetime.combine(date(2026, 2, 12), time(16, 30), SHANGHAI)
    d = r.deadlines(calendar, opened, RatingsConfig(followup_working_days=15,
                                                    callback_working_days=1))
    assert (d.callback_by, d.answer_by, d.beyond_calendar) == (
        date(2026, 2, 13), date(2026, 3, 11), False)
    assert r.overdue(d.answer_by, date(2026, 3, 12), r.FollowUpStatus.RECTIFYING)
    assert not r.overdue(d.answer_by, date(2026, 3, 11), r.FollowUpStatus.RECTIFYING)
    assert not r.overdue(d.answer_by, date(2026, 4, 1), r.FollowUpStatus.CLOSED)


def test_a_deadline_beyond_the_calendar_is_reported(calendar: HallCalendar) -> None:
    opened = datetime.combine(date(2026, 12, 21), time(10, 0), SHANGHAI)
    assert r.deadlines(calendar, opened, RULES).beyond_calendar


# ---------------------------------------------------------------- the calendar file itself

def test_calendar_file_validates(tmp_path: Path) -> None:
    cal = validate_file(CALENDARS / "cn-mainland.yaml", HolidayCalendar)
    assert cal.years == [2025, 2026]
    assert date(2025, 1, 28) in cal.closed_dates()
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: x\nyears: [2026]\nmakeup_workdays:\n"
                   "  - 2026-02-16\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml.*not a weekend day"):
        validate_file(bad, HolidayCalendar)


def test_a_missing_calendar_file_names_the_hall_file_and_line(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8").replace("calendar: cn-mainland",
                                                    "calendar: ./nowhere.yaml")
    hall = tmp_path / "hall.yaml"
    hall.write_text(text, encoding="utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "nowhere" in x)
    with pytest.raises(ConfigError, match=rf"hall.yaml:{line}: service_days.calendar"):
        load_hall(hall)
