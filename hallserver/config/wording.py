"""How the layout's fields and problems read in Chinese and English: one wording for the
admin page (`services/admin_validation.py`), the API's refusals (`api/problems.py`) and the
config file errors of `hallserver config validate` and `serve` (`config/loader.py`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hallserver.config.models import Loc

SECTIONS = {
    "schema_version": "版本号", "hall": "大厅信息", "service_days": "服务日",
    "opening_hours": "开放时间", "routing": "叫号规则", "ratings": "好差评",
    "screen": "综合屏", "monitor": "监控提醒", "zones": "区域", "categories": "业务类别",
    "items": "事项", "windows": "窗口", "staff": "人员排班",
}
FIELDS = {
    "id": "编号", "code": "代码", "prefix": "号码前缀", "name": "名称", "zh": "中文",
    "en": "英文", "zone": "区域", "floor": "楼层", "daily_cap": "每日限号",
    "warn_waiting": "等候人数提醒", "warn_wait_min": "等候时长提醒（分钟）",
    "number": "窗口号", "primary": "主办类别", "secondary": "兼办类别",
    "priority_lane": "绿色通道", "express": "快办", "category": "业务类别",
    "legal_limit_days": "法定时限", "promised_limit_days": "承诺时限",
    "expected_minutes": "预计办理分钟", "frequency": "办件频次", "materials": "材料",
    "fee": "收费", "amount_yuan": "金额（元）", "note": "备注", "original": "原件",
    "copies": "复印件份数", "role_a": "A角窗口", "role_b": "B角窗口", "photo": "照片",
    "sessions": "时段", "start": "开始", "end": "结束", "timezone": "时区",
    "address": "地址", "phone": "电话", "holidays": "节假日", "makeup_workdays": "调休上班日",
    "open_weekdays": "开放星期", "calendar": "节假日日历", "weekdays": "按星期的时段",
    "seasons": "季节作息", "dates": "特定日期", "day": "日期", "absences": "请假",
    "issue_opens_before_min": "开厅前提前取号（分钟）",
    "issue_stops_before_close_min": "闭厅前停止取号（分钟）", "issue_during_lunch": "午休取号",
    "promised_unit": "承诺时限单位", "legal_unit": "法定时限单位",
}
# What identifies a row of a list section, to name it beside its index.
ROW_KEYS = {"zones": "id", "categories": "code", "items": "code", "windows": "number",
            "staff": "id"}
WHAT_ZH = {"zone id": "区域编号", "category code": "业务类别代码", "ticket prefix": "号码前缀",
           "item code": "事项代码", "window number": "窗口号", "staff id": "工号"}


def _row_label(document: Any, section: str, index: int) -> str | None:
    try:
        value = document[section][index][ROW_KEYS[section]]
    except (KeyError, IndexError, TypeError):
        return None
    return str(value) if value not in (None, "") else None


def where(document: Any, loc: Loc) -> tuple[str, str]:
    """A path in words: Chinese ("窗口 第3行（3） › 兼办类别") and English."""
    zh: list[str] = []
    en: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            label = _row_label(document, str(loc[0]), part) if i == 1 else None
            add_zh = f" 第{part + 1}{'行' if i == 1 else '项'}" + (f"（{label}）" if label else "")
            add_en = f"[{part}]" + (f" ({label})" if label else "")
            if zh:
                zh[-1] += add_zh
                en[-1] += add_en
            else:
                zh.append(add_zh.strip())
                en.append(add_en)
            continue
        name = str(part)
        zh.append(SECTIONS.get(name, name) if i == 0 else FIELDS.get(name, name))
        en.append(name)
    return " › ".join(zh) or "（整个布局）", " › ".join(en) or "(whole layout)"


_REFERENCE_ZH: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(rf"duplicate ({'|'.join(WHAT_ZH)}) (.+)$"),
     lambda m: f"{WHAT_ZH.get(m[1], m[1])}重复：{m[2]}"),
    (re.compile(r"unknown zone (.+)$"), lambda m: f"没有区域 {m[1]}"),
    (re.compile(r"unknown category (.+)$"), lambda m: f"没有业务类别 {m[1]}"),
    (re.compile(r"(.+) is already the primary category$"),
     lambda m: f"{m[1]} 已是主办类别，不能再列为兼办"),
    (re.compile(r"a category is listed twice$"), lambda m: "同一业务类别列了两次"),
    (re.compile(r"no window serves category (.+?):"),
     lambda m: f"没有窗口办理业务类别 {m[1]}，该类别的号永远不会被叫到"),
    (re.compile(r"unknown window (\d+)$"), lambda m: f"没有 {m[1]} 号窗口"),
    (re.compile(r"session ends .* before it starts"), lambda m: "时段的结束时间不晚于开始时间"),
    (re.compile(r"sessions overlap or are out of order"), lambda m: "时段重叠或顺序颠倒"),
    (re.compile(r"承诺时限不得超过法定时限"), lambda m: "承诺时限不得超过法定时限"),
    (re.compile(r"unknown time zone (.+)$"), lambda m: f"未知时区 {m[1]}"),
    (re.compile(r"write times as quoted"), lambda m: "时间请写成带引号的 'HH:MM'"),
    (re.compile(r"time (.+) is not HH:MM"), lambda m: f"时间 {m[1]} 不是 HH:MM 格式"),
    (re.compile(r"time (.+) uses a full-width colon: write (.+)$"),
     lambda m: f"时间 {m[1]} 用了全角冒号，请写成 {m[2]}"),
    (re.compile(r"time (.+) is not a time of day"),
     lambda m: f"时间 {m[1]} 不是一天中的时刻（00:00 至 23:59）"),
    (re.compile(r"write month and day as 'MM-DD' \(e.g. 07-01\), not (.+)$"),
     lambda m: f"月日请写成 'MM-DD'（如 07-01），而不是 {m[1]}"),
    (re.compile(r"needs sessions"), lambda m: "列出的星期须有时段（不开放请在开放星期中去掉）"),
    (re.compile(r"a date is listed twice"), lambda m: "同一日期列了两次"),
]


def zh_reason(message: str) -> str:
    """An English check message (the models' own) in Chinese."""
    for pattern, word in _REFERENCE_ZH:
        found = pattern.search(message)
        if found:
            return word(found)
    return f"取值不正确：{message}"


def reason_zh(err: Any) -> str:
    """A pydantic error's reason in Chinese."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    simple = {
        "missing": "必填项缺失", "extra_forbidden": "未知字段（不在规范中，请检查拼写）",
        "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
        "float_parsing": "应为数字", "float_type": "应为数字", "bool_parsing": "应为是或否",
        "bool_type": "应为是或否", "string_type": "应为文字", "list_type": "应为列表",
        "dict_type": "应为对象", "model_type": "应为对象", "model_attributes_type": "应为对象",
        "time_parsing": "时间格式应为 HH:MM", "time_type": "时间格式应为 HH:MM",
        "date_parsing": "日期格式应为 YYYY-MM-DD", "date_from_datetime_parsing":
        "日期格式应为 YYYY-MM-DD", "date_type": "日期格式应为 YYYY-MM-DD",
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_pattern_mismatch":
        return f"格式不符合要求（{ctx.get('pattern', '')}）"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "不能为空" if n == 1 else f"至少 {n} 个字符"
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字符"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    bounds = {"greater_than_equal": ("ge", "不能小于"), "greater_than": ("gt", "必须大于"),
              "less_than_equal": ("le", "不能大于"), "less_than": ("lt", "必须小于")}
    if kind in bounds:
        key, word = bounds[kind]
        return f"{word} {ctx.get(key)}"
    if kind in ("literal_error", "enum"):
        return f"取值必须是 {ctx.get('expected', '')}"
    if kind == "value_error":
        return zh_reason(str(err.get("msg", "")))
    return f"取值不正确：{err.get('msg', '')}"


def reason_en(err: Any) -> str:
    """A pydantic error's reason in English ("required", not "Field required")."""
    if err["type"] == "extra_forbidden":
        return "unknown key (not in the schema; check spelling)"
    if err["type"] == "missing":
        return "required"
    return str(err.get("msg", "")).removeprefix("Value error, ")
