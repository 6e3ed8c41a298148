"""Pydantic models of a hall layout (`firmware_configs/<hall>/hall.yaml`).

The schema is the documentation: every field carries a description, and the
JSON Schema exported from these models is what installers read.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_serializer,
    field_validator,
    model_validator,
)

from hallserver.domain.holidays import statutory_holidays

SCHEMA_VERSION = 1
ID_PATTERN = r"^[a-z0-9-]{1,32}$"

Loc = tuple[str | int, ...]


class ConfigModel(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class I18nText(ConfigModel):
    """A label shown to citizens: Chinese first, English alongside."""

    zh: str = Field(min_length=1, description="Chinese text (shown first)")
    en: str = Field(min_length=1, description="English text (shown alongside)")


def parse_hhmm(value: Any) -> Any:
    """Field validator (mode="before") of 'HH:MM' times: refuses YAML's sexagesimal numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("write times as quoted 'HH:MM' strings (YAML reads 13:30 as a number)")
    if isinstance(value, str):
        if "：" in value:
            raise ValueError(f"time {value!r} uses a full-width colon: write "
                             f"'{value.replace('：', ':')}'")
        if not re.fullmatch(r"\d{1,2}:\d{2}", value):
            raise ValueError(f"time {value!r} is not HH:MM")
        hour, minute = map(int, value.split(":"))
        if hour > 23 or minute > 59:
            raise ValueError(f"time {value!r} is not a time of day (00:00 to 23:59)")
    return value


HHMM = Annotated[time, Field(description="local wall-clock time, 'HH:MM'"),
                 PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str,
                                 when_used="json")]  # dumps load again (parse_hhmm)


class Session(ConfigModel):
    """One continuous service period of the day (morning, afternoon)."""

    start: HHMM
    end: HHMM

    _check_start = field_validator("start", "end", mode="before")(parse_hhmm)

    @field_serializer("start", "end")
    def _hhmm(self, value: time) -> str:
        return value.strftime("%H:%M")

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if self.end <= self.start:
            raise ValueError(
                f"session ends ({self.end:%H:%M}) before it starts ({self.start:%H:%M})"
            )
        return self


def _in_order(sessions: list[Session]) -> None:
    for before, after in pairwise(sessions):
        if after.start < before.end:
            raise ValueError("sessions overlap or are out of order")


_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def _month_day(value: str) -> str:
    if not _MONTH_DAY.match(value):
        raise ValueError(f"write month and day as 'MM-DD' (e.g. 07-01), not {value!r}")
    return value


MonthDay = Annotated[str, AfterValidator(_month_day), Field(description="'MM-DD'")]


class Season(ConfigModel):
    """A timetable for part of every year (夏季/冬季作息), by month and day, inclusive; a
    season may run over the new year (11-01 to 02-28)."""

    name: str = Field(min_length=1, description="e.g. 夏季作息 summer hours")
    start: MonthDay
    end: MonthDay
    sessions: list[Session] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Season:
        _in_order(self.sessions)
        return self

    def holds_on(self, day: date) -> bool:
        """Whether the date is in the season."""
        md = f"{day.month:02d}-{day.day:02d}"
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end


class DateHours(ConfigModel):
    """One date's own hours: a closure (no sessions), an extra open day or changed hours."""

    day: date
    sessions: list[Session] = Field(default=[], description="none: the hall is closed")
    note: str | None = Field(default=None, max_length=80, description="why, e.g. 年度盘点")

    @model_validator(mode="after")
    def _ordered(self) -> DateHours:
        _in_order(self.sessions)
        return self


