"""The words of a call: shown text and a spelling for Mandarin speech synthesis."""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"


def cardinal(n: int) -> str:
    """A number below 10,000 read as a Mandarin cardinal (5 五, 15 十五, 120 一百二十)."""
    if not 0 <= n < 10_000:
        raise ValueError("only 0..9999")
    if n < 10:
        return DIGITS[n]
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out, rest, zero = "", n, False
    for size, name in units:
        d, rest = divmod(rest, size)
        if d:
            if zero:
                out += "零"
                zero = False
            # 十五, not 一十五, when ten leads the number
            out += ("" if (size == 10 and d == 1 and not out) else DIGITS[d]) + name
        elif out:
            zero = True
    if rest:
        out += ("零" if zero else "") + DIGITS[rest]
    return out


def spell_ticket(number: str) -> str:
    """A ticket number spelled for speech: letters kept, digits one by one (A012 → A零一二)."""
    return "".join(DIGITS[int(c)] if c.isdigit() else c for c in number)


def call_text(number: str, window: int) -> tuple[str, str, str]:
    """(Chinese text, English text, Chinese speech) of a call to a window."""
    zh = f"请 {number} 号到 {window} 号窗口办理"
    en = f"Ticket {number}, please go to window {window}"
    speech = f"请{spell_ticket(number)}号，到{cardinal(window)}号窗口办理"
    return zh, en, speech
