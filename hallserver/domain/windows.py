"""A window's working state: who is signed in (A/B角) and whether it takes calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hallserver.config.models import HallConfig, StaffRole
from hallserver.domain.errors import Conflict, IllegalTransition, InvalidRequest, NotAllowed


class WindowStatus(StrEnum):
    """open: takes calls; paused: short break with a reason; away: staff stepped out
    (离岗); closed: nobody signed in."""

    OPEN = "open"
    PAUSED = "paused"
    AWAY = "away"
    CLOSED = "closed"


class PauseCode(StrEnum):
    """Why a window pauses, in words fit for the public (the LED, anonymous views); the
    staff member's own text is for staff and managers only."""

    CONSULT = "consult"
    SYSTEM = "system"
    MATERIALS = "materials"
    MEETING = "meeting"
    BREAK = "break"
    OTHER = "other"  # the public sees only 暂停服务


PAUSE_WORDS: dict[PauseCode, tuple[str, str]] = {
    PauseCode.CONSULT: ("业务咨询", "Answering an enquiry"),
    PauseCode.SYSTEM: ("系统故障", "System fault"),
    PauseCode.MATERIALS: ("整理材料", "Sorting documents"),
    PauseCode.MEETING: ("会议或培训", "Meeting or training"),
    PauseCode.BREAK: ("临时休息", "Short break"),
}


def public_pause_note(code: PauseCode | None) -> tuple[str, str]:
    """What a public display says of a paused window: 暂停服务, with the code's words."""
    words = PAUSE_WORDS.get(code) if code is not None else None
    if words is None:
        return "暂停服务", "Paused"
    return f"暂停服务：{words[0]}", f"Paused: {words[1]}"


class WindowFlag(StrEnum):
    """Conditions a manager should see."""

    UNSTAFFED = "unstaffed"  # opening hours and nobody signed in (A/B角 gap)
    PAUSED_IN_HOURS = "paused_in_hours"


@dataclass(slots=True)
class WindowState:
    """Mutable working state of one window; transitions validate themselves."""

    number: int
    status: WindowStatus = WindowStatus.CLOSED
    pause_reason: str | None = None
    pause_code: PauseCode | None = None
    staff_id: str | None = None
    staff_role: StaffRole | None = None
    signed_in_at: datetime | None = None
    current_ticket: int | None = None  # ticket id now called or served here
    idle_since: datetime | None = None

    def _require(self, action: str, *allowed: WindowStatus) -> None:
        if self.status not in allowed:
            raise IllegalTransition(f"{self.number}号窗口", self.status.value, action,
                                    subject_en=f"window {self.number}")

    def sign_in(self, staff_id: str, role: StaffRole, now: datetime, layout: HallConfig) -> None:
        """A staff member takes the window in role A or B, as the roster allows."""
        seed = next((s for s in layout.staff if s.id == staff_id), None)
        allowed = [] if seed is None else (seed.role_a if role is StaffRole.A else seed.role_b)
        if self.number not in allowed:
            raise NotAllowed(
                f"工号 {staff_id} 不是 {self.number} 号窗口的{role.value}角",
                f"staff {staff_id} is not role {role.value} of window {self.number}",
            )
        if self.staff_id is not None and self.staff_id != staff_id:
            raise Conflict(
                f"{self.number}号窗口已由工号 {self.staff_id} 签到，请先签退",
                f"window {self.number} is held by staff {self.staff_id}; sign them out first",
            )
        self.staff_id = staff_id
        self.staff_role = role
        self.signed_in_at = now
        if self.status is WindowStatus.CLOSED:
            self.status = WindowStatus.OPEN
            self.idle_since = now

    def sign_out(self) -> None:
        """The staff member leaves; the window closes. The caller requeues a called ticket."""
        if self.staff_id is None:
            raise IllegalTransition(f"{self.number}号窗口", self.status.value, "sign out",
                                    subject_en=f"window {self.number}")
        self.staff_id = None
        self.staff_role = None
        self.signed_in_at = None
        self.status = WindowStatus.CLOSED
        self.pause_reason = None
        self.pause_code = None
        self.idle_since = None

    def pause(self, reason: str, code: PauseCode = PauseCode.OTHER) -> None:
        """Stop taking calls for a while (暂停), with a reason managers can read and a code
        whose words the public may see."""
        self._require("pause", WindowStatus.OPEN, WindowStatus.AWAY)
        if not reason.strip():
            raise InvalidRequest("暂停须填写原因", "a pause needs a reason")
        self.status = WindowStatus.PAUSED
        self.pause_reason = reason.strip()
        self.pause_code = code

    def away(self) -> None:
        """Staff stepped away from the desk (离岗) while signed in."""
        self._require("away", WindowStatus.OPEN, WindowStatus.PAUSED)
        self.status = WindowStatus.AWAY
        self.pause_reason = None
        self.pause_code = None

    def resume(self, now: datetime) -> None:
        """Back to taking calls."""
        self._require("resume", WindowStatus.PAUSED, WindowStatus.AWAY)
        self.status = WindowStatus.OPEN
        self.pause_reason = None
        self.pause_code = None
        if self.current_ticket is None:
            self.idle_since = now

    def require_can_call(self) -> None:
        """Raise unless the window may call a new ticket now."""
        self._require("call next", WindowStatus.OPEN)
        if self.current_ticket is not None:
            raise Conflict(
                f"{self.number}号窗口当前号票尚未处理完毕",
                f"window {self.number} still has a current ticket; finish it first",
            )

    def take(self, ticket_id: int) -> None:
        """A ticket is now this window's current ticket."""
        self.current_ticket = ticket_id
        self.idle_since = None

    def release(self, now: datetime) -> None:
        """The current ticket left the window (done, no-show, transferred)."""
        self.current_ticket = None
        self.idle_since = now if self.status is WindowStatus.OPEN else None

    def flags(self, in_opening_hours: bool) -> list[WindowFlag]:
        """Conditions to show on the dashboard."""
        if not in_opening_hours:
            return []
        if self.staff_id is None:
            return [WindowFlag.UNSTAFFED]
        if self.status is WindowStatus.PAUSED:
            return [WindowFlag.PAUSED_IN_HOURS]
        return []
