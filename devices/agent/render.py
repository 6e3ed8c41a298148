"""What the serial window devices say: pure text from protocol messages (Chinese first).

LED lines are at most 48 bytes of GB18030 (24 hanzi), keypad and pad lines 16 bytes of
GB2312 (8 hanzi); the drivers cut longer text at a character boundary, so the most
important words come first on every line.
"""

from __future__ import annotations

import logging

from devices.protocol import messages as m
from devices.serial.led import LedContent
from devices.serial.payloads import CallerKeyCode, LedMode

logger = logging.getLogger(__name__)

# Keypad key -> (protocol key, outcome of `complete`, words for the LCD)
CALLER_KEYS: dict[CallerKeyCode, tuple[m.CallerKeyName, str | None, str, str]] = {
    CallerKeyCode.CALL: (m.CallerKeyName.CALL, None, "呼叫", "call"),
    CallerKeyCode.RECALL: (m.CallerKeyName.RECALL, None, "重呼", "recall"),
    CallerKeyCode.START: (m.CallerKeyName.START, None, "开始办理", "start"),
    CallerKeyCode.COMPLETE: (m.CallerKeyName.COMPLETE, "completed", "办结", "done"),
    CallerKeyCode.ACCEPT: (m.CallerKeyName.COMPLETE, "accepted", "受理", "accepted"),
    CallerKeyCode.RETURN: (m.CallerKeyName.COMPLETE, "returned", "退回补正", "returned"),
    CallerKeyCode.NO_SHOW: (m.CallerKeyName.NO_SHOW, None, "过号", "no-show"),
    CallerKeyCode.PAUSE: (m.CallerKeyName.PAUSE, None, "暂停", "paused"),
    CallerKeyCode.RESUME: (m.CallerKeyName.RESUME, None, "恢复", "resumed"),
}


def caller_key(code: CallerKeyCode, request_id: str) -> m.CallerKey:
    """The `evt/key` message of a keypad key."""
    key, outcome, _zh, _en = CALLER_KEYS[code]
    return m.CallerKey(request_id=request_id, key=key, outcome=outcome)


def key_result_line(code: CallerKeyCode, result: m.KeyResult | None) -> str:
    """The keypad's second line after a key: what happened, or why not."""
    _key, _outcome, zh, en = CALLER_KEYS[code]
    if result is None:
        return "无响应 请重试 no reply"
    if not result.ok:
        return f"{result.message or '操作失败'} {result.message_en or 'refused'}"
    if code is CallerKeyCode.CALL and result.number is None:
        return "无人等候 none waiting"
    return f"{zh}成功 {en}"


def caller_status_line(state: m.WindowDisplayState) -> str:
    """The keypad's first line: the ticket at the window or the window's mode."""
    if state.mode is m.WindowMode.OPEN:
        if state.number is None:
            return "空闲 idle"
        verb = "已呼叫" if state.ticket_state == "called" else "办理中"
        return f"{state.number} {verb}"
    return {m.WindowMode.PAUSED: "暂停服务 paused", m.WindowMode.AWAY: "暂离 away",
            m.WindowMode.CLOSED: "已关闭 closed"}[state.mode]


def _staff_line(state: m.WindowDisplayState) -> str | None:
    if not state.staff:
        return None
    return "  ".join(f"{s.name} 工号{s.staff_id}" for s in state.staff[:2])


def led_content(state: m.WindowDisplayState) -> LedContent:
    """The LED lines of a window state (亮证: the staff on duty, name and 工号)."""
    n, name = state.window, state.window_name
    staff = _staff_line(state)
    if state.mode is m.WindowMode.OPEN and state.number is not None:
        if state.ticket_state == "called":
            mode = LedMode.CALLED
            lines = [f"{state.number} 请到{n}号窗口", f"{state.number} to window {n}"]
        else:
            mode = LedMode.SERVING
            lines = [f"{state.number} 正在办理", f"{state.number} being served"]
    elif state.mode is m.WindowMode.OPEN:
        mode = LedMode.OPEN
        lines = [f"{name.zh} 欢迎办理", f"{name.en} welcome"]
    elif state.mode is m.WindowMode.PAUSED:
        mode = LedMode.PAUSED
        note = state.note
        lines = [f"暂停服务 {note.zh}" if note else "暂停服务",
                 f"Paused: {note.en}" if note else "Service paused"]
    elif state.mode is m.WindowMode.AWAY:
        mode = LedMode.AWAY
        lines = ["工作人员暂离 请稍候", "Staff away, please wait"]
    else:
        mode = LedMode.CLOSED
        lines = [f"{n}号窗口 暂停办理", f"Window {n} closed"]
    if staff is not None and mode is not LedMode.CLOSED:
        lines.insert(1, staff)
    return LedContent(version=state.version, mode=mode, lines=tuple(lines[:4]))


PAD_IDLE = ("欢迎评价", "Rate our service")
PAD_SENDING = ("正在提交", "Sending")
PAD_THANKS = ("谢谢您的评价", "Thank you")
PAD_REFUSED = ("评价未成功", "Not recorded")


def pad_prompt(arm: m.PadArm) -> tuple[str, str]:
    """The armed pad's two lines: the ticket and who served, then the request."""
    who = f" {arm.staff.name}" if arm.staff is not None else ""
    return f"{arm.number}{who}", "请评价 Rate us"
