"""Service days, opening hours and working-day arithmetic of a hall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hallserver.config.models import OpeningHours, ServiceDays
from hallserver.domain.errors import Refused


class Phase(StrEnum):
    """Where a moment falls in the hall's day."""

    CLOSED_DAY = "closed_day"  # not a service day (weekend, holiday)
    BEFORE_OPEN = "before_open"
    IN_SESSION = "in_session"
    LUNCH = "lunch"
    AFTER_CLOSE = "after_close"


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class HallCalendar:
    """Service days and hours in the hall's time zone; all inputs are aware datetimes."""

    hours: OpeningHours
    days: ServiceDays
    tz: ZoneInfo

    def local(self, now: datetime) -> datetime:
        """The moment in the hall's local time."""
        if now.tzinfo is None:
            raise ValueError("naive datetime: the domain works with aware datetimes only")
        return now.astimezone(self.tz)

    def service_day(self, now: datetime) -> date:
        """The service day a moment belongs to (the local calendar date)."""
        return self.local(now).date()

    def is_service_day(self, day: date) -> bool:
        """Whether the hall opens on this date (weekday rules, holidays, make-up days)."""
        if day in self.days.makeup_workdays:
            return True
        if day in self.days.holidays:
            return False
        return day.isoweekday() in self.days.open_weekdays

    def phase(self, now: datetime) -> Phase:
        """Which part of the hall's day a moment falls in."""
        local = self.local(now)
        if not self.is_service_day(local.date()):
            return Phase.CLOSED_DAY
        m = _minutes(local.time())
        sessions = self.hours.sessions
        if m < _minutes(sessions[0].start):
            return Phase.BEFORE_OPEN
        if m >= _minutes(sessions[-1].end):
            return Phase.AFTER_CLOSE
        for s in sessions:
            if _minutes(s.start) <= m < _minutes(s.end):
                return Phase.IN_SESSION
        return Phase.LUNCH

    def in_opening_hours(self, now: datetime) -> bool:
        """True during a service session (windows are expected to be staffed)."""
        return self.phase(now) is Phase.IN_SESSION

    def issue_refusal(self, now: datetime) -> Refused | None:
        """Why a ticket cannot be issued now, or None when issuing is open."""
        local = self.local(now)
        m = _minutes(local.time())
        sessions = self.hours.sessions
        opens = _minutes(sessions[0].start) - self.hours.issue_opens_before_min
        stops = _minutes(sessions[-1].end) - self.hours.issue_stops_before_close_min
        first, last = sessions[0].start, sessions[-1].end
        if not self.is_service_day(local.date()):
            return Refused(
                "not_service_day",
                "今日非工作日，大厅不办理业务",
                "The hall is closed today (not a working day)",
            )
        if m < opens:
            return Refused(
                "before_opening",
                f"尚未开始取号，取号时间 {first:%H:%M} 前{self.hours.issue_opens_before_min}分钟起",
                f"Tickets are issued from {self.hours.issue_opens_before_min} min "
                f"before {first:%H:%M}",
            )
        if m >= stops:
            return Refused(
                "issuing_closed",
                f"今日取号已结束（{last:%H:%M}闭厅前{self.hours.issue_stops_before_close_min}"
                "分钟停止取号）",
                f"Ticket issuing has ended for today ({self.hours.issue_stops_before_close_min} "
                f"min before closing at {last:%H:%M})",
            )
        if self.phase(now) is Phase.LUNCH and not self.hours.issue_during_lunch:
            nxt = next(s.start for s in sessions if _minutes(s.start) > m)
            return Refused(
                "lunch_break",
                f"午休暂停取号，{nxt:%H:%M} 恢复",
                f"Lunch break: tickets are issued again from {nxt:%H:%M}",
            )
        return None

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (限时办结 deadlines); 0 gives `start`."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_service_day(day):
                remaining -= 1
        return day

    def opening_moment(self, day: date) -> datetime:
        """Start of the first session of a day, as an aware datetime."""
        return datetime.combine(day, self.hours.sessions[0].start, self.tz)
