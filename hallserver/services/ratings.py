"""好差评 use cases: arm the window's pad after a completion, accept or refuse ratings,
flag suspicious patterns for review, apply the provincial default to unrated transactions.

A rating is stored once per transaction (UNIQUE ticket) in the same transaction as the
pad message's id, so a redelivered message gets the same answer and changes nothing.
Managers see ratings per window and member of staff, never per ticket or citizen."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from devices.protocol.ratings import level_name
from hallserver.config.models import HallConfig
from hallserver.domain import ratings as rules
from hallserver.domain.errors import NotFound
from hallserver.domain.privacy import mask_personal
from hallserver.domain.tickets import TicketState
from hallserver.services.alerts import AlertService
from hallserver.services.followups import FollowUpService
from hallserver.services.hall import HallChange, HallContext
from hallserver.services.records import add_event
from hallserver.services.views import View
from hallserver.store.models import (
    RatingArmRow,
    RatingRefusalRow,
    RatingReviewRow,
    RatingRow,
    TicketRow,
)

logger = logging.getLogger(__name__)

DEFAULT_HORIZON_DAYS = 31  # unrated transactions older than this are left alone


@dataclass(frozen=True)
class RateResult:
    """What became of a rating message."""

    accepted: bool
    code: str | None = None  # the refusal, for the pad's ack and the counters
    rating_id: int | None = None
    flags: tuple[str, ...] = ()
    followup: str | None = None  # case number of the 差评整改 case it opened


@dataclass(frozen=True)
class ArmInfo:
    """An armed token and what the pad shows with it."""

    token: str
    ticket_id: int
    number: str
    window: int
    category: str
    staff_id: str | None
    expires_at: datetime


class RatingView(View):
    """A rating as managers see it: window and staff, never the ticket or the citizen."""

    id: int
    service_day: date
    window: int
    staff_id: str | None
    category: str
    level: int
    level_name: str
    reasons: list[str]
    source: str
    rated_at: datetime
    flags: list[str]
    excluded: bool


class ReviewView(View):
    """A suspicious pattern waiting for (or given) a manager's decision."""

    id: int
    kind: str
    rating_id: int | None
    staff_id: str | None
    window: int | None
    detail: str
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


class RatingSummary(View):
    """Counts for a period: satisfaction rate and refusals by code."""

    ratings: int
    by_level: dict[int, int]
    satisfaction_rate: float | None  # share of levels 3-5 among counted ratings
    defaults: int
    refusals: dict[str, int]
    open_reviews: int


