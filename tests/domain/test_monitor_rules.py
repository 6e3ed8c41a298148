"""The hall monitor's pure decisions: conditions, episodes, the moments they count from."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hallserver.config.models import MonitorConfig, OpeningHours
from hallserver.domain import monitor as rules

SH = ZoneInfo("Asia/Shanghai")
HOURS = OpeningHours.model_validate(
    {"sessions": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}]})
CFG = MonitorConfig()


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 11, 23, hh, mm, ss, tzinfo=SH)


def queue(waiting: int, longest: float) -> rules.QueueFacts:
    return rules.QueueFacts(code="gongjijin", prefix="F", name_zh="公积金", name_en="Housing",
                            waiting=waiting, longest_min=longest, warn_waiting=10,
                            warn_wait_min=30)


def test_queue_thresholds_count_at_the_threshold_like_the_queue_warnings() -> None:
    assert rules.queue_conditions(queue(9, 29.9)) == []
    waiting, wait = rules.queue_conditions(queue(10, 30.0))
    assert (waiting.kind, waiting.subject, waiting.level) == ("queue-waiting", "gongjijin", "warn")
    assert waiting.message == "F类（公积金）等候 10 人，达到提醒线 10 人"
    assert (wait.kind, wait.level) == ("queue-wait", "alarm")
    assert wait.message == "F类（公积金）最长已等候 30 分钟，达到提醒线 30 分钟"
    assert wait.message_en == "F (Housing): longest wait 30 min, threshold 30 min"


def test_window_conditions_use_the_configured_minutes() -> None:
    facts = rules.WindowFacts(number=5, unstaffed_min=9.9, idle_while_waiting_min=4.9,
                              eligible_waiting=3)
    assert rules.window_conditions(facts, CFG) == []
    facts = rules.WindowFacts(number=5, unstaffed_min=10.0, idle_while_waiting_min=5.0,
                              eligible_waiting=3)
    unstaffed, idle = rules.window_conditions(facts, CFG)
    assert unstaffed.key == ("window-unstaffed", "w5")
    assert idle.message == "5号窗口空闲 5 分钟，仍有 3 位可办理的群众在等候"
    stricter = MonitorConfig(unstaffed_after_min=20, idle_while_waiting_min=10)
    assert rules.window_conditions(facts, stricter) == []


def test_device_conditions() -> None:
    def device(**kw: object) -> rules.DeviceFacts:
        base: dict[str, object] = {"id": "printer-2", "type": "printer", "window": 2,
                                   "offline_s": None, "paper_out": False, "faults": ()}
        return rules.DeviceFacts(**{**base, **kw})  # type: ignore[arg-type]

    assert rules.device_conditions(device(), CFG) == []
    assert rules.device_conditions(device(offline_s=119.0), CFG) == []
    [offline] = rules.device_conditions(device(offline_s=120.0, paper_out=True), CFG)
    assert offline.key == ("device-offline", "printer-2")  # offline hides the paper state
    assert offline.message == "打印机 printer-2（2号窗口）离线已 2 分钟"
    paper, fault = rules.device_conditions(
        device(paper_out=True, faults=("纸仓盖打开 / cover open",)), CFG)
    assert paper.kind == "paper-out" and paper.level == "alarm"
    assert fault.message == "打印机 printer-2（2号窗口）故障：纸仓盖打开"
    assert fault.message_en == "printer printer-2 (window 2) fault: cover open"


def test_plan_begins_new_conditions_and_ends_vanished_ones() -> None:
    a = rules.Condition("queue-waiting", "qiye", "warn", "x", "x")
    b = rules.Condition("window-idle", "w1", "warn", "y", "y")
    todo = rules.plan([("queue-waiting", "qiye"), ("device-offline", "pad-1")], [a, b])
    assert todo.begin == [b]
    assert todo.end == [("device-offline", "pad-1")]
    assert rules.plan([], []) == rules.Plan(begin=[], end=[])


def test_episode_refs_and_the_newest_per_subject() -> None:
    ref = rules.episode_ref("kiosk-1f-01", at(9, 30, 5))
    assert ref == "kiosk-1f-01@20261123T093005"
    assert rules.subject_of(ref) == "kiosk-1f-01" and rules.subject_of("plain") == "plain"
    newest = rules.latest_by_subject([("queue-wait", "A@1", 3), ("queue-wait", "A@2", 7),
                                      ("queue-wait", "B@1", 5), ("queue-waiting", "A@1", 4)])
    assert newest == {("queue-wait", "A"): 7, ("queue-wait", "B"): 5,
                      ("queue-waiting", "A"): 4}


def test_the_moments_conditions_count_from() -> None:
    assert rules.session_start(HOURS.sessions, at(9, 30)) == at(9, 0)
    assert rules.session_start(HOURS.sessions, at(14, 0)) == at(13, 30)
    assert rules.session_start(HOURS.sessions, at(12, 30)) is None  # lunch
    assert rules.session_start(HOURS.sessions, at(8, 59)) is None
    assert rules.unstaffed_since(at(9, 0), None) == at(9, 0)
    assert rules.unstaffed_since(at(9, 0), at(9, 40)) == at(9, 40)
    assert rules.unstaffed_since(at(13, 30), at(11, 0)) == at(13, 30)  # signed out before lunch
    assert rules.unstaffed_since(None, at(9, 40)) is None
    assert rules.idle_while_waiting_since(at(9, 10), at(9, 20)) == at(9, 20)
    assert rules.idle_while_waiting_since(at(9, 30), at(9, 20)) == at(9, 30)
    assert rules.idle_while_waiting_since(None, at(9, 20)) is None
    assert rules.idle_while_waiting_since(at(9, 30), None) is None


def test_the_goal_counts_exact_seconds_and_late_uncalled_tickets() -> None:
    assert rules.within_goal(at(9, 0), at(9, 20))
    assert not rules.within_goal(at(9, 0), at(9, 20, 1))
    assert rules.missed_goal(at(9, 0), True, None, at(9, 20, 1))
    assert not rules.missed_goal(at(9, 0), True, None, at(9, 20))
    assert rules.missed_goal(at(9, 0), False, at(9, 25), at(10, 0))  # cancelled after it
    assert not rules.missed_goal(at(9, 0), False, at(9, 10), at(10, 0))  # before it
    assert not rules.missed_goal(at(9, 0), False, None, at(10, 0))  # e.g. called, no-show


def test_numbers() -> None:
    assert rules.minutes(at(9, 0), at(9, 12, 33)) == 12.6
    assert rules.share(1, 3) == 0.333 and rules.share(0, 0) is None
    newer = rules.sort_key("warn", at(10, 0))
    older_alarm = rules.sort_key("alarm", at(9, 0))
    older_warn = rules.sort_key("warn", at(9, 0))
    assert sorted([newer, older_warn, older_alarm]) == [older_alarm, newer, older_warn]
    assert at(9, 0) + timedelta(minutes=rules.WITHIN_MIN) == at(9, 20)


@pytest.mark.parametrize(("today", "level"), [
    (date(2026, 10, 31), None),  # the notice is not due yet
    (date(2026, 11, 1), "warn"),
    (date(2026, 12, 31), "warn"),
    (date(2027, 1, 1), "alarm"),  # the unannounced year has begun
])
def test_a_missing_next_year_calendar_is_a_standing_condition(today: date,
                                                               level: str | None) -> None:
    found = rules.calendar_conditions(date(2026, 12, 31), today)
    assert [c.level for c in found] == ([level] if level else [])
    if found:
        assert found[0].key == (rules.CALENDAR_MISSING, "2027")
        assert "2027年节假日安排尚未录入" in found[0].message


def test_no_calendar_file_no_calendar_condition() -> None:
    assert rules.calendar_conditions(None, date(2026, 12, 7)) == []


def test_the_roster_of_a_day_follows_weekdays_absences_and_makeup_days() -> None:
    from hallserver.config.models import StaffSeed  # noqa: PLC0415

    weekday = StaffSeed(id="10001", name="张", role_a=[1], weekdays=[1, 2, 3, 4, 5],
                        absences=[{"start": date(2026, 12, 14), "end": date(2026, 12, 16)}])
    saturday = StaffSeed(id="10002", name="王", role_a=[2], weekdays=[6])
    assert weekday.on_duty(date(2026, 12, 11))  # Friday
    assert not weekday.on_duty(date(2026, 12, 12))  # Saturday
    assert weekday.on_duty(date(2026, 12, 12), makeup=True)  # a 调休 Saturday is worked
    assert not weekday.on_duty(date(2026, 12, 15))  # on leave
    assert saturday.on_duty(date(2026, 12, 12)) and not saturday.on_duty(date(2026, 12, 11))
    assert not saturday.on_duty(date(2026, 12, 13), makeup=True)  # works no weekday
