"""好差评 rules: when a rating counts, what is flagged for review, when the default applies,
and the 差评整改 (rectification) case's life.

One rating per transaction: the server arms the window's pad after each completed ticket
with a single-use token bound to (ticket, window, expiry). A rating is accepted only for a
known, unused, unexpired token of the pad's own window (the window comes from the pad's
authenticated topic, never from the payload). Suspicious ratings are accepted *and*
flagged for a manager's review, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from devices.protocol.ratings import BAD_LEVELS, REASON_CODES
from hallserver.config.models import RatingsConfig
from hallserver.domain.calendar import HallCalendar

TOP_LEVEL = 5


class Refusal(StrEnum):
    """Why a rating is refused (also the code in the pad's `rating-ack`)."""

    UNKNOWN_TOKEN = "unknown-token"  # noqa: S105 (a code, not a secret); never armed (forged, or no completed ticket)
    EXPIRED = "expired"
    USED = "used"  # replayed: the transaction already has its rating
    WRONG_WINDOW = "wrong-window"  # another window's token
    UNKNOWN_REASON = "unknown-reason"
    NOT_COMPLETED = "not-completed"  # the armed ticket is not (or no longer) completed


class Flag(StrEnum):
    """Why an accepted rating (or a member of staff) needs a manager's review."""

    FAST = "fast"  # rated within `fast_rating_ms` of arming
    BURST = "burst"  # many rating messages from one pad in a short time
    UNIFORM = "uniform"  # a member of staff always rated 非常满意


@dataclass(frozen=True)
class Arm:
    """A pad armed for one transaction."""

    token: str
    ticket_id: int
    window: int
    armed_at: datetime
    expires_at: datetime
    used: bool = False


def judge(arm: Arm | None, *, pad_window: int, level: int, reasons: Sequence[str],
          now: datetime, ticket_completed: bool) -> Refusal | None:
    """None when the rating counts; otherwise why it is refused. Order matters: a replay of
    a used token says `used` even after it expired, so the pad shows the right notice."""
    if not 1 <= level <= TOP_LEVEL:
        raise ValueError(f"level {level} outside 1..5 (the protocol model refuses it)")
    if arm is None:
        return Refusal.UNKNOWN_TOKEN
    if arm.window != pad_window:
        return Refusal.WRONG_WINDOW
    if arm.used:
        return Refusal.USED
    if now > arm.expires_at:
        return Refusal.EXPIRED
    if not ticket_completed:
        return Refusal.NOT_COMPLETED
    if any(r not in REASON_CODES for r in reasons):
        return Refusal.UNKNOWN_REASON
    return None


def is_bad(level: int) -> bool:
    """不满意 and 非常不满意 open a rectification case."""
    return level in BAD_LEVELS


def flags_of(arm: Arm, *, received_at: datetime, recent_from_pad: int,
             rules: RatingsConfig) -> list[Flag]:
    """Review flags of one accepted rating; `recent_from_pad` counts the pad's rating
    messages (this one included) within `burst_window_s`."""
    flags = []
    if received_at - arm.armed_at < timedelta(milliseconds=rules.fast_rating_ms):
        flags.append(Flag.FAST)
    if recent_from_pad >= rules.burst_count:
        flags.append(Flag.BURST)
    return flags


def uniform(levels: Sequence[int], rules: RatingsConfig) -> bool:
    """A member of staff rated 非常满意 every single time over many ratings (no variance)."""
    return len(levels) >= rules.uniform_min_ratings and all(x == TOP_LEVEL for x in levels)


def default_due(completed_at: datetime, now: datetime, rules: RatingsConfig) -> bool:
    """Whether an unrated transaction gets the provincial default level now."""
    if rules.default_level is None:
        return False
    return now >= completed_at + timedelta(days=rules.default_after_days)


# ---- 差评整改: the rectification case ----------------------------------------------------

class FollowUpStatus(StrEnum):
    """Life of a rectification case."""

    OPEN = "open"  # waiting for the callback (回访)
    CALLED_BACK = "called_back"
    RECTIFYING = "rectifying"  # a rectification (整改) is recorded
    APPEALED = "appealed"  # staff appealed (申诉), waiting for the review (复核)
    CLOSED = "closed"


class FollowUpAction(StrEnum):
    """What can be recorded on a rectification case."""

    CALLBACK = "callback"
    RECTIFY = "rectify"
    APPEAL = "appeal"
    APPEAL_UPHELD = "appeal_upheld"  # the rating was unfounded: excluded from the scores
    APPEAL_REJECTED = "appeal_rejected"
    CLOSE = "close"


# Which actions each status allows; closing needs the citizen's answer (or the review).
_ALLOWED: dict[FollowUpStatus, frozenset[FollowUpAction]] = {
    FollowUpStatus.OPEN: frozenset({FollowUpAction.CALLBACK, FollowUpAction.RECTIFY,
                                    FollowUpAction.APPEAL}),
    FollowUpStatus.CALLED_BACK: frozenset({FollowUpAction.CALLBACK, FollowUpAction.RECTIFY,
                                           FollowUpAction.APPEAL, FollowUpAction.CLOSE}),
    FollowUpStatus.RECTIFYING: frozenset({FollowUpAction.CALLBACK, FollowUpAction.RECTIFY,
                                          FollowUpAction.CLOSE}),
    FollowUpStatus.APPEALED: frozenset({FollowUpAction.APPEAL_UPHELD,
                                        FollowUpAction.APPEAL_REJECTED}),
    FollowUpStatus.CLOSED: frozenset(),
}
_NEXT: dict[FollowUpAction, FollowUpStatus | None] = {
    FollowUpAction.CALLBACK: None,  # keeps RECTIFYING; OPEN becomes CALLED_BACK
    FollowUpAction.RECTIFY: FollowUpStatus.RECTIFYING,
    FollowUpAction.APPEAL: FollowUpStatus.APPEALED,
    FollowUpAction.APPEAL_UPHELD: FollowUpStatus.CLOSED,
    FollowUpAction.APPEAL_REJECTED: FollowUpStatus.RECTIFYING,
    FollowUpAction.CLOSE: FollowUpStatus.CLOSED,
}


class FollowUpRefused(ValueError):
    """An action the case's status does not allow."""


def follow_up(status: FollowUpStatus, action: FollowUpAction, *,
              callback_done: bool) -> FollowUpStatus:
    """The status after an action; raises FollowUpRefused when not allowed. A case closes
    only after a callback recorded the citizen's answer (or an upheld appeal)."""
    if action not in _ALLOWED[status]:
        raise FollowUpRefused(f"{action.value} is not allowed while the case is {status.value}")
    if action is FollowUpAction.CLOSE and not callback_done:
        raise FollowUpRefused("record the callback (回访) and the citizen's answer first")
    nxt = _NEXT[action]
    if nxt is None:
        return FollowUpStatus.CALLED_BACK if status is FollowUpStatus.OPEN else status
    return nxt


@dataclass(frozen=True)
class Deadlines:
    """When a rectification case's callback and answer are due (local service days)."""

    callback_by: date
    answer_by: date
    beyond_calendar: bool  # the holiday calendar does not cover the answer date


def deadlines(calendar: HallCalendar, opened_at: datetime, rules: RatingsConfig) -> Deadlines:
    """Working-day deadlines counted from the service day the case opened."""
    day = calendar.service_day(opened_at)
    answer_by = calendar.add_working_days(day, rules.followup_working_days)
    return Deadlines(callback_by=calendar.add_working_days(day, rules.callback_working_days),
                     answer_by=answer_by, beyond_calendar=calendar.provisional(answer_by))


def overdue(answer_by: date, today: date, status: FollowUpStatus) -> bool:
    """An open case past its answer date."""
    return status is not FollowUpStatus.CLOSED and today > answer_by
