"""The 好差评 vocabulary shared by the server, the pad app and the hardware pad agent:
the five national levels and the reason codes a citizen picks for a bad rating.

Levels follow the national 政务服务"好差评" scale (国办发〔2019〕51号): 5 非常满意,
4 满意, 3 基本满意, 2 不满意, 1 非常不满意. Levels 1 and 2 are 差评: the pad asks for
reasons, and the server opens a rectification case (差评整改)."""

from __future__ import annotations

from dataclasses import dataclass

BAD_LEVELS = frozenset({1, 2})


@dataclass(frozen=True)
class Choice:
    """A level or a reason: its code and its words in Chinese and English."""

    code: str
    zh: str
    en: str


LEVELS: dict[int, Choice] = {
    5: Choice("5", "非常满意", "Very satisfied"),
    4: Choice("4", "满意", "Satisfied"),
    3: Choice("3", "基本满意", "Fairly satisfied"),
    2: Choice("2", "不满意", "Dissatisfied"),
    1: Choice("1", "非常不满意", "Very dissatisfied"),
}

# Reasons offered for levels 1 and 2, in the order the pad shows them.
REASONS: tuple[Choice, ...] = (
    Choice("wait-too-long", "等候时间过长", "Waited too long"),
    Choice("service-too-slow", "办理时间过长", "Service took too long"),
    Choice("attitude", "服务态度差", "Unfriendly service"),
    Choice("not-proficient", "业务不熟练", "Staff not proficient"),
    Choice("guide-unclear", "办事指南不清晰", "Service guide unclear"),
    Choice("extra-materials", "要求额外材料", "Asked for extra documents"),
    Choice("multiple-trips", "多次跑腿", "Had to come back again"),
    Choice("passed-around", "推诿扯皮", "Passed from desk to desk"),
    Choice("fees", "收费不合理", "Unreasonable fees"),
    Choice("other", "其他", "Other"),
)
REASON_CODES = frozenset(r.code for r in REASONS)


def level_name(level: int) -> Choice:
    """The words of a level; KeyError outside 1..5."""
    return LEVELS[level]


def reason(code: str) -> Choice:
    """The words of a reason code; KeyError for an unknown code."""
    for r in REASONS:
        if r.code == code:
            return r
    raise KeyError(code)
