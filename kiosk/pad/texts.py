"""The rating pad's fixed words, each in Chinese and English (pure data, no widgets)."""

from __future__ import annotations

from devices.protocol import messages as m
from kiosk.model import Level, Notice

W = Notice

PLEASE_RATE = W("请您对本次服务进行评价", "Please rate this service")
TICKET = W("号码", "Ticket")
SERVED_BY = W("服务人员", "Served by")
SECONDS_LEFT = W("{n} 秒后自动关闭", "Closes in {n} s")
WHY = W("请选择不满意的原因（可多选）", "What went wrong? (choose one or more)")
WHY_REQUIRED = W("请至少选择一项", "Choose at least one", Level.WARN)
SUBMIT = W("提交评价", "Submit")
THANKS = W("感谢您的评价！", "Thank you for your rating!")
THANKS_HINT = W("您的评价将帮助我们改进服务", "Your rating helps us improve our service")
THANKS_BAD = W("我们会认真整改，并可能回访了解情况",
               "We will follow up and may contact you to learn more")
SENDING_LATER = W("网络暂时中断，评价已保存，恢复后自动提交",
                  "Network down: your rating is saved and will be sent automatically")
NOT_RECORDED = W("评价未被记录", "Your rating was not recorded", Level.WARN)
ON_DUTY = W("当前服务人员", "On duty")
ROLE = {"A": W("A角", "Role A"), "B": W("B角", "Role B")}
STAFF_NO = W("工号", "Staff no.")
NOBODY = W("暂无工作人员", "No staff signed in")
WAITING_STATE = W("正在连接服务器…", "Connecting to the server...")
MODE = {
    m.WindowMode.OPEN: W("正在办理", "Open", Level.INFO),
    m.WindowMode.PAUSED: W("暂停服务", "Paused", Level.WARN),
    m.WindowMode.AWAY: W("暂时离开", "Staff away", Level.WARN),
    m.WindowMode.CLOSED: W("暂停办理", "Closed", Level.ERROR),
}
NOW_SERVING = W("当前办理", "Now serving")
OFFLINE = W("离线", "Offline", Level.ERROR)
HELP_SENT = W("已呼叫工作人员，请稍候", "Staff are on their way", Level.INFO)
SUPERVISION = W("好差评 · 政务服务评价", "Rate our government services")

# Why the server refused a rating (RatingAck.code).
REFUSED = {
    "expired": W("评价已超时，未被记录", "Too late: the rating time has passed", Level.WARN),
    "used": W("本次服务已评价过", "This service has already been rated", Level.WARN),
    "unknown-token": W("未找到本次服务，评价未被记录", "This service was not found", Level.WARN),
    "wrong-window": W("评价不属于本窗口，未被记录", "This rating is for another window",
                      Level.WARN),
    "unknown-reason": W("评价原因无效，未被记录", "A reason was not accepted", Level.WARN),
}
REFUSED_OTHER = W("评价未被记录，请咨询工作人员", "The rating was not recorded; please ask staff",
                  Level.WARN)


def refusal(code: str | None) -> Notice:
    """Words for a refusal code (unknown codes get a general line)."""
    return REFUSED.get(code or "", REFUSED_OTHER)


def seconds_left(n: int) -> Notice:
    """The countdown line."""
    return W(SECONDS_LEFT.zh.format(n=n), SECONDS_LEFT.en.format(n=n))

IDLE_HINT = W("办理结束后，请在此对本次服务进行评价",
              "When your business is done, please rate the service here")
OFFLINE_NOTICE = W("网络连接中断，正在重新连接；评价会保存并在恢复后提交",
                   "Network down, reconnecting: ratings are kept and sent later", Level.ERROR)
YOUR_RATING = W("您的评价", "Your rating")
NOT_RECORDED_HINT = W("如有疑问，请呼叫工作人员", "If you need help, please call staff")
