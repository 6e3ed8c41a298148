"""A window's working state: A/B sign-in per roster, pause/away/resume, call readiness, flags."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hallserver.config.models import HallConfig, StaffRole
from hallserver.domain.errors import Conflict, IllegalTransition, InvalidRequest, NotAllowed
from hallserver.domain.windows import (
    PauseCode,
    WindowFlag,
    WindowState,
    WindowStatus,
    public_pause_note,
)

MIN = timedelta(minutes=1)


def roster_pairs(hall: HallConfig) -> list[tuple[str, StaffRole, int]]:
    """Every (staff, role, window) the roster allows."""
    return [(s.id, StaffRole.A, n) for s in hall.staff for n in s.role_a] + \
           [(s.id, StaffRole.B, n) for s in hall.staff for n in s.role_b]


def status(w: WindowState) -> WindowStatus:
    """The status read afresh (keeps type checkers from carrying narrowing across calls)."""
    return w.status


def open_window(hall: HallConfig, number: int, now: datetime) -> WindowState:
    staff = next(s for s in hall.staff if number in s.role_a)
    w = WindowState(number)
    w.sign_in(staff.id, StaffRole.A, now, hall)
    return w


def test_every_roster_entry_can_sign_in(hall: HallConfig, t0: datetime) -> None:
    pairs = roster_pairs(hall)
    assert {r for _, r, _ in pairs} == {StaffRole.A, StaffRole.B}
    for staff_id, role, number in pairs:
        w = WindowState(number)
        w.sign_in(staff_id, role, t0, hall)
        assert w.status is WindowStatus.OPEN
        assert (w.staff_id, w.staff_role, w.signed_in_at, w.idle_since) == (
            staff_id, role, t0, t0)


def test_sign_in_refused_when_roster_does_not_allow(hall: HallConfig, t0: datetime) -> None:
    allowed = set(roster_pairs(hall))
    numbers = [w.number for w in hall.windows]
    refused = [(s.id, r, n) for s in hall.staff for r in StaffRole for n in numbers
               if (s.id, r, n) not in allowed]
    assert refused
    for staff_id, role, number in refused:
        w = WindowState(number)
        with pytest.raises(NotAllowed) as info:
            w.sign_in(staff_id, role, t0, hall)
        assert info.value.code == "not_allowed"
        assert staff_id in info.value.message_zh
        assert staff_id in info.value.message_en
        assert w.staff_id is None
        assert w.status is WindowStatus.CLOSED


def test_role_a_of_one_window_is_not_role_a_elsewhere(hall: HallConfig, t0: datetime) -> None:
    # staff 1001 is A of window 1 and B of window 2: the role must match the window
    with pytest.raises(NotAllowed):
        WindowState(2).sign_in("1001", StaffRole.A, t0, hall)
    with pytest.raises(NotAllowed):
        WindowState(1).sign_in("1001", StaffRole.B, t0, hall)


def test_unknown_staff_refused(hall: HallConfig, t0: datetime) -> None:
    with pytest.raises(NotAllowed):
        WindowState(1).sign_in("9999", StaffRole.A, t0, hall)


def test_second_staff_refused_while_held(hall: HallConfig, t0: datetime) -> None:
    w = WindowState(1)
    w.sign_in("1001", StaffRole.A, t0, hall)  # A角
    with pytest.raises(Conflict) as info:
        w.sign_in("1002", StaffRole.B, t0 + MIN, hall)  # B角 may only stand in once A left
    assert info.value.code == "conflict"
    assert "1001" in info.value.message_zh
    assert "1001" in info.value.message_en
    assert (w.staff_id, w.staff_role, w.signed_in_at) == ("1001", StaffRole.A, t0)
    w.sign_out()
    assert w.status is WindowStatus.CLOSED
    w.sign_in("1002", StaffRole.B, t0 + 2 * MIN, hall)
    assert (w.staff_id, w.staff_role) == ("1002", StaffRole.B)


def test_same_staff_signing_in_again_keeps_the_window(hall: HallConfig, t0: datetime) -> None:
    w = open_window(hall, 1, t0)
    w.sign_in("1001", StaffRole.A, t0 + MIN, hall)
    assert w.staff_id == "1001"
    assert w.status is WindowStatus.OPEN


def test_sign_out_when_nobody_signed_in(hall: HallConfig) -> None:
    with pytest.raises(IllegalTransition):
        WindowState(1).sign_out()


def test_pause_needs_a_reason(hall: HallConfig, t0: datetime) -> None:
    w = open_window(hall, 1, t0)
    for blank in ("", "   "):
        with pytest.raises(InvalidRequest):
            w.pause(blank)
        assert w.status is WindowStatus.OPEN
    w.pause("  调取档案  ")
    assert w.status is WindowStatus.PAUSED
    assert w.pause_reason == "调取档案"


def test_a_pause_code_gives_the_public_its_words_and_ends_with_the_pause(
        hall: HallConfig, t0: datetime) -> None:
    w = open_window(hall, 1, t0)
    w.pause("系统故障：回电 138 1234 5678", PauseCode.SYSTEM)
    assert w.pause_code is PauseCode.SYSTEM
    assert public_pause_note(w.pause_code) == ("暂停服务：系统故障", "Paused: System fault")
    w.resume(t0)
    assert (w.pause_reason, w.pause_code) == (None, None)
    w.pause("家里有事")  # no preset: the public sees only that the window is paused
    assert public_pause_note(w.pause_code) == ("暂停服务", "Paused")
    w.away()
    assert w.pause_code is None


def test_pause_and_away_need_a_signed_in_window(t0: datetime) -> None:
    w = WindowState(1)
    with pytest.raises(IllegalTransition):
        w.pause("会议")
    with pytest.raises(IllegalTransition):
        w.away()
    with pytest.raises(IllegalTransition):
        w.resume(t0)


def test_away_and_resume(hall: HallConfig, t0: datetime) -> None:
    w = open_window(hall, 1, t0)
    with pytest.raises(IllegalTransition):
        w.resume(t0)  # already open
    w.pause("电话咨询")
    w.away()
    assert w.status is WindowStatus.AWAY
    assert w.pause_reason is None
    with pytest.raises(IllegalTransition):
        w.away()
    w.resume(t0 + 5 * MIN)
    assert status(w) is WindowStatus.OPEN
    assert w.idle_since == t0 + 5 * MIN
    w.away()
    w.pause("系统故障")  # away -> paused is allowed
    assert status(w) is WindowStatus.PAUSED
    with pytest.raises(IllegalTransition):
        w.pause("again")


def test_resume_with_a_current_ticket_is_not_idle(hall: HallConfig, t0: datetime) -> None:
    w = open_window(hall, 1, t0)
    w.take(42)
    assert w.idle_since is None
    w.pause("复印材料")
    w.resume(t0 + MIN)
    assert w.idle_since is None
    w.release(t0 + 2 * MIN)
    assert w.idle_since == t0 + 2 * MIN


def test_release_while_paused_is_not_idle(hall: HallConfig, t0: datetime) -> None:
    w = open_window(hall, 1, t0)
    w.take(1)
    w.pause("午间交接")
    w.release(t0 + MIN)
    assert w.current_ticket is None
    assert w.idle_since is None


def test_require_can_call(hall: HallConfig, t0: datetime) -> None:
    w = WindowState(1)
    with pytest.raises(IllegalTransition):
        w.require_can_call()  # closed
    w.sign_in("1001", StaffRole.A, t0, hall)
    w.require_can_call()
    w.take(7)
    with pytest.raises(Conflict):
        w.require_can_call()  # still has a ticket
    w.release(t0 + MIN)
    w.require_can_call()
    w.pause("培训")
    with pytest.raises(IllegalTransition):
        w.require_can_call()
    w.away()
    with pytest.raises(IllegalTransition):
        w.require_can_call()
    w.resume(t0 + 2 * MIN)
    w.require_can_call()


def test_sign_out_closes_and_clears(hall: HallConfig, t0: datetime) -> None:
    w = open_window(hall, 1, t0)
    w.pause("下班")
    w.sign_out()
    assert w.status is WindowStatus.CLOSED
    assert (w.staff_id, w.staff_role, w.signed_in_at, w.pause_reason, w.idle_since) == (
        None, None, None, None, None)
    with pytest.raises(IllegalTransition):
        w.require_can_call()


def test_flags_only_in_opening_hours(hall: HallConfig, t0: datetime) -> None:
    empty = WindowState(1)
    assert empty.flags(in_opening_hours=True) == [WindowFlag.UNSTAFFED]
    assert empty.flags(in_opening_hours=False) == []
    staffed = open_window(hall, 1, t0)
    assert staffed.flags(in_opening_hours=True) == []
    staffed.pause("会议")
    assert staffed.flags(in_opening_hours=True) == [WindowFlag.PAUSED_IN_HOURS]
    assert staffed.flags(in_opening_hours=False) == []
    staffed.away()
    assert WindowFlag.UNSTAFFED not in staffed.flags(in_opening_hours=True)
