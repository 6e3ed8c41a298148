"""Service days, opening hours and working-day arithmetic of a hall.

Service days (when the hall opens) and statutory working days (what deadlines count) are
different things: a hall may open on Saturdays, and a Saturday is still not a working day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hallserver.config.models import OpeningHours, ServiceDays, Session
from hallserver.domain.errors import Refused
from hallserver.domain.holidays import FIRST_YEAR, LAST_YEAR, statutory_days_off


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
        """Whether the hall opens on this date (its own date entry, then weekday rules,
        holidays, make-up days)."""
        own = self.hours.date_hours(day)
        if own is not None:
            return bool(own.sessions)
        if day in self.days.makeup_workdays:
            return True
        if day in self.days.holidays:
            return False
        return day.isoweekday() in self.days.open_weekdays

    def sessions_on(self, day: date) -> list[Session]:
        """The date's service sessions; none on a day the hall is closed."""
        return self.hours.sessions_on(day) if self.is_service_day(day) else []

    def is_working_day(self, day: date) -> bool:
        """A statutory working day (法定工作日), whatever days the hall opens: Monday to
        Friday and 调休 make-up days, minus the holidays. Deadlines count these (限时办结,
        差评整改): a hall open on Saturdays does not shorten them. Beyond the holiday
        calendar (a year whose notice is not entered) the law's statutory days are off and
        no 调休 is known: such a day is `provisional`."""
        if day in self.days.makeup_workdays:
            return True
        if day in self.days.holidays:
            return False
        if self.provisional(day) and FIRST_YEAR <= day.year <= LAST_YEAR \
                and day in statutory_days_off(day.year):
            return False
        return day.isoweekday() <= 5

    def provisional(self, day: date) -> bool:
        """Whether the day is beyond the holiday calendar: its year's State Council notice is
        not entered, so working-day counts reaching it may change when it is."""
        known = self.days.covers_until
        return known is not None and day > known

    def phase(self, now: datetime) -> Phase:
        """Which part of the hall's day a moment falls in."""
        local = self.local(now)
        sessions = self.sessions_on(local.date())
        if not sessions:
            return Phase.CLOSED_DAY
        m = _minutes(local.time())
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
        sessions = self.sessions_on(local.date())
        if not sessions:
            return Refused(
                "not_service_day",
                "今日非工作日，大厅不办理业务",
                "The hall is closed today (not a working day)",
            )
        opens = _minutes(sessions[0].start) - self.hours.issue_opens_before_min
        stops = _minutes(sessions[-1].end) - self.hours.issue_stops_before_close_min
        first, last = sessions[0].start, sessions[-1].end
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
        """The date `days` statutory working days after `start` (限时办结 deadlines); 0 gives
        `start`."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def add_natural_days(self, start: date, days: int) -> date:
        """`days` calendar days after `start`; a last day that is no working day moves to
        the next working day (民法典 第二百零三条)."""
        day = start + timedelta(days=days)
        while days > 0 and not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_service_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of the hall's service time on statutory working days after
        `start` (lunch, nights, closed days and weekend service do not count, like any
        deadline): "1小时办结" accepted at 16:30 on a Friday closing at 17:00 is due at 09:30
        on Monday, whatever the hall opens on Saturday."""
        local = self.local(start)
        day, left = local.date(), timedelta(minutes=minutes)
        for _ in range(400):  # a year of days at most: a limit is never longer
            for s in self.sessions_on(day) if self.is_working_day(day) else ():
                begin = max(datetime.combine(day, s.start, self.tz), local)
                end = datetime.combine(day, s.end, self.tz)
                if begin >= end:
                    continue
                if begin + left <= end:
                    return begin + left
                left -= end - begin
            day += timedelta(days=1)
        raise ValueError("no service hours within a year")

    def opening_moment(self, day: date) -> datetime:
        """Start of the first session of a day, as an aware datetime (the usual hours on a
        day the hall is closed)."""
        sessions = self.sessions_on(day) or self.hours.sessions
        return datetime.combine(day, sessions[0].start, self.tz)

    def closing_moment(self, day: date) -> datetime:
        """End of the last session of a day (the usual hours on a closed day)."""
        sessions = self.sessions_on(day) or self.hours.sessions
        return datetime.combine(day, sessions[-1].end, self.tz)
