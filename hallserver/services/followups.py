"""差评整改: every 不满意 / 非常不满意 opens a rectification case with working-day deadlines
(callback 回访, answer); managers are alerted; callback, rectification and appeal (申诉复核)
records keep who and when; the case closes with the citizen's answer."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from devices.protocol.ratings import level_name, reason
from hallserver.config.models import HallConfig
from hallserver.domain import ratings as rules
from hallserver.domain.errors import Conflict, InvalidRequest, NotFound
from hallserver.domain.privacy import mask_personal
from hallserver.services.alerts import AlertService
from hallserver.services.hall import HallContext
from hallserver.services.records import take_number
from hallserver.services.views import Principal, View
from hallserver.store.models import (
    FollowUpEventRow,
    FollowUpRow,
    RatingRow,
)

logger = logging.getLogger(__name__)

FOLLOWUP_COUNTER = "#followup"
CitizenAnswer = Literal["satisfied", "accepted", "unsatisfied", "unreachable"]


class FollowUpActionRequest(BaseModel):
    """A record on a rectification case."""

    model_config = ConfigDict(extra="forbid")
    action: rules.FollowUpAction
    note: str = Field(min_length=1, max_length=1000,
                      description="what was done or said (personal data is masked)")
    citizen_answer: CitizenAnswer | None = Field(
        default=None, description="with callback / close: the citizen's answer")


class FollowUpEventView(View):
    """One record of the audit trail."""

    at: datetime
    action: str
    actor: str
    note: str | None
    citizen_answer: str | None


class FollowUpView(View):
    """A rectification case as managers see it (no citizen identity)."""

    id: int
    case_no: str
    window: int
    staff_id: str | None
    level: int
    level_name: str
    reasons: list[str]
    reason_names: list[str]
    status: str
    opened_at: datetime
    callback_by: date
    answer_by: date
    overdue: bool
    callback_overdue: bool
    closed_at: datetime | None
    citizen_answer: str | None
    events: list[FollowUpEventView] = Field(default_factory=list)


class FollowUpService:
    """Open, record and close 差评整改 cases."""

    def __init__(self, ctx: HallContext, alerts: AlertService) -> None:
        self.ctx = ctx
        self.alerts = alerts

    def open(self, session: Session, cfg: HallConfig, rating: RatingRow,
             now: datetime) -> FollowUpRow:
        """Open the case of a bad rating (in the rating's transaction) and alert managers."""
        calendar = self.ctx.calendar(cfg)
        day = calendar.service_day(now)
        seq = take_number(session, self.ctx.hall_id, FOLLOWUP_COUNTER, day, 9999, "整改",
                          "follow-ups")
        due = rules.deadlines(calendar, now, cfg.ratings)
        if due.beyond_calendar:
            logger.warning("follow-up deadline %s is beyond the holiday calendar (until %s): "
                           "update the calendar file", due.answer_by,
                           calendar.days.covers_until)
        row = FollowUpRow(
            hall_id=self.ctx.hall_id, case_no=f"ZG-{day:%Y%m%d}-{seq:04d}",
            rating_id=rating.id, window=rating.window, staff_id=rating.staff_id,
            level=rating.level, reasons=list(rating.reasons),
            status=rules.FollowUpStatus.OPEN.value, opened_at=now,
            callback_by=due.callback_by, answer_by=due.answer_by, closed_at=None,
            citizen_answer=None)
        session.add(row)
        session.flush()
        session.add(FollowUpEventRow(followup_id=row.id, at=now, action="opened",
                                     actor="system", note=f"{level_name(rating.level).zh} "
                                     f"rating; answer due {due.answer_by}",
                                     citizen_answer=None))
        reasons = "、".join(reason(r).zh for r in rating.reasons) or "未选原因"
        self.alerts.raise_(
            session, kind="bad-rating", ref=row.case_no, level="alarm",
            message=f"{rating.window}号窗口收到差评（{level_name(rating.level).zh}：{reasons}），"
            f"整改单 {row.case_no}，{due.answer_by:%m月%d日}前答复",
            message_en=f"bad rating at window {rating.window} ({level_name(rating.level).en}); "
            f"case {row.case_no}, answer due {due.answer_by}", at=now)
        return row

    def record(self, case_no: str, req: FollowUpActionRequest, user: Principal) -> FollowUpView:
        """Record a callback, a rectification, an appeal or its review, or close the case."""
        now = self.ctx.clock()
        with self.ctx.db.write() as session:
            row = self._row(session, case_no)
            status = rules.FollowUpStatus(row.status)
            action = req.action
            if action in {rules.FollowUpAction.APPEAL_UPHELD,
                          rules.FollowUpAction.APPEAL_REJECTED,
                          rules.FollowUpAction.CLOSE} and user.role not in {"manager", "admin"}:
                raise Conflict("复核与结案须由大厅管理人员办理",
                               "only a hall manager reviews an appeal or closes a case")
            if action is rules.FollowUpAction.CALLBACK and req.citizen_answer is None:
                raise InvalidRequest("回访须记录群众的答复", "a callback records the citizen's "
                                     "answer (or unreachable)")
            called_back = self._called_back(session, row)
            try:
                new = rules.follow_up(status, action, callback_done=called_back)
            except rules.FollowUpRefused as exc:
                raise Conflict(f"当前状态不能办理该操作：{exc}", str(exc)) from None
            row.status = new.value
            answer: str | None = req.citizen_answer
            if action is rules.FollowUpAction.CLOSE:
                answer = answer or row.citizen_answer
                row.closed_at, row.citizen_answer = now, answer
            elif action is rules.FollowUpAction.CALLBACK:
                row.citizen_answer = answer
            elif action is rules.FollowUpAction.APPEAL_UPHELD:
                row.closed_at = now
                rating = session.get(RatingRow, row.rating_id)
                assert rating is not None
                rating.excluded = True  # kept on record, out of the scores
            session.add(FollowUpEventRow(followup_id=row.id, at=now, action=action.value,
                                         actor=user.username, note=mask_personal(req.note),
                                         citizen_answer=answer))
            session.flush()
            return self._view(session, row, with_events=True)

    def get(self, case_no: str) -> FollowUpView:
        """One case with its audit trail."""
        with self.ctx.db.read() as session:
            return self._view(session, self._row(session, case_no), with_events=True)

    def list(self, *, open_only: bool = False, overdue_only: bool = False,
             window: int | None = None) -> list[FollowUpView]:
        """Cases, overdue first, then by answer date."""
        with self.ctx.db.read() as session:
            stmt = select(FollowUpRow).where(FollowUpRow.hall_id == self.ctx.hall_id)
            if open_only or overdue_only:
                stmt = stmt.where(FollowUpRow.status != rules.FollowUpStatus.CLOSED.value)
            if window is not None:
                stmt = stmt.where(FollowUpRow.window == window)
            views = [self._view(session, r) for r in session.scalars(stmt)]
        if overdue_only:
            views = [v for v in views if v.overdue]
        return sorted(views, key=lambda v: (not v.overdue, v.answer_by, v.id))

    def alert_overdue(self) -> int:
        """Raise an alert for every open case past its answer date (once per case)."""
        raised = 0
        now = self.ctx.clock()
        with self.ctx.db.write() as session:
            for v in (self._view(session, r) for r in session.scalars(select(FollowUpRow).where(
                    FollowUpRow.hall_id == self.ctx.hall_id,
                    FollowUpRow.status != rules.FollowUpStatus.CLOSED.value))):
                if v.overdue:
                    self.alerts.raise_(
                        session, kind="followup-overdue", ref=v.case_no, level="alarm",
                        message=f"整改单 {v.case_no} 已超期（应于{v.answer_by:%m月%d日}前答复）",
                        message_en=f"follow-up {v.case_no} is overdue (due {v.answer_by})",
                        at=now)
                    raised += 1
        return raised

    # ---- plumbing ---------------------------------------------------------------------------

    def _row(self, session: Session, case_no: str) -> FollowUpRow:
        row = session.scalar(select(FollowUpRow).where(FollowUpRow.hall_id == self.ctx.hall_id,
                                                       FollowUpRow.case_no == case_no))
        if row is None:
            raise NotFound("没有这个整改单", "no such follow-up case")
        return row

    @staticmethod
    def _called_back(session: Session, row: FollowUpRow) -> bool:
        return session.scalar(select(FollowUpEventRow.id).where(
            FollowUpEventRow.followup_id == row.id,
            FollowUpEventRow.action == rules.FollowUpAction.CALLBACK.value).limit(1)) is not None

    def _view(self, session: Session, row: FollowUpRow, *,
              with_events: bool = False) -> FollowUpView:
        cfg = self.ctx.layout.current(session)
        today = self.ctx.today(cfg)
        status = rules.FollowUpStatus(row.status)
        events = []
        if with_events:
            events = [FollowUpEventView.model_validate(e) for e in session.scalars(
                select(FollowUpEventRow).where(FollowUpEventRow.followup_id == row.id)
                .order_by(FollowUpEventRow.at, FollowUpEventRow.id))]
        names = []
        for code in row.reasons:
            try:
                names.append(reason(code).zh)
            except KeyError:
                names.append(code)
        return FollowUpView(
            id=row.id, case_no=row.case_no, window=row.window, staff_id=row.staff_id,
            level=row.level, level_name=level_name(row.level).zh, reasons=list(row.reasons),
            reason_names=names, status=row.status, opened_at=row.opened_at,
            callback_by=row.callback_by, answer_by=row.answer_by,
            overdue=rules.overdue(row.answer_by, today, status),
            callback_overdue=(status is rules.FollowUpStatus.OPEN and today > row.callback_by),
            closed_at=row.closed_at, citizen_answer=row.citizen_answer, events=events)