class RatingService:
    """The rating rules of one hall."""

    def __init__(self, ctx: HallContext, followups: FollowUpService,
                 alerts: AlertService) -> None:
        self.ctx = ctx
        self.followups = followups
        self.alerts = alerts

    # ---- arming ---------------------------------------------------------------------------

    def arm(self, session: Session, cfg: HallConfig, ticket: TicketRow, *, window: int,
            staff_id: str | None, now: datetime) -> str:
        """Bind a fresh single-use token to a completed ticket (in the completing
        transaction); the pad hears of it after the commit."""
        token = secrets.token_urlsafe(18)
        session.add(RatingArmRow(
            token=token, hall_id=self.ctx.hall_id, ticket_id=ticket.id, window=window,
            staff_id=staff_id, armed_at=now,
            expires_at=now + timedelta(seconds=cfg.ratings.token_ttl_s), used_at=None))
        self.ctx.changed(HallChange("arm", window=window, number=ticket.number,
                                    ticket_id=ticket.id, token=token))
        return token

    def arm_info(self, token: str) -> ArmInfo | None:
        """An armed token with its ticket (None when unknown)."""
        with self.ctx.db.read() as session:
            return self._arm_info(session, session.get(RatingArmRow, token))

    def live_arm(self, window: int) -> ArmInfo | None:
        """The window's newest unused, unexpired arm (re-sent to a pad that reconnects)."""
        now = self.ctx.clock()
        with self.ctx.db.read() as session:
            row = session.scalar(select(RatingArmRow).where(
                RatingArmRow.hall_id == self.ctx.hall_id, RatingArmRow.window == window,
                RatingArmRow.used_at.is_(None), RatingArmRow.expires_at > now,
            ).order_by(RatingArmRow.armed_at.desc()).limit(1))
            return self._arm_info(session, row)

    @staticmethod
    def _arm_info(session: Session, row: RatingArmRow | None) -> ArmInfo | None:
        if row is None:
            return None
        ticket = session.get(TicketRow, row.ticket_id)
        assert ticket is not None
        return ArmInfo(token=row.token, ticket_id=row.ticket_id, number=ticket.number,
                       window=row.window, category=ticket.category, staff_id=row.staff_id,
                       expires_at=row.expires_at)

    # ---- rating ---------------------------------------------------------------------------

    def rate(self, session: Session, *, pad_id: str, pad_window: int | None, token: str,
             level: int, reasons: Sequence[str], comment: str | None) -> RateResult:
        """Apply one rating message in the caller's transaction (which also holds the
        message id): accept it once or refuse it with a counted code."""
        cfg = self.ctx.layout.current(session)
        now = self.ctx.clock()
        row = session.get(RatingArmRow, token)
        if row is not None and row.hall_id != self.ctx.hall_id:
            row = None
        ticket = session.get(TicketRow, row.ticket_id) if row is not None else None
        arm = None if row is None else rules.Arm(
            token=row.token, ticket_id=row.ticket_id, window=row.window,
            armed_at=row.armed_at, expires_at=row.expires_at, used=row.used_at is not None)
        refusal = rules.judge(arm, pad_window=-1 if pad_window is None else pad_window,
                              level=level, reasons=reasons, now=now,
                              ticket_completed=ticket is not None
                              and ticket.state == TicketState.DONE.value)
        recent = self._recent_from_pad(session, pad_id, now, cfg.ratings.burst_window_s) + 1
        if refusal is not None:
            session.add(RatingRefusalRow(hall_id=self.ctx.hall_id, pad_id=pad_id,
                                         window=pad_window, code=refusal.value, at=now))
            logger.info("rating from %s refused: %s", pad_id, refusal.value)
            if recent >= cfg.ratings.burst_count:
                self._review(session, kind=rules.Flag.BURST.value,
                             subject=f"{pad_id}:{now:%Y%m%d%H%M}", window=pad_window, at=now,
                             detail=f"{recent} rating messages from {pad_id} within "
                             f"{cfg.ratings.burst_window_s}s")
            return RateResult(accepted=False, code=refusal.value)
        assert row is not None
        assert arm is not None
        assert ticket is not None
        row.used_at = now
        flags = rules.flags_of(arm, received_at=now, recent_from_pad=recent,
                               rules=cfg.ratings)
        rating = RatingRow(
            hall_id=self.ctx.hall_id, ticket_id=ticket.id, service_day=ticket.service_day,
            window=row.window, staff_id=row.staff_id, category=ticket.category,
            item_code=ticket.item_code, level=level, reasons=list(dict.fromkeys(reasons)),
            comment=mask_personal(comment)[:200] if comment else None, source="pad",
            pad_id=pad_id, rated_at=now, flags=[f.value for f in flags], excluded=False)
        session.add(rating)
        session.flush()
        for flag in flags:
            self._review(session, kind=flag.value, subject=str(rating.id), rating=rating,
                         at=now, detail=self._flag_detail(flag, arm, now, recent))
        if level == rules.TOP_LEVEL and row.staff_id:
            self._check_uniform(session, cfg, row.staff_id, now)
        followup = None
        if rules.is_bad(level):
            followup = self.followups.open(session, cfg, rating, now).case_no
        self.ctx.changed(HallChange("rating", window=row.window))
        logger.info("rating %s at window %d accepted%s", level_name(level).en, row.window,
                    f" (flags {','.join(f.value for f in flags)})" if flags else "")
        return RateResult(accepted=True, rating_id=rating.id,
                          flags=tuple(f.value for f in flags), followup=followup)

    def refuse_unparsed(self, pad_id: str, pad_window: int | None, code: str) -> None:
        """Count a rating message the protocol refused before the rules saw it."""
        with self.ctx.db.write() as session:
            session.add(RatingRefusalRow(hall_id=self.ctx.hall_id, pad_id=pad_id,
                                         window=pad_window, code=code[:32],
                                         at=self.ctx.clock()))

    def _recent_from_pad(self, session: Session, pad_id: str, now: datetime,
                         window_s: int) -> int:
        since = now - timedelta(seconds=window_s)
        rated = session.scalar(select(func.count()).select_from(RatingRow).where(
            RatingRow.hall_id == self.ctx.hall_id, RatingRow.pad_id == pad_id,
            RatingRow.rated_at >= since)) or 0
        refused = session.scalar(select(func.count()).select_from(RatingRefusalRow).where(
            RatingRefusalRow.hall_id == self.ctx.hall_id, RatingRefusalRow.pad_id == pad_id,
            RatingRefusalRow.at >= since)) or 0
        return int(rated) + int(refused)

    @staticmethod
    def _flag_detail(flag: rules.Flag, arm: rules.Arm, now: datetime, recent: int) -> str:
        if flag is rules.Flag.FAST:
            ms = (now - arm.armed_at).total_seconds() * 1000
            return f"rated {ms:.0f} ms after the pad was armed"
        return f"{recent} rating messages from the pad in a short time"

    def _check_uniform(self, session: Session, cfg: HallConfig, staff_id: str,
                       now: datetime) -> None:
        day = self.ctx.calendar(cfg).service_day(now)
        month_start = day.replace(day=1)
        levels = list(session.scalars(select(RatingRow.level).where(
            RatingRow.hall_id == self.ctx.hall_id, RatingRow.staff_id == staff_id,
            RatingRow.source == "pad", RatingRow.service_day >= month_start)))
        if rules.uniform(levels, cfg.ratings):
            self._review(session, kind=rules.Flag.UNIFORM.value,
                         subject=f"{staff_id}:{month_start:%Y-%m}", staff_id=staff_id, at=now,
                         detail=f"{len(levels)} ratings this month, every one 非常满意")

    def _review(self, session: Session, *, kind: str, subject: str, at: datetime,
                detail: str, rating: RatingRow | None = None, staff_id: str | None = None,
                window: int | None = None) -> None:
        exists = session.scalar(select(RatingReviewRow.id).where(
            RatingReviewRow.hall_id == self.ctx.hall_id, RatingReviewRow.kind == kind,
            RatingReviewRow.subject == subject))
        if exists is not None:
            return
        session.add(RatingReviewRow(
            hall_id=self.ctx.hall_id, kind=kind, subject=subject,
            rating_id=rating.id if rating else None,
            staff_id=rating.staff_id if rating else staff_id,
            window=rating.window if rating else window, detail=detail, raised_at=at,
            resolved_at=None, resolved_by=None, resolution=None))
        session.flush()
        self.alerts.raise_(session, kind=f"review-{kind}", ref=subject, level="warn",
                           message=f"评价需复核（{kind}）：{detail}",
                           message_en=f"rating review ({kind}): {detail}", at=at)

    # ---- the provincial default -------------------------------------------------------------

    def apply_defaults(self) -> int:
        """Record the configured default level for completed, unrated transactions whose
        rating time has passed (an audited ticket event, source `default`)."""
        now = self.ctx.clock()
        with self.ctx.db.write() as session:
            cfg = self.ctx.layout.current(session)
            if cfg.ratings.default_level is None:
                return 0
            cutoff = now - timedelta(days=cfg.ratings.default_after_days)
            horizon = now.astimezone(UTC).date() - timedelta(days=DEFAULT_HORIZON_DAYS)
            rows = session.scalars(select(TicketRow).where(
                TicketRow.hall_id == self.ctx.hall_id,
                TicketRow.state == TicketState.DONE.value,
                TicketRow.finished_at <= cutoff, TicketRow.service_day >= horizon,
                ~select(RatingRow.id).where(RatingRow.ticket_id == TicketRow.id).exists(),
            ).order_by(TicketRow.id).limit(5000)).all()
            applied = 0
            for t in rows:
                assert t.finished_at is not None
                arm = session.scalar(select(RatingArmRow).where(RatingArmRow.ticket_id == t.id))
                if arm is not None and arm.expires_at > now:
                    continue  # the pad may still be rated
                if not rules.default_due(t.finished_at, now, cfg.ratings):
                    continue
                level = cfg.ratings.default_level
                session.add(RatingRow(
                    hall_id=self.ctx.hall_id, ticket_id=t.id, service_day=t.service_day,
                    window=t.window or 0, staff_id=t.staff_id, category=t.category,
                    item_code=t.item_code, level=level, reasons=[], comment=None,
                    source="default", pad_id=None, rated_at=now, flags=[], excluded=False))
                add_event(session, t, action="default_rating", from_state=t.state, at=now,
                          actor="system",
                          detail=f"no rating within {cfg.ratings.default_after_days} days: "
                          f"{level} {level_name(level).zh} by the provincial default")
                applied += 1
        if applied:
            logger.info("default rating applied to %d transactions", applied)
        return applied

    # ---- manager views ------------------------------------------------------------------------

    def ratings(self, *, day_from: date | None = None, day_to: date | None = None,
             window: int | None = None, staff_id: str | None = None,
             limit: int = 500) -> list[RatingView]:
        """Ratings, newest first, filtered by day, window or member of staff."""
        with self.ctx.db.read() as session:
            stmt = select(RatingRow).where(RatingRow.hall_id == self.ctx.hall_id)
            if day_from:
                stmt = stmt.where(RatingRow.service_day >= day_from)
            if day_to:
                stmt = stmt.where(RatingRow.service_day <= day_to)
            if window is not None:
                stmt = stmt.where(RatingRow.window == window)
            if staff_id:
                stmt = stmt.where(RatingRow.staff_id == staff_id)
            rows = session.scalars(stmt.order_by(RatingRow.rated_at.desc(),
                                                 RatingRow.id.desc()).limit(limit))
            return [RatingView(id=r.id, service_day=r.service_day, window=r.window,
                               staff_id=r.staff_id, category=r.category, level=r.level,
                               level_name=level_name(r.level).zh, reasons=list(r.reasons),
                               source=r.source, rated_at=r.rated_at, flags=list(r.flags),
                               excluded=r.excluded) for r in rows]

    def summary(self, day_from: date, day_to: date) -> RatingSummary:
        """Satisfaction (levels 3-5 among counted ratings) and refusals in a period."""
        with self.ctx.db.read() as session:
            calendar = self.ctx.calendar(self.ctx.layout.current(session))
            start = datetime.combine(day_from, time.min, calendar.tz)
            end = datetime.combine(day_to + timedelta(days=1), time.min, calendar.tz)
            rows = session.execute(select(RatingRow.level, RatingRow.source, RatingRow.excluded)
                                   .where(RatingRow.hall_id == self.ctx.hall_id,
                                          RatingRow.service_day >= day_from,
                                          RatingRow.service_day <= day_to)).all()
            counted = [r.level for r in rows if not r.excluded]
            by_level = {lv: counted.count(lv) for lv in range(5, 0, -1)}
            refusals = dict(session.execute(
                select(RatingRefusalRow.code, func.count()).where(
                    RatingRefusalRow.hall_id == self.ctx.hall_id, RatingRefusalRow.at >= start,
                    RatingRefusalRow.at < end)
                .group_by(RatingRefusalRow.code)).all())
            open_reviews = session.scalar(select(func.count()).select_from(RatingReviewRow)
                                          .where(RatingReviewRow.hall_id == self.ctx.hall_id,
                                                 RatingReviewRow.resolved_at.is_(None))) or 0
        good = sum(1 for lv in counted if lv >= 3)
        return RatingSummary(
            ratings=len(rows), by_level=by_level,
            satisfaction_rate=round(good / len(counted), 4) if counted else None,
            defaults=sum(1 for r in rows if r.source == "default"),
            refusals={str(k): int(v) for k, v in refusals.items()},
            open_reviews=int(open_reviews))

    def reviews(self, *, open_only: bool = True) -> list[ReviewView]:
        """Suspicious patterns, newest first."""
        with self.ctx.db.read() as session:
            stmt = select(RatingReviewRow).where(RatingReviewRow.hall_id == self.ctx.hall_id)
            if open_only:
                stmt = stmt.where(RatingReviewRow.resolved_at.is_(None))
            rows = session.scalars(stmt.order_by(RatingReviewRow.raised_at.desc()))
            return [ReviewView.model_validate(r) for r in rows]

    def resolve_review(self, review_id: int, actor: str, resolution: str,
                       exclude: bool) -> ReviewView:
        """A manager's decision on a flagged pattern; `exclude` takes the rating out of the
        scores (kept on record)."""
        with self.ctx.db.write() as session:
            row = session.get(RatingReviewRow, review_id)
            if row is None or row.hall_id != self.ctx.hall_id:
                raise NotFound("没有这条复核", "no such review")
            row.resolved_at, row.resolved_by = self.ctx.clock(), actor
            row.resolution = mask_personal(resolution)[:500]
            if exclude and row.rating_id is not None:
                rating = session.get(RatingRow, row.rating_id)
                assert rating is not None
                rating.excluded = True
            return ReviewView.model_validate(row)
