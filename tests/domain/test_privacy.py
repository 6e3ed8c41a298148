"""Masking ID-card and mobile numbers however people write them (issue #16 item 5)."""

from __future__ import annotations

import logging
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallserver.domain.privacy import MaskingFormatter, mask_personal, one_line

SEPARATORS = [" ", "\u3000", "-", "－", "—", ".", "·", "_", "/", " - "]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
SURROUNDING = st.text(st.sampled_from("abcXYZ电话身份证号：,，。 ()【】"), max_size=8)


@st.composite
def written(draw: st.DrawFn, digits: str) -> str:
    """`digits` as someone might type them: split anywhere, joined by separators, some or
    all characters full-width."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=4)))
    parts = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    text = parts[0]
    for part in parts[1:]:
        text += draw(st.sampled_from(["", *SEPARATORS])) + part
    if draw(st.booleans()):
        text = "".join(c.translate(FULL_WIDTH) if draw(st.booleans()) else c for c in text)
    return text


def ascii_digits(text: str) -> str:
    table = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
    return "".join(c for c in text.translate(table) if c.isdigit() or c in "Xx*")


ids = st.builds(lambda body, last: body + last,
                st.text("0123456789", min_size=17, max_size=17),
                st.sampled_from("0123456789X"))
mobiles = st.builds(lambda second, rest: "1" + second + rest,
                    st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9))


@given(data=st.data(), number=ids, before=SURROUNDING, after=SURROUNDING)
def test_an_id_number_never_survives(data: st.DataObject, number: str, before: str,
                                     after: str) -> None:
    text = before + data.draw(written(number)) + after
    masked = mask_personal(text)
    assert number not in ascii_digits(masked)
    assert f"{number[:6]}********{number[14:]}" in masked


@given(data=st.data(), number=mobiles, before=SURROUNDING, after=SURROUNDING,
       country=st.sampled_from(["", "86", "+86", "+86 ", "86-"]))
def test_a_mobile_number_never_survives(data: st.DataObject, number: str, before: str,
                                        after: str, country: str) -> None:
    text = before + country + data.draw(written(number)) + after
    masked = mask_personal(text)
    assert number not in ascii_digits(masked)
    assert f"{number[:3]}****{number[7:]}" in masked


@given(st.text(st.characters(exclude_categories=("Nd",)), max_size=40))
def test_text_without_digits_is_left_alone(text: str) -> None:
    assert mask_personal(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    # the 11 ways of writing issue #16 tried, the 7 that passed unmasked among them
    ("110101199003071234", "110101********1234"),
    ("ID110101199003071234", "ID110101********1234"),
    ("110101199003071234abc", "110101********1234abc"),
    ("110101 19900307 1234", "110101********1234"),
    ("110101-1990-0307-123X", "110101********123X"),
    ("13812345678", "138****5678"),
    ("138 1234 5678", "138****5678"),
    ("138.1234.5678", "138****5678"),
    ("1381 234 5678", "138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("+86 138-1234-5678", "+86 138****5678"),
    # what is not a number of either kind stays
    ("2026-12-07 10:30", "2026-12-07 10:30"),
    ("请 A013 号到 1 号窗口", "请 A013 号到 1 号窗口"),
    ("窗口 1 2 3 4 5 6 7 8 9 10 11", "窗口 1 2 3 4 5 6 7 8 9 10 11"),
    ("电话13812345678 2份", "电话138****5678 2份"),
])
def test_known_formats(text: str, expected: str) -> None:
    assert mask_personal(text) == expected


@given(st.text())
def test_one_line_leaves_no_line_break_or_control_character(text: str) -> None:
    line = one_line(text)
    assert "\n" not in line and "\r" not in line
    assert all(ch.isprintable() or unicodedata.category(ch) == "Zs" for ch in line)
    if text.isprintable():
        assert line == text  # ordinary text, Chinese included, is left as it is


def test_a_log_record_is_one_line_masked_whatever_the_client_typed() -> None:
    formatter = MaskingFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "login failed: %s from %s",
                               ("x\nINFO admin logged in 13812345678\x1b[2J", "10.0.0.9"),
                               None)
    out = formatter.format(record)
    assert out.count("\n") == 0
    assert out == ("WARNING login failed: x\\nINFO admin logged in 138****5678\\x1b[2J "
                   "from 10.0.0.9")