class OpeningHours(ConfigModel):
    """Service sessions of a service day; the gap between sessions is the lunch break. A
    day's sessions are, first found: its date's (`dates`), its weekday's (`weekdays`:
    Saturday mornings 周末不打烊, evenings of 延时服务), its season's (`seasons`), else
    `sessions`."""

    sessions: list[Session] = Field(
        min_length=1, description="service periods in order, e.g. 09:00-12:00 and 13:30-17:00"
    )
    weekdays: dict[Annotated[int, Field(ge=1, le=7)], list[Session]] = Field(
        default={}, description="ISO weekday (6 = Saturday) -> that day's own sessions")
    seasons: list[Season] = Field(default=[], description="timetables by date range")
    dates: list[DateHours] = Field(default=[], description="one-off dates: closures, extra "
                                   "open days, changed hours")
    issue_opens_before_min: int = Field(
        default=0, ge=0, le=120, description="tickets may be taken this many minutes before opening"
    )
    issue_stops_before_close_min: int = Field(
        default=30, ge=0, le=180,
        description="ticket issuing stops this many minutes before closing",
    )
    issue_during_lunch: bool = Field(
        default=True, description="whether kiosks issue tickets during the lunch break"
    )

    @model_validator(mode="after")
    def _non_overlapping(self) -> OpeningHours:
        _in_order(self.sessions)
        for sessions in self.weekdays.values():
            if not sessions:
                raise ValueError("a weekday listed in weekdays needs sessions (close it in "
                                 "service_days.open_weekdays)")
            _in_order(sessions)
        days = [d.day for d in self.dates]
        if len(days) != len(set(days)):
            raise ValueError("a date is listed twice in dates")
        return self

    def date_hours(self, day: date) -> DateHours | None:
        """The date's own entry, if it has one."""
        return next((d for d in self.dates if d.day == day), None)

    def sessions_on(self, day: date) -> list[Session]:
        """The sessions of a date, were the hall open that day (`dates`, then `weekdays`,
        `seasons`, `sessions`)."""
        own = self.date_hours(day)
        if own is not None:
            return list(own.sessions)
        weekday = self.weekdays.get(day.isoweekday())
        if weekday is not None:
            return list(weekday)
        season = next((x for x in self.seasons if x.holds_on(day)), None)
        return list(season.sessions if season else self.sessions)


class ServiceDays(ConfigModel):
    """Which local dates are service days (working days) of the hall."""

    open_weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default=[1, 2, 3, 4, 5], description="ISO weekdays the hall opens (1 = Monday)"
    )
    calendar: str | None = Field(
        default=None, description="holiday calendar file (public holidays and 调休 make-up "
        "working days), relative to this file; its dates join the two lists below",
    )
    holidays: list[date] = Field(default=[], description="public holidays (and local "
                                 "closures): closed")
    makeup_workdays: list[date] = Field(
        default=[], description="调休 make-up working days: open although a weekend"
    )
    covers_until: date | None = Field(
        default=None, description="last date the holiday calendar is known for (set from the "
        "calendar file); deadlines beyond it are computed without holidays, with a warning",
    )


