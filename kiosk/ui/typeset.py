"""Text measurements and line breaking for Chinese and English (pure, no Kivy)."""

from __future__ import annotations

import re

CJK_EM = 1.0  # width of a CJK character in font sizes
LATIN_EM = 0.58  # a generous average for Latin text in this font


def text_width(text: str, font_size: float) -> float:
    """Rough width of one line of text (CJK characters are a full em)."""
    return sum(CJK_EM if ord(ch) > 0x2E80 else LATIN_EM for ch in text) * font_size


def fit_font(text: str, width: float, wanted: float, *, lines: int = 1) -> float:
    """The wanted font size, shrunk so the text fits in `lines` lines of `width`."""
    need = text_width(text, wanted) / max(lines, 1)
    return wanted if need <= width or need == 0 else max(8.0, wanted * width / need * 0.98)


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_BREAK_NEAR_CJK = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")
NBSP = "\u00a0"


def cjk_breaks(text: str) -> str:
    """Let Chinese wrap between any two characters, as Chinese text does.

    Kivy wraps at spaces and splits a word only when it alone is too long for a line, so
    "1. 公司登记…" would wrap after "1." A space next to a CJK character becomes a
    no-break space, which makes the CJK run one long word that Kivy splits anywhere.
    """
    return _BREAK_NEAR_CJK.sub(NBSP, text)
