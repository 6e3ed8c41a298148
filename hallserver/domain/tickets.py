"""The ticket (排队号) and its lifecycle.

waiting -> called -> serving -> done | no_show | cancelled, with recall (called -> called),
requeue (called -> waiting, the window gave it back), rejoin (no_show -> waiting within the
grace period, at the back of the queue) and transfer (called/serving -> waiting in another
category, keeping the original issue time: 一票到底).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from hallserver.domain.errors import IllegalTransition


class TicketState(StrEnum):
    """Lifecycle states of a ticket."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({TicketState.DONE, TicketState.CANCELLED})
AT_WINDOW_STATES = frozenset({TicketState.CALLED, TicketState.SERVING})


class Outcome(StrEnum):
    """How the service at the window ended."""

    COMPLETED = "completed"  # 办结: done on the spot
    ACCEPTED = "accepted"  # 受理: application accepted, a case with a receipt follows
    RETURNED = "returned"  # 退回补正: materials incomplete, citizen told what to bring


@dataclass(slots=True)
class Ticket:
    """A queue ticket. Mutated only through its transition methods."""

    number: str
    category: str
    service_day: date
    issued_at: datetime
    queued_at: datetime  # anchor of the routing age; issue time unless rejoined
    id: int | None = None
    state: TicketState = TicketState.WAITING
    priority: bool = False  # 绿色通道: elderly, disabled, pregnant ...
    appointment_at: datetime | None = None  # slot start of a checked-in appointment
    item_code: str | None = None
    expected_minutes: float | None = None
    window: int | None = None  # window now (or last) handling the ticket
    target_window: int | None = None  # set by a transfer to a specific window
    called_at: datetime | None = None
    # the first call of the ticket's life: kept through a requeue, transfer or 过号 rejoin
    # (which clear `called_at`); "called within 20 minutes" counts from it everywhere
    first_called_at: datetime | None = None
    serving_at: datetime | None = None
    finished_at: datetime | None = None
    recalls: int = 0
    outcome: Outcome | None = None

    def _require(self, action: str, *allowed: TicketState) -> None:
        if self.state not in allowed:
            raise IllegalTransition(f"{self.number}号", self.state.value, action,
                                    subject_en=f"ticket {self.number}")

    def call(self, window: int, now: datetime) -> None:
        """A window calls the ticket."""
        self._require("call", TicketState.WAITING)
        if self.target_window is not None and self.target_window != window:
            raise IllegalTransition(
                f"{self.number}号", f"reserved for window {self.target_window}", "call",
                state_zh=f"已转给{self.target_window}号窗口", subject_en=f"ticket {self.number}",
            )
        self.state = TicketState.CALLED
        self.window = window
        self.called_at = now
        if self.first_called_at is None:
            self.first_called_at = now
        self.recalls = 0

    def recall(self, now: datetime) -> None:
        """Call the same ticket again (重呼); `called_at` keeps the first call (the audit
        events keep every recall), so the measured wait is not inflated."""
        self._require("recall", TicketState.CALLED)
        del now  # the time of a recall lives in its audit event
        self.recalls += 1

    def start(self, now: datetime) -> None:
        """The citizen arrived at the window: service starts."""
        self._require("start", TicketState.CALLED)
        self.state = TicketState.SERVING
        self.serving_at = now

    def complete(self, now: datetime, outcome: Outcome = Outcome.COMPLETED) -> None:
        """Service finished with an outcome."""
        self._require("complete", TicketState.SERVING)
        self.state = TicketState.DONE
        self.finished_at = now
        self.outcome = outcome

    def no_show(self, now: datetime) -> None:
        """The citizen did not come after being called (过号)."""
        self._require("no-show", TicketState.CALLED)
        self.state = TicketState.NO_SHOW
        self.finished_at = now

    def rejoin(self, now: datetime, grace: timedelta) -> None:
        """A no-show returns within the grace period and queues again at the back."""
        self._require("rejoin", TicketState.NO_SHOW)
        assert self.finished_at is not None
        if now - self.finished_at > grace:
            minutes = int(grace.total_seconds() // 60)
            raise IllegalTransition(
                f"{self.number}号", f"no_show for more than {minutes} min", "rejoin",
                state_zh=f"过号已超过{minutes}分钟", subject_en=f"ticket {self.number}",
            )
        self._back_to_queue(queued_at=now)

    def requeue(self) -> None:
        """The window gives a called ticket back (staff signed out); it keeps its place."""
        self._require("requeue", TicketState.CALLED)
        self._back_to_queue(queued_at=self.queued_at)

    def transfer(self, category: str, target_window: int | None = None) -> None:
        """Move to another category (and optionally a window), keeping the issue time."""
        self._require("transfer", TicketState.CALLED, TicketState.SERVING)
        self.category = category
        self._back_to_queue(queued_at=self.issued_at)
        self.target_window = target_window

    def cancel(self, now: datetime) -> None:
        """The citizen gives up, or the hall closes with the ticket still open."""
        self._require("cancel", TicketState.WAITING, TicketState.CALLED, TicketState.NO_SHOW)
        self.state = TicketState.CANCELLED
        self.finished_at = now

    def _back_to_queue(self, queued_at: datetime) -> None:
        self.state = TicketState.WAITING
        self.queued_at = queued_at
        self.window = None
        self.target_window = None
        self.called_at = None
        self.serving_at = None
        self.finished_at = None
        self.recalls = 0

    def wait_minutes(self, now: datetime) -> float:
        """Minutes since the ticket joined its queue."""
        return (now - self.queued_at).total_seconds() / 60.0
