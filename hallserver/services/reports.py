"""统计报表: tickets, waits, service times, satisfaction, 差评整改 and the monthly window
ranking for a day, week or month, aggregated in SQL (SQLite and PostgreSQL alike).

Periods are local service days (`service_day` is stored in the hall's time zone); the hour
of day is the local hour of issue. Nothing personal is read: no notes, no comments."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from hallserver.domain import reports as rules
from hallserver.domain.calendar import HallCalendar
from hallserver.domain.tickets import TicketState
from hallserver.services.hall import HallContext
from hallserver.services.report_sections import Sections
from hallserver.services.report_tables import Levels, Report, Stats
from hallserver.store.models import (
    FollowUpEventRow,
    FollowUpRow,
    RatingRow,
    TicketRow,
    UTCDateTime,
)

logger = logging.getLogger(__name__)

EPSILON_S = 0.001  # SQLite's julianday arithmetic is exact to ~0.1 ms, not to the microsecond


@dataclass(frozen=True)
class FollowUpFact:
    """A rectification case as the report judges it."""

    window: int
    staff_id: str | None
    closed_day: date | None
    answer_by: date
    callback_by: date
    first_callback_day: date | None


@dataclass
class Facts:
    """Everything read from the database for one span."""

    by_group: dict[tuple[str, str | None, int | None, str | None], Stats]
    by_day: dict[date, Stats]
    by_hour: dict[int, Stats]
    wait_bins: dict[int, int]
    service_bins: dict[int, int]
    ratings: dict[tuple[int, str | None], Levels]
    followups: list[FollowUpFact]


class ReportService:
    """Builds reports of one hall."""

    def __init__(self, ctx: HallContext) -> None:
        self.ctx = ctx

    def report(self, period: rules.Period, anchor: date) -> Report:
        """The report of the day, week or month containing `anchor`."""
        now = self.ctx.clock()
        with self.ctx.db.read() as session:
            cfg = self.ctx.layout.current(session)
            calendar = self.ctx.calendar(cfg)
            today = calendar.service_day(now)
            span = rules.span_of(period, anchor)
            month = rules.month_of(anchor)
            facts = self._facts(session, calendar, span, now, today)
            month_facts = facts if span == month else self._facts(session, calendar, month,
                                                                   now, today)
        month_days = rules.service_days(month.days(), calendar.is_service_day)
        elapsed = [d for d in month_days if d <= today]
        sections = Sections(cfg, calendar, today)
        tables = [
            sections.summary(facts, span),
            sections.by_day(facts, span),
            sections.by_category(facts),
            sections.by_item(facts),
            sections.by_window(facts),
            sections.by_staff(facts),
            sections.wait_histogram(facts),
            sections.service_histogram(facts),
            sections.by_hour(facts),
            sections.rating_windows(facts),
            sections.rating_staff(facts),
            sections.followups(facts, today),
            sections.frequency(month_facts, len(elapsed), len(month_days)),
            sections.ranking(month_facts, today),
        ]
        return Report(
            period=period.value, date_from=span.start, date_to=span.end,
            month_from=month.start, month_to=month.end,
            service_days=len(rules.service_days(span.days(), calendar.is_service_day)),
            month_service_days=len(month_days), month_elapsed_days=len(elapsed),
            includes_today=span.start <= today <= span.end, timezone=cfg.hall.timezone,
            generated_at=now, tables=tables)

    # ---- reading ------------------------------------------------------------------------------

    def _facts(self, session: Session, calendar: HallCalendar, span: rules.Span,
               now: datetime, today: date) -> Facts:
        sql = _Sql(session.get_bind().dialect.name, calendar.tz, span, now)
        where = (TicketRow.hall_id == self.ctx.hall_id, TicketRow.service_day >= span.start,
                 TicketRow.service_day <= span.end)
        keys = (TicketRow.issued_category, TicketRow.item_code, TicketRow.window,
                TicketRow.staff_id)
        by_group = {(str(r[0]), r[1], r[2], r[3]): sql.stats(r, 4) for r in session.execute(
            select(*keys, *sql.aggregates()).where(*where).group_by(*keys)).all()}
        by_day = {r[0]: sql.stats(r, 1) for r in session.execute(
            select(TicketRow.service_day, *sql.aggregates()).where(*where)
            .group_by(TicketRow.service_day)).all()}
        hour = sql.local_hour(TicketRow.issued_at)
        by_hour = {int(r[0]): sql.stats(r, 1) for r in session.execute(
            select(hour, *sql.aggregates()).where(*where).group_by(hour)).all()}
        wait_bin = sql.bin(sql.seconds(TicketRow.issued_at, TicketRow.first_called_at),
                           rules.WAIT_BINS_MIN)
        wait_bins = {int(b): int(n) for b, n in session.execute(
            select(wait_bin, func.count()).where(*where, TicketRow.first_called_at.is_not(None))
            .group_by(wait_bin)).all()}
        svc_bin = sql.bin(sql.seconds(TicketRow.serving_at, TicketRow.finished_at),
                          rules.SERVICE_BINS_MIN)
        service_bins = {int(b): int(n) for b, n in session.execute(
            select(svc_bin, func.count()).where(
                *where, TicketRow.state == TicketState.DONE.value,
                TicketRow.serving_at.is_not(None)).group_by(svc_bin)).all()}
        return Facts(by_group=by_group, by_day=by_day, by_hour=by_hour, wait_bins=wait_bins,
                     service_bins=service_bins, ratings=self._ratings(session, span),
                     followups=self._followups(session, calendar, span))

    def _ratings(self, session: Session, span: rules.Span) -> dict[tuple[int, str | None],
                                                                     Levels]:
        out: dict[tuple[int, str | None], Levels] = defaultdict(Levels)
        keys = (RatingRow.window, RatingRow.staff_id, RatingRow.level, RatingRow.source,
                RatingRow.excluded)
        for w, staff, level, source, excluded, n in session.execute(
                select(*keys, func.count()).where(
                    RatingRow.hall_id == self.ctx.hall_id,
                    RatingRow.service_day >= span.start, RatingRow.service_day <= span.end)
                .group_by(*keys)).all():
            out[(int(w), staff)].add(int(level), int(n), default=source == "default",
                                     excluded=bool(excluded))
        return dict(out)

    def _followups(self, session: Session, calendar: HallCalendar,
                   span: rules.Span) -> list[FollowUpFact]:
        start = datetime.combine(span.start, time.min, calendar.tz)
        end = datetime.combine(span.end + timedelta(days=1), time.min, calendar.tz)
        first_callback = (select(FollowUpEventRow.followup_id,
                                 func.min(FollowUpEventRow.at).label("at"))
                          .where(FollowUpEventRow.action == "callback")
                          .group_by(FollowUpEventRow.followup_id).subquery())
        rows = session.execute(
            select(FollowUpRow.window, FollowUpRow.staff_id, FollowUpRow.closed_at,
                   FollowUpRow.answer_by, FollowUpRow.callback_by, first_callback.c.at)
            .outerjoin(first_callback, first_callback.c.followup_id == FollowUpRow.id)
            .where(FollowUpRow.hall_id == self.ctx.hall_id, FollowUpRow.opened_at >= start,
                   FollowUpRow.opened_at < end)).all()
        facts = []
        for w, staff, closed, answer_by, callback_by, called in rows:
            called_at = _aware(called)
            facts.append(FollowUpFact(
                window=int(w), staff_id=staff,
                closed_day=calendar.service_day(closed) if closed else None,
                answer_by=answer_by, callback_by=callback_by,
                first_callback_day=calendar.service_day(called_at) if called_at else None))
        return facts


def _aware(value: Any) -> datetime | None:
    """A datetime from a raw (sub)query column: aware UTC (SQLite gives naive UTC text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class _Sql:
    """Dialect-specific expressions: seconds between two moments, local hour, bins."""

    def __init__(self, dialect: str, tz: ZoneInfo, span: rules.Span, now: datetime) -> None:
        self.sqlite = dialect == "sqlite"
        self.tz = tz
        # SQLite has no time zones: the offset at the span's middle (Asia/Shanghai has no
        # daylight saving; a hall in a zone with DST would be off by an hour part of a year).
        middle = datetime.combine(span.start + (span.end - span.start) / 2, time(12), tz)
        offset = middle.utcoffset()
        self.offset_min = int(offset.total_seconds() // 60) if offset else 0
        self.now = literal(now, UTCDateTime())

    def seconds(self, start: Any, end: Any) -> ColumnElement[float]:
        """Seconds from start to end."""
        if self.sqlite:
            return (func.julianday(end) - func.julianday(start)) * 86400.0
        seconds: ColumnElement[float] = cast(extract("epoch", end - start), Float)
        return seconds

    def local_hour(self, moment: Any) -> ColumnElement[int]:
        """The hour (0-23) of a moment in the hall's time zone."""
        if self.sqlite:
            return cast(func.strftime("%H", moment, f"{self.offset_min:+d} minutes"), Integer)
        return cast(extract("hour", func.timezone(self.tz.key, moment)), Integer)

    @staticmethod
    def bin(seconds: ColumnElement[float], bounds: Sequence[int]) -> ColumnElement[int]:
        """Index of the (lo, hi] minute bin a duration falls in."""
        return case(*[(seconds <= hi * 60 + EPSILON_S, i) for i, hi in enumerate(bounds)],
                    else_=len(bounds))

    def aggregates(self) -> list[ColumnElement[Any]]:
        """The ticket aggregates every grouping reads (see `stats`)."""
        t = TicketRow  # waits run to the first call (a requeue or transfer does not reset it)
        called = t.first_called_at.is_not(None)
        wait = self.seconds(t.issued_at, t.first_called_at)
        waited = self.seconds(t.issued_at, func.coalesce(t.first_called_at, t.finished_at,
                                                          self.now))
        done = t.state == TicketState.DONE.value
        cols: list[ColumnElement[Any]] = [
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((t.state == TicketState.NO_SHOW.value, 1), else_=0)),
            func.sum(case((t.state == TicketState.CANCELLED.value, 1), else_=0)),
            func.count(t.first_called_at),
            func.sum(case((called, wait), else_=0.0)),
            func.sum(case((and_(done, t.serving_at.is_not(None)), 1), else_=0)),
            func.sum(case((and_(done, t.serving_at.is_not(None)),
                           self.seconds(t.serving_at, t.finished_at)), else_=0.0)),
        ]
        for target in rules.CALL_TARGETS_MIN:
            limit = target * 60 + EPSILON_S
            # Counted: every called ticket, and uncalled ones once they waited past the
            # target (a ticket cancelled or still waiting within it had no chance to be late).
            cols.append(func.sum(case((called, 1), (waited > limit, 1), else_=0)))
            cols.append(func.sum(case((and_(called, wait <= limit), 1), else_=0)))
        return cols

    @staticmethod
    def stats(row: Sequence[Any], first: int) -> Stats:
        """Stats from a result row whose aggregates start at column `first`."""
        v = row[first:]
        s = Stats(issued=int(v[0]), done=int(v[1] or 0), no_show=int(v[2] or 0),
                  cancelled=int(v[3] or 0), called=int(v[4] or 0), wait_s=float(v[5] or 0),
                  served=int(v[6] or 0), service_s=float(v[7] or 0))
        for i, target in enumerate(rules.CALL_TARGETS_MIN):
            s.eligible[target] = int(v[8 + 2 * i] or 0)
            s.within[target] = int(v[9 + 2 * i] or 0)
        return s

