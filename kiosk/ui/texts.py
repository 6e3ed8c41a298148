"""The screens' fixed words and the phrases built from view data, each in zh and en.

Pure functions returning `Notice` pairs: the widgets pick the language. Nothing here
decides behaviour; it only words what the view already says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from devices.protocol import messages as m
from kiosk.controller import CODE_MAX
from kiosk.model import Level, Notice

W = Notice  # a fixed pair of words

HOME = W("首页", "Home")
HELPER_TAG = W("帮办", "Help")
CHOOSE_SERVICE = W("请选择办理业务", "Please choose a service")
CHECK_IN = W("预约签到", "Appointment check-in")
CHECK_IN_HINT = W("已在网上或电话预约？请在此签到取号",
                  "Booked online or by phone? Check in here for your number")
FULL = W("今日已满", "Full today", Level.WARN)
NOT_TODAY = W("今日暂停办理", "Not served today", Level.WARN)
TAKE_NUMBER = W("取号", "Take a number")
TAKE_NUMBER_OFF = W("暂停取号", "Ticketing paused", Level.WARN)
CHOOSE_ITEM = W("请选择办理事项", "Please choose what you need")
NO_ITEMS = W("该类业务可直接取号，到窗口咨询办理",
             "Take a number and ask at the window for this service")
GUIDE = W("办事指南（一次性告知）", "Service guide")
MATERIALS = W("所需材料", "What to bring")
NO_MATERIALS = W("无需提交材料", "Nothing to bring")
TIME_LIMIT = W("办理时限", "Time limit")
TIME_NEEDED = W("办理用时", "Time needed")
FEE = W("收费标准", "Fee")
WHERE = W("办理地点", "Where")
PRIORITY = W("绿色通道", "Priority lane")
PRIORITY_HINT = W("老年人、残疾人、孕妇等可优先办理", "For elderly, disabled or pregnant citizens")
PRIORITY_ON = W("已选择", "Chosen")
PRIORITY_OFF = W("未选择", "Not chosen")
ISSUING = W("正在出号，请稍候…", "Issuing your number...")
ISSUING_HINT = W("请勿离开，号码出来后会自动显示", "Please stay: your number will appear here")
YOUR_NUMBER = W("您的号码", "Your number")
COPY = W("补打", "COPY")
SCAN_TO_FOLLOW = W("微信扫码随时查看排队进度", "Scan to follow your place in the queue")
DONE = W("完成", "Done")
PRINTING = W("正在打印号票…", "Printing your ticket...")
PRINTED = W("号票已打印，请取走", "Your ticket is printed: please take it")
PRINT_FAILED = W("打印失败", "Printing failed", Level.ERROR)
NO_PRINTER = W("本机不打印，请拍照或扫码保存号码",
               "No printer here: photograph or scan your number")
RECEIPT_PRINTING = W("正在打印回执…", "Printing the receipt...")
RECEIPT_PRINTED = W("回执已补打，请取走", "The receipt copy is printed: please take it")
SORRY = W("抱歉，未能办理", "Sorry", Level.WARN)
PAUSED = W("暂停取号", "Ticketing paused", Level.ERROR)
CAMERA_ON = W("请将预约二维码对准摄像头", "Hold your appointment QR code up to the camera")
CAMERA_OFF = W("摄像头不可用，请输入预约码",
               "Camera unavailable: please type your appointment code", Level.WARN)
OR_TYPE = W("或输入预约码", "Or type your appointment code")
ERASE = W("删除", "Delete")
CONFIRM = W("确认签到", "Check in")
HELP_SENT = W("帮办服务", "Help is on the way")
HELP_WAIT = W("请在原地稍候，工作人员马上到", "Please wait here: someone is coming")
SERVICES = W("自助服务", "Self-service")
QUERY_TICKET = W("查询号票进度", "Check my ticket")
QUERY_TICKET_HINT = W("扫描号票上的二维码", "Scan the QR code on your ticket")
QUERY_CASE = W("查询办件进度", "Check my case")
QUERY_CASE_HINT = W("扫描受理回执上的二维码", "Scan the QR code on your receipt")
BROWSE = W("办事指南", "Service guides")
BROWSE_HINT = W("选择业务查看所需材料和办理时限", "Choose a service to see what to bring")
SCAN = W("请出示号票或回执上的二维码", "Show the QR code on your ticket or receipt")
SCAN_HINT = W("将二维码对准下方摄像头，保持 2 秒", "Hold it under the camera for 2 seconds")
SCAN_CAMERA_OFF = W("摄像头不可用，请咨询工作人员", "Camera unavailable: please ask staff",
                    Level.WARN)
QUERYING = W("正在查询，请稍候…", "Looking it up...")
TICKET_STATUS = W("号票进度", "Ticket status")
ABOUT_TO_BE_CALLED = W("即将叫号，请留意叫号屏和广播", "You will be called soon: watch the screen",
                       Level.WARN)
CASE_STATUS = W("办件进度", "Case progress")
CASE_NO = W("办件编号", "Case number")
CASE_ITEMS = W("办理事项", "Services")
ACCEPTED_AT = W("受理时间", "Accepted")
PROMISED_BY = W("限时办结", "Due by")
TIME_LEFT = W("剩余时间", "Time left")
WINDOW = W("受理窗口", "Window")
OWNER = W("首问负责人", "Responsible officer")
REPRINT_RECEIPT = W("补打回执", "Reprint receipt")

_TICKET_STATES = {
    "waiting": W("等候中", "Waiting"),
    "called": W("正在叫号", "Called now"),
    "serving": W("正在办理", "Being served"),
    "done": W("已办结", "Finished"),
    "completed": W("已办结", "Finished"),
    "no_show": W("已过号", "Missed (not present when called)", Level.WARN),
    "cancelled": W("已取消", "Cancelled", Level.WARN),
    "transferred": W("已转办", "Transferred"),
}


def _days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


def waiting(count: int) -> Notice:
    """Queue length on a category tile."""
    return W(f"等候 {count} 人", f"{count} waiting")


def people_ahead(count: int | None) -> Notice:
    """How many are before this ticket."""
    if count is None:
        return W("", "")
    if count == 0:
        return W("前面没有人，请留意叫号", "You are next: watch for your call")
    return W(f"前面还有 {count} 人", f"{count} ahead of you")


def predicted_wait(minutes: int | None) -> Notice:
    """The predicted wait (None: no window serves the category now)."""
    if minutes is None:
        return W("暂无法预计等候时间", "No wait estimate right now")
    if minutes <= 1:
        return W("预计很快叫号", "You will be called shortly")
    return W(f"预计等候约 {minutes} 分钟", f"About {minutes} min wait")


def windows(numbers: Sequence[int]) -> Notice:
    """Window numbers as a phrase."""
    if not numbers:
        return W("请咨询工作人员", "please ask staff")
    zh = "、".join(str(n) for n in numbers)
    en = ", ".join(str(n) for n in numbers)
    return W(f"{zh} 号窗口", f"window{'s' if len(numbers) > 1 else ''} {en}")


def floor(number: int) -> Notice:
    """A floor number (negative: basement)."""
    if number < 0:
        return W(f"地下 {-number} 层", f"basement {-number}")
    return W(f"{number} 楼", f"floor {number}")


def go_to(zone: m.Text, numbers: Sequence[int], floor_no: int | None = None) -> Notice:
    """Where to wait: zone, floor and windows."""
    fl = floor(floor_no) if floor_no is not None else None
    w = windows(numbers)
    zh = " ".join(p for p in (fl.zh if fl else "", zone.zh, w.zh) if p)
    en = ", ".join(p for p in (zone.en, fl.en if fl else "", w.en) if p)
    return W(f"请到 {zh} 等候", f"Please go to {en}")


_UNITS = {"working_days": ("个工作日", "working day"), "natural_days": ("个自然日", "day"),
          "hours": ("小时", "hour")}


def _span(n: int, unit: str) -> tuple[str, str]:
    zh, en = _UNITS.get(unit, _UNITS["working_days"])
    return f"{n} {zh}", f"{n} {en}{'' if n == 1 else 's'}"


def time_limit(promised: int, legal: int, promised_unit: str = "working_days",
               legal_unit: str = "working_days") -> Notice:
    """承诺时限 (0: 即办件) with the legal limit alongside, each in its unit."""
    if promised == 0:
        return W("即办件：材料齐全当场办结", "Same day: done at the window if papers are complete")
    p_zh, p_en = _span(promised, promised_unit)
    l_zh, l_en = _span(legal, legal_unit)
    law = (f"（法定 {l_zh}）", f" (legal limit {l_en})") \
        if (legal, legal_unit) != (promised, promised_unit) and legal > 0 else ("", "")
    return W(f"承诺时限 {p_zh}{law[0]}", f"Promised within {p_en}{law[1]}")


def fee(yuan: float, note: str | None) -> Notice:
    """The fee (0: free)."""
    base = W("不收费", "Free") if yuan <= 0 else W(f"收费 {yuan:g} 元", f"CNY {yuan:g}")
    if note:
        return W(f"{base.zh}（{note}）", f"{base.en} ({note})")
    return base


def expected_minutes(minutes: float) -> Notice:
    """How long the window needs."""
    return W(f"窗口办理约 {round(minutes)} 分钟", f"About {round(minutes)} min at the window")


def material(item: m.CatalogMaterial) -> Notice:
    """One material line: name, original and copies, note."""
    parts_zh, parts_en = [], []
    if item.original:
        parts_zh.append("原件")
        parts_en.append("original")
    if item.copies:
        parts_zh.append(f"复印件 {item.copies} 份")
        parts_en.append(f"{item.copies} cop{'ies' if item.copies > 1 else 'y'}")
    zh = f"{item.name}（{'、'.join(parts_zh)}）" if parts_zh else item.name
    en = f"{item.name} ({', '.join(parts_en)})" if parts_en else item.name
    if item.note:
        zh, en = f"{zh}：{item.note}", f"{en}: {item.note}"
    return W(zh, en)


def ticket_state(state: str) -> Notice:
    """A ticket state in words (unknown codes shown as they are)."""
    return _TICKET_STATES.get(state, W(state, state))


def called_to(window: int) -> Notice:
    """The window a called ticket goes to."""
    return W(f"请到 {window} 号窗口", f"Please go to window {window}", Level.WARN)


def days_left(days: int) -> Notice:
    """Working days to the promised deadline (negative: overdue, shown as an error)."""
    if days < 0:
        return W(f"已超期 {-days} 个工作日", f"Overdue by {_days(-days)}", Level.ERROR)
    if days == 0:
        return W("今日到期", "Due today", Level.WARN)
    return W(f"剩余 {days} 个工作日", f"{_days(days)} left")


def clock_time(at: datetime, tz: tzinfo | None) -> str:
    """A time of day in the hall's zone."""
    return at.astimezone(tz).strftime("%H:%M")


def date_time(at: datetime, tz: tzinfo | None) -> str:
    """A date and time in the hall's zone."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def issued_at(at: datetime, tz: tzinfo | None) -> Notice:
    """When the ticket was taken."""
    text = date_time(at, tz)
    return W(f"取号时间 {text}", f"Taken at {text}")


def appointment(at: datetime, tz: tzinfo | None) -> Notice:
    """The slot of a checked-in appointment."""
    text = clock_time(at, tz)
    return W(f"预约时段 {text}", f"Appointment at {text}")


BLANK = "_"


def code_template() -> str:
    """The empty appointment code as shown: groups of four (XXXX-XXXX-XXXX-XXXX)."""
    groups = (CODE_MAX + 1) // 5
    return "-".join([BLANK * 4] * groups)


def shown_code(typed: str) -> str:
    """What is typed, then the blanks still to fill."""
    template = code_template()
    return typed + template[len(typed):]