class HolidaySpan(ConfigModel):
    """One public holiday as announced: its name and its closed dates, weekends included."""

    name: str = Field(min_length=1, description="e.g. 春节 / Spring Festival")
    start: date = Field(description="first closed date")
    end: date = Field(description="last closed date (inclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> HolidaySpan:
        if self.end < self.start:
            raise ValueError("end is before start")
        if (self.end - self.start).days > 14:
            raise ValueError("a holiday longer than 15 days: check the dates")
        return self


# The statutory days off of the 2024 revision of 全国年节及纪念日放假办法 (in force from 2025)
# must each be inside an announced holiday of every year a calendar file covers from then on.
STATUTORY_SINCE = 2025


class HolidayCalendar(ConfigModel):
    """A holiday calendar file: public holidays and make-up working days of some years, as
    the State Council announces them (国务院办公厅关于部分节假日安排的通知)."""

    schema_version: Literal[1] = Field(description="schema version of this file")
    name: str = Field(description="what the calendar is, e.g. 中国大陆法定节假日")
    source: list[str] = Field(default=[], description="the notices the dates come from")
    years: list[int] = Field(min_length=1, description="years this file covers completely")
    holidays: list[HolidaySpan] = Field(default=[])
    makeup_workdays: list[date] = Field(default=[], description="调休上班: weekend dates worked")

    @model_validator(mode="after")
    def _consistent(self) -> HolidayCalendar:
        closed = self.closed_dates()
        for d in self.makeup_workdays:
            if d in closed:
                raise ValueError(f"{d} is both a holiday and a make-up working day")
            if d.isoweekday() < 6:
                raise ValueError(f"make-up working day {d} is not a weekend day")
            if d.year not in self.years:
                raise ValueError(f"{d} is outside the years {self.years}")
        for h in self.holidays:
            if h.start.year not in self.years and h.end.year not in self.years:
                raise ValueError(f"holiday {h.name} {h.start} is outside the years {self.years}")
        spans = sorted(self.holidays, key=lambda h: h.start)
        for before, after in pairwise(spans):
            if after.start <= before.end:
                raise ValueError(f"holidays {before.name} and {after.name} overlap "
                                 f"({after.start})")
        missing = [f"{y} {h.zh} {h.days[0]}" + (f"..{h.days[-1]}" if len(h.days) > 1 else "")
                   for y in self.years if y >= STATUTORY_SINCE
                   for h in statutory_holidays(y) if not set(h.days) <= set(closed)]
        if missing:
            raise ValueError("statutory days off missing from the holidays (全国年节及纪念日放假"
                             f"办法): {', '.join(missing)}")
        return self

    def covers_until(self) -> date:
        """The last day of the run of consecutive years from the first one."""
        years = sorted(set(self.years))
        last = years[0]
        for y in years[1:]:
            if y != last + 1:
                break
            last = y
        return date(last, 12, 31)

    def merged(self, newer: HolidayCalendar) -> HolidayCalendar:
        """This calendar with `newer`'s years replacing or adding whole years."""
        ours = [y for y in self.years if y not in newer.years]
        return HolidayCalendar(
            schema_version=1, name=self.name, source=[*self.source, *newer.source],
            years=sorted({*ours, *newer.years}),
            holidays=sorted([h for h in self.holidays if h.start.year in ours]
                            + list(newer.holidays), key=lambda h: h.start),
            makeup_workdays=sorted([d for d in self.makeup_workdays if d.year in ours]
                                   + list(newer.makeup_workdays)))

    def closed_dates(self) -> list[date]:
        """Every closed date of every holiday, in order."""
        out: set[date] = set()
        for h in self.holidays:
            out.update(date.fromordinal(o) for o in range(h.start.toordinal(),
                                                           h.end.toordinal() + 1))
        return sorted(out)


class RatingsConfig(ConfigModel):
    """好差评 rules: rating tokens, review flags, the provincial default and 差评整改 deadlines."""

    token_ttl_s: int = Field(
        default=180, ge=30, le=3600,
        description="how long after a completion the window's pad may be rated",
    )
    fast_rating_ms: int = Field(
        default=300, ge=0, le=5000,
        description="a rating this soon after arming is flagged for review (nobody reads "
        "the pad that fast)",
    )
    uniform_min_ratings: int = Field(
        default=30, ge=5, le=1000,
        description="a member of staff rated 非常满意 every time over at least this many "
        "ratings in a month is flagged for review",
    )
    burst_count: int = Field(
        default=5, ge=2, le=100, description="this many rating messages from one pad ...")
    burst_window_s: int = Field(
        default=10, ge=1, le=600, description="... within this many seconds are flagged")
    default_level: int | None = Field(
        default=3, ge=1, le=5,
        description="level the server records for a transaction nobody rated (e.g. 3 基本满意, "
        "per provincial rules); null = leave unrated",
    )
    default_after_days: int = Field(
        default=1, ge=0, le=30,
        description="calendar days after the completion before the default level applies",
    )
    followup_working_days: int = Field(
        default=15, ge=1, le=60,
        description="差评整改 deadline in working days (国办发〔2019〕51号: at most 15)",
    )
    callback_working_days: int = Field(
        default=1, ge=0, le=10, description="回访 (callback) due within this many working days",
    )


class RoutingConfig(ConfigModel):
    """Tuning of the call-time dispatch index (bounded age credits, never pre-emption)."""

    priority_credit_min: float = Field(
        default=10, ge=0, le=60, description="age credit of a priority-lane (绿色通道) ticket"
    )
    priority_lane_window_credit_min: float = Field(
        default=10, ge=0, le=60,
        description="extra credit a priority-lane window gives priority-lane tickets",
    )
    appointment_credit_min: float = Field(
        default=10, ge=0, le=60, description="age credit of an appointment once its slot is due"
    )
    appointment_due_before_min: float = Field(
        default=5, ge=0, le=60, description="an appointment counts as due this long before its slot"
    )
    secondary_penalty_min: float = Field(
        default=5, ge=0, le=60,
        description="a window prefers its primary category unless a secondary ticket waited "
        "this much longer",
    )
    express_credit_min: float = Field(
        default=5, ge=0, le=60, description="credit an express window gives quick items"
    )
    express_max_minutes: float = Field(
        default=10, gt=0, le=60, description="items at most this long count as quick"
    )
    no_show_grace_min: float = Field(
        default=30, ge=0, le=240, description="a no-show ticket may rejoin within this time"
    )

    max_credit_min: float = Field(
        default=20, ge=0, le=120,
        description="cap on a ticket's total credit at any window: a ticket that waited this "
        "much longer (plus the secondary penalty) than another always wins, so nobody starves",
    )


class ScreenConfig(ConfigModel):
    """The hall call screen (综合屏): how calls are announced."""

    speech: Literal["auto", "browser", "server", "off"] = Field(
        default="auto",
        description="who reads calls aloud: auto = the browser when it has a Chinese voice, "
        "else the server's audio; browser; server (espeak-ng audio); off",
    )
    repeat: int = Field(default=2, ge=1, le=5, description="times each call is read aloud")
    speech_rate: int = Field(
        default=150, ge=80, le=450,
        description="how fast calls are read (语速), in words per minute on espeak-ng's scale: "
        "175 is everyday speech; 150, a little slower, carries better in a noisy, echoing "
        "hall. The browser's voice follows in proportion",
    )
    voice: str = Field(
        default="cmn-latn-pinyin", min_length=1, max_length=40,
        description="espeak-ng voice of the server's audio (Mandarin)",
    )
    recent_calls: int = Field(default=8, ge=1, le=30, description="calls listed on the screen")
    notice: I18nText | None = Field(
        default=None, description="notice line at the foot of the screen")


class MonitorConfig(ConfigModel):
    """When the manager dashboard raises alerts (queue thresholds are per category)."""

    check_interval_s: int = Field(
        default=15, ge=1, le=600, description="how often the hall is checked for alerts")
    unstaffed_after_min: int = Field(
        default=10, ge=1, le=240,
        description="alert when a window has had nobody signed in for this long during "
        "opening hours",
    )
    device_offline_after_s: int = Field(
        default=120, ge=10, le=3600,
        description="alert when a configured device has been offline this long",
    )
    idle_while_waiting_min: int = Field(
        default=5, ge=1, le=120,
        description="alert when an open window stays idle this long while tickets it could "
        "serve wait",
    )


class HallInfo(ConfigModel):
    """Identity of the hall."""

    id: str = Field(pattern=ID_PATTERN, description="hall id used in MQTT topics")
    name: I18nText
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of the hall")
    address: str | None = Field(default=None, description="street address shown on receipts")
    phone: str | None = Field(default=None, description="public service phone of the hall")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Zone(ConfigModel):
    """An area of the hall (floor, wing) where windows stand."""

    id: str = Field(pattern=ID_PATTERN)
    name: I18nText
    floor: int = Field(default=1, description="floor number shown in directions")


class Category(ConfigModel):
    """A business category (业务类别): one queue, one ticket prefix letter."""

    code: str = Field(pattern=ID_PATTERN, description="stable id of the category")
    prefix: str = Field(pattern=r"^[A-Z]$", description="ticket prefix letter, e.g. A in A012")
    name: I18nText
    zone: str = Field(description="zone whose windows serve this category")
    daily_cap: int = Field(default=300, ge=1, le=9999, description="限号: tickets per service day")
    warn_waiting: int = Field(
        default=20, ge=1, description="alert when this many tickets are waiting"
    )
    warn_wait_min: int = Field(
        default=30, ge=1, description="alert when the longest wait passes this many minutes"
    )


class Frequency(StrEnum):
    """Volume class of an item (高频/低频事项: over 500 / under 100 cases a month)."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Material(ConfigModel):
    """One document the citizen brings (一次性告知)."""

    name: str = Field(min_length=1)
    original: bool = Field(default=True, description="original document must be shown")
    copies: int = Field(default=0, ge=0, le=20, description="photocopies to hand in")
    note: str | None = None


class Fee(ConfigModel):
    """What the item costs the citizen."""

    amount_yuan: float = Field(default=0, ge=0)
    note: str | None = Field(default=None, description="basis of the fee, or 不收费")


class LimitUnit(StrEnum):
    """What an item's time limits count."""

    WORKING_DAYS = "working_days"  # statutory working days (the usual 限时办结)
    NATURAL_DAYS = "natural_days"  # calendar days; a last day off moves to the next working day
    HOURS = "hours"  # service hours of the hall (不动产 "1小时办结")


class Item(ConfigModel):
    """A service item (事项) citizens apply for."""

    code: str = Field(pattern=r"^[A-Z0-9-]{2,32}$", description="item code")
    name: I18nText
    category: str = Field(description="category code whose queue the item joins")
    legal_limit_days: int = Field(ge=0, le=365, description="法定时限, in legal_unit; 0 = none "
                                  "beyond the spot (即办)")
    promised_limit_days: int = Field(
        ge=0, le=365, description="承诺时限, in promised_unit; 0 = 即办件 (done on the spot)"
    )
    legal_unit: LimitUnit = Field(default=LimitUnit.WORKING_DAYS,
                                  description="what legal_limit_days counts (the field names "
                                  "keep their history): working_days, natural_days or hours")
    promised_unit: LimitUnit = Field(default=LimitUnit.WORKING_DAYS,
                                     description="what promised_limit_days counts, e.g. hours "
                                     "for 不动产 1小时办结")
    materials: list[Material] = Field(default=[])
    fee: Fee = Field(default_factory=Fee)
    expected_minutes: float = Field(gt=0, le=240, description="expected service minutes")
    frequency: Frequency = Frequency.NORMAL

    @model_validator(mode="after")
    def _promise_within_law(self) -> Item:
        promised, legal = self.promised_limit_days, self.legal_limit_days
        if promised == 0:
            return self
        units = (self.promised_unit, self.legal_unit)
        if units[0] == units[1] or units == (LimitUnit.NATURAL_DAYS, LimitUnit.WORKING_DAYS):
            within = promised <= legal  # N natural days never outlast N working days
        elif units[0] is LimitUnit.HOURS:
            within = promised <= legal * 8  # at most a working day's service hours per day
        else:
            within = False  # a promise counted in longer units than the law's
        if not within:
            raise ValueError(
                f"promised limit {promised} {units[0].value} exceeds legal limit "
                f"{legal} {units[1].value} (承诺时限不得超过法定时限)"
            )
        return self


class Window(ConfigModel):
    """A comprehensive window (综合窗口) and the categories it serves."""

    number: int = Field(ge=1, le=999, description="window number shown to citizens")
    name: I18nText
    zone: str
    primary: str = Field(description="primary category (主办)")
    secondary: list[str] = Field(default=[], description="secondary categories (兼办)")
    priority_lane: bool = Field(default=False, description="绿色通道 window")
    express: bool = Field(default=False, description="快办 window: prefers quick items")

    @property
    def skills(self) -> tuple[str, ...]:
        """Primary category first, then the secondaries."""
        return (self.primary, *self.secondary)


class StaffRole(StrEnum):
    """A/B角: A is the window's regular owner, B stands in when A is absent."""

    A = "A"
    B = "B"


class Absence(ConfigModel):
    """Days a member of staff is away (leave, training), inclusive."""

    start: date
    end: date
    note: str | None = Field(default=None, max_length=80, description="e.g. 年假 annual leave")

    @model_validator(mode="after")
    def _ordered(self) -> Absence:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7]


