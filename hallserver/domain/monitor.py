"""What the manager dashboard watches: the hall's alert conditions and their numbers.

Pure decisions over a snapshot of committed state. A condition is something that holds now
(a queue over its threshold, a window unstaffed too long, a device offline ...); the monitor
service turns the start of a condition into one alert and its end into an automatic
resolution. Everything here takes aware datetimes and does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from hallserver.config.models import HallConfig, MonitorConfig, Session

Level = Literal["info", "warn", "alarm"]
LEVEL_RANK: dict[str, int] = {"alarm": 0, "warn": 1, "info": 2}

WITHIN_MIN = 20.0  # "share called within 20 minutes" (the seeds' service goal)

# Alert kinds raised by the monitor (AlertRow.kind is at most 24 characters).
QUEUE_WAITING = "queue-waiting"
QUEUE_WAIT = "queue-wait"
WINDOW_UNSTAFFED = "window-unstaffed"
WINDOW_IDLE = "window-idle"
DEVICE_OFFLINE = "device-offline"
PAPER_OUT = "paper-out"
DEVICE_FAULT = "device-fault"
CALENDAR_MISSING = "calendar-missing"
DEVICE_KINDS = frozenset({DEVICE_OFFLINE, PAPER_OUT, DEVICE_FAULT})
MONITOR_KINDS = frozenset({QUEUE_WAITING, QUEUE_WAIT, WINDOW_UNSTAFFED, WINDOW_IDLE,
                           CALENDAR_MISSING}) | DEVICE_KINDS

DEVICE_ZH = {"kiosk": "取号机", "terminal": "自助终端", "pad": "评价器", "printer": "打印机",
             "led": "窗口屏", "caller": "呼叫器", "screen": "综合屏"}

Key = tuple[str, str]  # (kind, subject)


@dataclass(frozen=True, slots=True)
class Condition:
    """Something a manager should know that holds at this moment."""

    kind: str
    subject: str  # what it is about: category code, "w5" for window 5, a device id
    level: Level
    message: str
    message_en: str

    @property
    def key(self) -> Key:
        """Identity of the condition across checks."""
        return self.kind, self.subject


@dataclass(frozen=True, slots=True)
class Plan:
    """What one check changes: conditions that began, episodes that ended."""

    begin: list[Condition]
    end: list[Key]


def plan(open_episodes: Iterable[Key], holding: Iterable[Condition]) -> Plan:
    """Compare the episodes on record with the conditions holding now."""
    known = set(open_episodes)
    now = {c.key: c for c in holding}
    return Plan(begin=[c for k, c in now.items() if k not in known],
                end=sorted(k for k in known if k not in now))


def episode_ref(subject: str, since: datetime) -> str:
    """The alert's ref of one episode of a condition: a recurrence is a new alert."""
    return f"{subject}@{since.strftime('%Y%m%dT%H%M%S')}"


def subject_of(ref: str) -> str:
    """The subject part of an episode ref (a ref without '@' is all subject)."""
    return ref.split("@", 1)[0]


def minutes(start: datetime, end: datetime) -> float:
    """Minutes from start to end, one decimal."""
    return round((end - start).total_seconds() / 60.0, 1)


def share(hits: int, total: int) -> float | None:
    """hits / total to three decimals; None when there is nothing to divide."""
    return round(hits / total, 3) if total else None


def within_goal(start: datetime, end: datetime) -> bool:
    """Whether `end` is at most the goal after `start` (exact: 20:00 is within, 20:01 not)."""
    return (end - start).total_seconds() <= WITHIN_MIN * 60


def missed_goal(issued_at: datetime, waiting: bool, cancelled_at: datetime | None,
                now: datetime) -> bool:
    """An uncalled ticket that already missed the goal: still waiting past it, or cancelled
    after it (one cancelled or waiting within it never had the chance to be late; the same
    count as the reports' called-within share)."""
    if waiting:
        return not within_goal(issued_at, now)
    return cancelled_at is not None and not within_goal(issued_at, cancelled_at)


