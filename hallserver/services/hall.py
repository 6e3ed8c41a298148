"""What every use case of one hall shares: database, layout, clock, routing, estimates."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hallserver.config.models import Category, HallConfig, RoutingConfig
from hallserver.domain import monitor as monitor_rules
from hallserver.domain.calendar import HallCalendar
from hallserver.domain.errors import NotFound
from hallserver.domain.eta import (
    ServiceTimeEstimator,
    WaitForecast,
    category_priors,
    forecast,
)
from hallserver.domain.routing import RoutingPolicy, WeightedHeadOfLine, WindowView
from hallserver.domain.tickets import TicketState
from hallserver.services.layout import LayoutService
from hallserver.services.records import all_window_states, waiting_counts
from hallserver.store.db import Database
from hallserver.store.models import TicketRow

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
PolicyFactory = Callable[[RoutingConfig], RoutingPolicy]
ESTIMATOR_HISTORY = 50  # finished services per category replayed into the estimator at start


@dataclass(frozen=True, slots=True)
class HallChange:
    """Something committed that displays may need to show (delivered after the commit)."""

    kind: Literal["ticket", "window", "call", "complete", "arm", "receipt", "rating",
                  "alert", "device", "layout"]
    window: int | None = None
    number: str | None = None
    category: str | None = None
    ticket_id: int | None = None
    recall: bool = False
    token: str | None = None  # with "arm": the pad's rating token
    case_id: int | None = None  # with "receipt": the case whose receipt to print
    reprint: bool = False  # with "receipt": a copy (补打)


Listener = Callable[[HallChange], None]


@dataclass
class HallContext:
    """Shared state of one hall's services; built once by the composition root."""

    db: Database
    layout: LayoutService
    clock: Clock
    enforce_hours: bool = True
    policy_factory: PolicyFactory = WeightedHeadOfLine
    estimator: ServiceTimeEstimator = field(
        default_factory=lambda: ServiceTimeEstimator(prior_minutes={})
    )
    listeners: list[Listener] = field(default_factory=list)
    config_dir: Path | None = None  # the hall file's directory (staff photos)
    # Calendar and policy derived from the current layout object (held, so never stale).
    _derived: tuple[HallConfig, HallCalendar, RoutingPolicy] | None = None

    @property
    def hall_id(self) -> str:
        """Id of the hall these services run."""
        return self.layout.hall_id

    def _for(self, cfg: HallConfig) -> tuple[HallCalendar, RoutingPolicy]:
        derived = self._derived
        if derived is None or derived[0] is not cfg:  # first use, or the layout changed
            zone = ZoneInfo(cfg.hall.timezone)
            calendar = HallCalendar(cfg.opening_hours, cfg.service_days, zone)
            derived = (cfg, calendar, self.policy_factory(cfg.routing))
            self.estimator.prior_minutes = category_priors(cfg)
            self._derived = derived
        return derived[1], derived[2]

    def changed(self, change: HallChange) -> None:
        """Tell listeners (display sync, live pages) about a change once it is committed."""
        for listener in self.listeners:
            self.db.after_commit(partial(listener, change))

    def today(self, cfg: HallConfig) -> date:
        """The current service day."""
        return self.calendar(cfg).service_day(self.clock())

    def staffed_today(self, cfg: HallConfig) -> set[int]:
        """Windows the day's roster staffs (all, without a roster)."""
        day = self.today(cfg)
        return monitor_rules.expected_staffed(
            cfg, day, makeup=day in cfg.service_days.makeup_workdays)

    def unserved_today(self, cfg: HallConfig) -> list[str]:
        """Categories nobody on today's roster serves."""
        return monitor_rules.unserved(cfg, self.staffed_today(cfg))

    def calendar(self, cfg: HallConfig) -> HallCalendar:
        """Service days and hours of the given layout."""
        return self._for(cfg)[0]

    def policy(self, cfg: HallConfig) -> RoutingPolicy:
        """Routing policy tuned by the given layout."""
        return self._for(cfg)[1]

    def warm_up(self) -> None:
        """Rebuild live estimates from the database (after a start or a crash)."""
        with self.db.read() as session:
            cfg = self.layout.current(session)
            self._for(cfg)
            for c in cfg.categories:
                stmt = (
                    select(TicketRow.serving_at, TicketRow.finished_at)
                    .where(TicketRow.hall_id == self.hall_id, TicketRow.category == c.code,
                           TicketRow.state == TicketState.DONE.value,
                           TicketRow.serving_at.is_not(None))
                    .order_by(TicketRow.finished_at.desc(), TicketRow.id.desc())
                    .limit(ESTIMATOR_HISTORY)
                )
                rows = list(session.execute(stmt).all())
                for serving_at, finished_at in reversed(rows):
                    assert serving_at is not None
                    assert finished_at is not None
                    self.estimator.observe(c.code, minutes_between(serving_at, finished_at))
        logger.info("estimates warmed up for hall %s", self.hall_id)

    def forecast(self, session: Session, cfg: HallConfig, category: str, people_ahead: int,
                 waiting: dict[str, int] | None = None) -> WaitForecast:
        """Predicted wait in a category from staffed windows and waiting work, plus the closed
        time (before opening, the lunch break) that falls before the predicted call."""
        calendar = self.calendar(cfg)
        states = all_window_states(session, self.hall_id)
        views = [WindowView.of(w) for w in cfg.windows]
        staffed = [v for v in views if (s := states.get(v.number)) and s.staff_id]
        now = self.clock()
        day = calendar.service_day(now)
        sessions = [(datetime.combine(day, p.start, calendar.tz),
                     datetime.combine(day, p.end, calendar.tz))
                    for p in calendar.sessions_on(day)]
        return forecast(category, people_ahead=people_ahead, open_windows=staffed,
                        all_windows=views,
                        waiting=waiting if waiting is not None else waiting_counts(
                            session, self.hall_id, day),
                        estimator=self.estimator, now=now, sessions=sessions)


def find_category(cfg: HallConfig, code: str) -> Category:
    """A category by code or prefix letter, or NotFound."""
    try:
        return cfg.category(code)
    except KeyError:
        raise NotFound(f"没有业务类别 {code}", f"no category {code!r}") from None


def minutes_between(start: datetime, end: datetime) -> float:
    """Minutes from start to end."""
    return (end - start).total_seconds() / 60.0


def rounded_minutes(value: float) -> int | None:
    """Whole minutes for display; None for an unbounded wait."""
    return None if value == float("inf") else round(value)