class StaffSeed(ConfigModel):
    """A staff member of the roster, where they may stand and the days they work."""

    id: str = Field(pattern=r"^[0-9A-Za-z]{3,16}$", description="工号 (staff number)")
    name: str = Field(min_length=1)
    role_a: list[int] = Field(default=[], description="windows where this person is role A")
    role_b: list[int] = Field(default=[], description="windows where this person is role B")
    photo: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9._/-]{1,120}\.jpe?g$",
        description="JPEG photo for 亮证 on the window's pad, relative to this file",
    )
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default=ALL_WEEKDAYS, description="ISO weekdays this person works (of the hall's "
        "service days); a 调休 make-up day counts as a weekday")
    absences: list[Absence] = Field(default=[], description="leave and other days away")

    def on_duty(self, day: date, *, makeup: bool = False) -> bool:
        """Whether the roster has this person at work on a service day."""
        if any(a.start <= day <= a.end for a in self.absences):
            return False
        works = set(self.weekdays)
        return day.isoweekday() in works or (makeup and bool(works & {1, 2, 3, 4, 5}))


class HallConfig(ConfigModel):
    """A hall's layout: hours, zones, categories, items, windows and roster."""

    schema_version: Literal[1] = Field(description="schema version of this file")
    hall: HallInfo
    service_days: ServiceDays = Field(default_factory=ServiceDays)
    opening_hours: OpeningHours
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    ratings: RatingsConfig = Field(default_factory=RatingsConfig)
    screen: ScreenConfig = Field(default_factory=ScreenConfig)
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    zones: list[Zone] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    items: list[Item] = Field(default=[])
    windows: list[Window] = Field(min_length=1)
    staff: list[StaffSeed] = Field(default=[])

    @model_validator(mode="after")
    def _references(self) -> HallConfig:
        issues = self.reference_issues()
        if issues:
            raise ReferenceIssues(issues)
        return self

    def reference_issues(self) -> list[tuple[Loc, str]]:
        """Cross-reference checks, each with the path of the offending value."""
        issues: list[tuple[Loc, str]] = []
        zones = {z.id for z in self.zones}
        cats = {c.code for c in self.categories}
        _dupes(issues, "zones", [z.id for z in self.zones], "zone id")
        _dupes(issues, "categories", [c.code for c in self.categories], "category code")
        _dupes(issues, "categories", [c.prefix for c in self.categories], "ticket prefix",
               field="prefix")
        _dupes(issues, "items", [i.code for i in self.items], "item code")
        _dupes(issues, "windows", [w.number for w in self.windows], "window number",
               field="number")
        _dupes(issues, "staff", [s.id for s in self.staff], "staff id", field="id")
        for i, c in enumerate(self.categories):
            if c.zone not in zones:
                issues.append((("categories", i, "zone"), f"unknown zone {c.zone!r}"))
        for i, item in enumerate(self.items):
            if item.category not in cats:
                issues.append((("items", i, "category"), f"unknown category {item.category!r}"))
        served: set[str] = set()
        for i, w in enumerate(self.windows):
            if w.zone not in zones:
                issues.append((("windows", i, "zone"), f"unknown zone {w.zone!r}"))
            if w.primary not in cats:
                issues.append((("windows", i, "primary"), f"unknown category {w.primary!r}"))
            for j, s in enumerate(w.secondary):
                if s not in cats:
                    issues.append((("windows", i, "secondary", j), f"unknown category {s!r}"))
                elif s == w.primary:
                    issues.append((("windows", i, "secondary", j),
                                   f"{s!r} is already the primary category"))
            if len(set(w.secondary)) != len(w.secondary):
                issues.append((("windows", i, "secondary"), "a category is listed twice"))
            served.update(w.skills)
        for i, c in enumerate(self.categories):
            if c.code not in served:
                issues.append((("categories", i, "code"),
                               f"no window serves category {c.code!r}: its tickets would never "
                               "be called"))
        numbers = {w.number for w in self.windows}
        for i, person in enumerate(self.staff):
            for role in ("role_a", "role_b"):
                for j, n in enumerate(getattr(person, role)):
                    if n not in numbers:
                        issues.append((("staff", i, role, j), f"unknown window {n}"))
        return issues

    def roster_warnings(self) -> list[str]:
        """A/B coverage gaps: windows without a role A or role B staff member."""
        warnings = []
        for w in self.windows:
            a = [s.id for s in self.staff if w.number in s.role_a]
            b = [s.id for s in self.staff if w.number in s.role_b]
            if not a:
                warnings.append(f"window {w.number} has no role A staff (A角缺位)")
            if not b:
                warnings.append(f"window {w.number} has no role B staff (B角缺位)")
        return warnings

    # Lookups used by services; the lists are small (tens of entries).
    def category(self, code: str) -> Category:
        """The category with this code or prefix letter; KeyError if none."""
        for c in self.categories:
            if code in (c.code, c.prefix):
                return c
        raise KeyError(code)

    def item(self, code: str) -> Item:
        """The item with this code; KeyError if none."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def window(self, number: int) -> Window:
        """The window with this number; KeyError if none."""
        for w in self.windows:
            if w.number == number:
                return w
        raise KeyError(number)

    def zone(self, zone_id: str) -> Zone:
        """The zone with this id; KeyError if none."""
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise KeyError(zone_id)

    def windows_serving(self, category: str) -> list[Window]:
        """Windows whose skills include the category, primary servers first."""
        ws = [w for w in self.windows if category in w.skills]
        return sorted(ws, key=lambda w: (w.primary != category, w.number))


class ReferenceIssues(ValueError):
    """Raised by HallConfig when cross references are broken; carries located issues."""

    def __init__(self, issues: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{format_loc(loc)}: {msg}" for loc, msg in issues))
        self.issues = issues


def format_loc(loc: Loc) -> str:
    """Render a pydantic location as a dotted path with [index] parts."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _dupes(
    issues: list[tuple[Loc, str]], section: str, values: list[Any], what: str,
    field: str = "code",
) -> None:
    if section == "zones":
        field = "id"
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            issues.append(((section, i, field), f"duplicate {what} {v!r}"))
        seen.add(v)