def session_start(sessions: Sequence[Session], local: datetime) -> datetime | None:
    """Start of the day's session (`sessions`) that `local` (hall time) falls in, else None."""
    t = local.timetz().replace(tzinfo=None)
    for s in sessions:
        if s.start <= t < s.end:
            return local.replace(hour=s.start.hour, minute=s.start.minute, second=0,
                                 microsecond=0)
    return None


def _later(a: datetime, b: datetime | None) -> datetime:
    return a if b is None or a >= b else b


def expected_staffed(cfg: HallConfig, day: date, *, makeup: bool = False) -> set[int]:
    """Windows expected to be staffed in the day's opening hours: those someone on duty that
    day is rostered to (A角 or B角), so an empty one is 空岗 that the A/B rule should have
    prevented; every window if the layout has no roster. A window nobody on duty is
    rostered to is one the hall leaves closed that day: no unstaffed alert for it."""
    if not cfg.staff:
        return {w.number for w in cfg.windows}
    return {n for s in cfg.staff if s.on_duty(day, makeup=makeup)
            for n in (*s.role_a, *s.role_b)}


def unserved(cfg: HallConfig, staffed: set[int]) -> list[str]:
    """Categories no window expected staffed serves (primary or secondary): a number taken
    for one would never be called that day."""
    served = {c for w in cfg.windows if w.number in staffed
              for c in (w.primary, *w.secondary)}
    return [c.code for c in cfg.categories if c.code not in served]


def unstaffed_since(session_began: datetime | None, closed_at: datetime | None) -> datetime | None:
    """Since when a window with nobody signed in counts as unstaffed: the later of the
    session's start and the last sign-out; None outside opening hours."""
    if session_began is None:
        return None
    return _later(session_began, closed_at)


def idle_while_waiting_since(idle_since: datetime | None,
                             oldest_waiting: datetime | None) -> datetime | None:
    """Since when an idle open window has had a ticket it could call (None: not idle, or
    nothing it may call is waiting)."""
    if idle_since is None or oldest_waiting is None:
        return None
    return _later(idle_since, oldest_waiting)


# ---- conditions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFacts:
    """One category's queue as the monitor needs it."""

    code: str
    prefix: str
    name_zh: str
    name_en: str
    waiting: int
    longest_min: float
    warn_waiting: int
    warn_wait_min: int


def queue_conditions(q: QueueFacts) -> list[Condition]:
    """Waiting count or longest wait at or over the category's thresholds (the same test as
    the queue's warnings in GET /api/queues)."""
    out = []
    if q.waiting >= q.warn_waiting:
        out.append(Condition(
            QUEUE_WAITING, q.code, "warn",
            f"{q.prefix}类（{q.name_zh}）等候 {q.waiting} 人，达到提醒线 {q.warn_waiting} 人",
            f"{q.prefix} ({q.name_en}): {q.waiting} waiting, threshold {q.warn_waiting}"))
    if q.longest_min >= q.warn_wait_min:
        out.append(Condition(
            QUEUE_WAIT, q.code, "alarm",
            f"{q.prefix}类（{q.name_zh}）最长已等候 {q.longest_min:.0f} 分钟，"
            f"达到提醒线 {q.warn_wait_min} 分钟",
            f"{q.prefix} ({q.name_en}): longest wait {q.longest_min:.0f} min, "
            f"threshold {q.warn_wait_min} min"))
    return out


def calendar_conditions(covers_until: date | None, today: date) -> list[Condition]:
    """From 1 November of the holiday calendar's last year (the next year's State Council
    notice is due then), a standing warning until that year is entered; an alarm once its
    days have begun. Deadlines reaching past the calendar are provisional meanwhile."""
    if covers_until is None or today < date(covers_until.year, 11, 1):
        return []
    year = covers_until.year + 1
    level: Level = "alarm" if today > covers_until else "warn"
    return [Condition(
        CALENDAR_MISSING, str(year), level,
        f"{year}年节假日安排尚未录入：跨入{year}年的办结期限按法定节假日暂定计算，回执上标为"
        f"“暂定”；国务院通知公布后请录入节假日日历（hallserver calendar）",
        f"the {year} public holidays are not entered: deadlines reaching into {year} are "
        "provisional (counted on the statutory holidays) and marked so on receipts; enter the "
        "State Council's notice in the holiday calendar (hallserver calendar)")]


