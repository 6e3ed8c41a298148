"""The words of a call: shown text and a spelling for Mandarin speech synthesis.

Ticket numbers are read digit by digit (A012: A 零一二), window numbers as cardinals
(15: 十五号). A window whose name carries its own number (综合受理3号窗口) is called by that
name, its numbers read as cardinals too; notes in brackets (（绿色通道）) are left out of the
call. Other names (税务专窗) are not said: the number on the window's sign is.
"""

from __future__ import annotations

import re
import unicodedata

DIGITS = "零一二三四五六七八九"

# Bracketed notes of a name: （绿色通道）, (Express), 【...】.
_NOTE = re.compile(r"\s*[（(【\[][^）)】\]]*[）)】\]]\s*")
# A digit run that counts something: 3号, 2楼, 10层, B区 is a letter (kept as is).
_COUNTED = re.compile(r"(\d+)(?=\s*[号楼层区室栋座窗])")
_DIGIT_RUN = re.compile(r"\d+")
_HAN_DIGIT = re.compile(r"(?<=[\u3400-\u9fff])(?=\d)|(?<=\d)(?=[\u3400-\u9fff])")
_OWN_NUMBER = re.compile(r"\d+\s*号")


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


def _digits(run: str) -> str:
    return "".join(DIGITS[int(c)] for c in run)


def spell_name(name: str) -> str:
    """A place name spelled for speech: counted numbers as cardinals (3号 → 三号, 12楼 →
    十二楼), other digit runs one by one, bracketed notes left out."""
    text = _NOTE.sub("", unicodedata.normalize("NFKC", name)).strip()
    text = _COUNTED.sub(lambda m: cardinal(int(m.group(1))) if len(m.group(1)) <= 4
                        else _digits(m.group(1)), text)
    text = _DIGIT_RUN.sub(lambda m: _digits(m.group(0)), text)
    return re.sub(r"\s+", "", text)


def call_place(name: str | None) -> str | None:
    """How a call names the window: its name without notes, spaced like 综合受理 3 号窗口,
    when the name carries its own number; None when the window number is to be said."""
    if not name:
        return None
    text = _NOTE.sub("", unicodedata.normalize("NFKC", name)).strip()
    if not _OWN_NUMBER.search(text):
        return None
    text = re.sub(r"\s+", "", text)
    return _HAN_DIGIT.sub(" ", text)


def call_text(number: str, window: int, name: str | None = None,
              name_en: str | None = None) -> tuple[str, str, str]:
    """(Chinese text, English text, Chinese speech) of a call to a window.

    `name`, `name_en`: the window's name (optional); used when it carries its own number."""
    place = call_place(name)
    if place is None:
        zh = f"请 {number} 号到 {window} 号窗口办理"
        speech = f"请{spell_ticket(number)}号，到{cardinal(window)}号窗口办理"
        place_en = f"window {window}"
    else:
        assert name is not None
        before = " " if place[0].isascii() and place[0].isalnum() else ""
        after = " " if place[-1].isascii() and place[-1].isalnum() else ""
        zh = f"请 {number} 号到{before}{place}{after}办理"
        speech = f"请{spell_ticket(number)}号，到{spell_name(name)}办理"
        en = _NOTE.sub(" ", unicodedata.normalize("NFKC", name_en or "")).strip()
        place_en = (f"window {window}" if not en or en.lower() == f"window {window}"
                    else " ".join(en.split()))
    en_text = f"Ticket {number}, please go to {place_en}"
    return zh, en_text, speech
