"""The case status page (办件进度) rendered on the server: a phone opens it from the QR code
of a receipt (收件回执), so it must work without scripts and load fast."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from hallserver.config.models import HallConfig
from hallserver.services.cases import CaseSnapshot

_HEAD = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/common.css"><link rel="stylesheet" href="/static/case.css">
</head><body class="case-page">
"""


def _pair(zh: str, en: str) -> str:
    return f'{escape(zh)} <span class="en" lang="en">{escape(en)}</span>'


def render_case(snap: CaseSnapshot, cfg: HallConfig) -> str:
    """The page of one case: status, items, deadline, owner, window, materials received."""
    tz = ZoneInfo(cfg.hall.timezone)
    left = snap.working_days_left
    if snap.status in {"completed", "returned"}:
        due_note, due_class = _pair("已结束", "finished"), "done"
    elif left < 0:
        days = "working day" if left == -1 else "working days"
        due_note, due_class = _pair(f"已超期 {-left} 个工作日", f"overdue by {-left} {days}"),\
            "overdue"
    elif left == 0:
        due_note, due_class = _pair("今日到期", "due today"), "soon"
    else:
        days = "working day" if left == 1 else "working days"
        due_note, due_class = _pair(f"剩余 {left} 个工作日", f"{left} {days} left"), ""
    items = "".join(f"<li>{_pair(i.zh, i.en)}</li>" for i in snap.items) or "<li>—</li>"
    materials = "".join(f"<li>{escape(x)}</li>" for x in snap.materials) or "<li>—</li>"
    accepted = snap.accepted_at.astimezone(tz)
    due = snap.promised_by.astimezone(tz)
    hall = cfg.hall.name
    note = _pair(f"暂定：{due.year}年节假日安排尚未公布，日期可能调整",
                 f"provisional: the {due.year} public holidays are not announced yet; "
                 "the date may move")
    provisional = (f'<br><span class="provisional" data-testid="provisional">{note}</span>'
                   if snap.provisional else "")
    return _HEAD.format(title=f"办件进度 {escape(snap.case_no)}") + f"""<main class="case">
<header><p class="hall">{_pair(hall.zh, hall.en)}</p>
<h1>{_pair("办件进度", "Case status")}</h1></header>
<section class="status status-{escape(snap.status)}">
<p class="case-no" data-testid="case-no">{escape(snap.case_no)}</p>
<p class="state" data-testid="status">{_pair(snap.status_name.zh, snap.status_name.en)}</p>
</section>
<dl>
<dt>{_pair("办理事项", "Items")}</dt><dd><ul>{items}</ul></dd>
<dt>{_pair("受理时间", "Accepted")}</dt><dd>{accepted:%Y-%m-%d %H:%M}</dd>
<dt>{_pair("承诺办结", "Promised by")}</dt>
<dd data-testid="due">{due:%Y-%m-%d} <span class="due {due_class}">{due_note}</span>
{provisional}</dd>
<dt>{_pair("受理窗口", "Window")}</dt><dd>{snap.window} 号窗口
<span class="en" lang="en">window {snap.window}</span></dd>
<dt>{_pair("首问负责人", "First-contact owner")}</dt><dd>{escape(snap.owner)}</dd>
<dt>{_pair("已收材料", "Documents received")}</dt><dd><ul>{materials}</ul></dd>
</dl>
<p class="foot">{_pair("请保管好收件回执，凭回执二维码随时查询办件进度。",
                       "Keep your receipt: its QR code opens this page at any time.")}</p>
</main></body></html>
"""


def render_case_missing() -> str:
    """The page for a code that names no case."""
    return _HEAD.format(title="办件不存在 / No such case") + f"""<main class="case">
<h1>{_pair("办件不存在", "No such case")}</h1>
<p>{_pair("请核对收件回执上的二维码，或到大厅服务台咨询。",
          "Check the QR code on your receipt, or ask at the help desk.")}</p>
</main></body></html>
"""