@dataclass(frozen=True, slots=True)
class WindowFacts:
    """One window's state as the monitor needs it (minutes None when not applicable)."""

    number: int
    unstaffed_min: float | None
    idle_while_waiting_min: float | None
    eligible_waiting: int


def window_conditions(w: WindowFacts, cfg: MonitorConfig) -> list[Condition]:
    """Unstaffed in opening hours too long; idle too long while it could call someone."""
    out = []
    subject = f"w{w.number}"
    if w.unstaffed_min is not None and w.unstaffed_min >= cfg.unstaffed_after_min:
        out.append(Condition(
            WINDOW_UNSTAFFED, subject, "warn",
            f"{w.number}号窗口开放时间内无人在岗已 {w.unstaffed_min:.0f} 分钟",
            f"window {w.number} unstaffed in opening hours for {w.unstaffed_min:.0f} min"))
    if (w.idle_while_waiting_min is not None
            and w.idle_while_waiting_min >= cfg.idle_while_waiting_min):
        out.append(Condition(
            WINDOW_IDLE, subject, "warn",
            f"{w.number}号窗口空闲 {w.idle_while_waiting_min:.0f} 分钟，"
            f"仍有 {w.eligible_waiting} 位可办理的群众在等候",
            f"window {w.number} idle for {w.idle_while_waiting_min:.0f} min while "
            f"{w.eligible_waiting} it could serve are waiting"))
    return out


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """One device's health as the monitor needs it."""

    id: str
    type: str
    window: int | None
    offline_s: float | None  # seconds offline (None: online or presence unknown)
    paper_out: bool
    faults: tuple[str, ...]  # other problems of an online device ("zh / en" strings)


def _device_name(d: DeviceFacts) -> tuple[str, str]:
    where_zh = f"（{d.window}号窗口）" if d.window else ""
    where_en = f" (window {d.window})" if d.window else ""
    return (f"{DEVICE_ZH.get(d.type, d.type)} {d.id}{where_zh}", f"{d.type} {d.id}{where_en}")


def device_conditions(d: DeviceFacts, cfg: MonitorConfig) -> list[Condition]:
    """Offline longer than allowed; a printer out of paper; another fault."""
    zh, en = _device_name(d)
    if d.offline_s is not None:
        if d.offline_s < cfg.device_offline_after_s:
            return []
        mins = max(1, round(d.offline_s / 60))
        return [Condition(DEVICE_OFFLINE, d.id, "alarm", f"{zh}离线已 {mins} 分钟",
                          f"{en} offline for {mins} min")]
    out = []
    if d.paper_out:
        out.append(Condition(PAPER_OUT, d.id, "alarm", f"{zh}缺纸", f"{en} is out of paper"))
    if d.faults:
        parts = [f.split(" / ", 1) for f in d.faults]
        out.append(Condition(
            DEVICE_FAULT, d.id, "warn",
            f"{zh}故障：{'；'.join(p[0] for p in parts)}",
            f"{en} fault: {'; '.join(p[-1] for p in parts)}"))
    return out


def sort_key(level: str, raised_at: datetime) -> tuple[int, float]:
    """Most severe first, then newest first."""
    return LEVEL_RANK.get(level, 3), -raised_at.timestamp()


def latest_by_subject(rows: Iterable[tuple[str, str, int]]) -> Mapping[Key, int]:
    """(kind, ref, id) rows -> the newest id per (kind, subject), ids growing with time."""
    out: dict[Key, int] = {}
    for kind, ref, row_id in rows:
        key = (kind, subject_of(ref))
        if row_id > out.get(key, -1):
            out[key] = row_id
    return out

