"""The words of a call: shown text and the Mandarin spelling read aloud."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import DEMO_CONFIG

from hallserver.config import load_hall
from hallserver.domain.announce import call_place, call_text, cardinal, spell_name, spell_ticket


@pytest.mark.parametrize(("n", "said"), [
    (0, "零"), (1, "一"), (2, "二"), (5, "五"), (10, "十"), (11, "十一"), (15, "十五"),
    (20, "二十"), (24, "二十四"), (99, "九十九"), (100, "一百"), (101, "一百零一"),
    (110, "一百一十"), (120, "一百二十"), (999, "九百九十九"), (1000, "一千"),
    (1001, "一千零一"), (1010, "一千零一十"), (1100, "一千一百"), (9999, "九千九百九十九"),
])
def test_cardinal(n: int, said: str) -> None:
    assert cardinal(n) == said


@pytest.mark.parametrize("n", [-1, 10_000])
def test_cardinal_range(n: int) -> None:
    with pytest.raises(ValueError, match=r"0\.\.9999"):
        cardinal(n)


@pytest.mark.parametrize(("number", "said"), [
    ("A012", "A零一二"), ("B100", "B一零零"), ("G007", "G零零七"), ("A1000", "A一零零零"),
])
def test_ticket_digits_are_read_one_by_one(number: str, said: str) -> None:
    assert spell_ticket(number) == said


def test_plain_call() -> None:
    assert call_text("A012", 5) == ("请 A012 号到 5 号窗口办理",
                                    "Ticket A012, please go to window 5",
                                    "请A零一二号，到五号窗口办理")
    assert call_text("B100", 15)[2] == "请B一零零号，到十五号窗口办理"
    assert call_text("C003", 20)[2] == "请C零零三号，到二十号窗口办理"


def test_every_demo_window_is_called_by_its_number() -> None:
    # The demo hall names its windows "5号窗口（绿色通道）": the note is not read out and the
    # text stays the plain one.
    cfg = load_hall(DEMO_CONFIG)
    for w in cfg.windows:
        zh, en, speech = call_text("A012", w.number, w.name.zh, w.name.en)
        assert (zh, en, speech) == call_text("A012", w.number), w.name
        assert "绿色通道" not in speech and "快办" not in speech
        assert not re.search(r"\d", speech.removeprefix("请A")), speech


@pytest.mark.parametrize(("name", "name_en", "zh", "en", "speech"), [
    ("综合受理3号窗口", "General Services Window 3", "请 A012 号到综合受理 3 号窗口办理",
     "Ticket A012, please go to General Services Window 3", "请A零一二号，到综合受理三号窗口办理"),
    ("二楼15号窗口", None, "请 A012 号到二楼 15 号窗口办理",
     "Ticket A012, please go to window 7", "请A零一二号，到二楼十五号窗口办理"),
    ("不动产登记12号窗口（绿色通道）", "Real Estate Window 12 (Priority Lane)",
     "请 A012 号到不动产登记 12 号窗口办理", "Ticket A012, please go to Real Estate Window 12",
     "请A零一二号，到不动产登记十二号窗口办理"),
    ("３楼２０号窗口", "Window 7", "请 A012 号到 3 楼 20 号窗口办理",
     "Ticket A012, please go to window 7", "请A零一二号，到三楼二十号窗口办理"),
    ("B区2号窗口", "Zone B Window 2", "请 A012 号到 B区 2 号窗口办理",
     "Ticket A012, please go to Zone B Window 2", "请A零一二号，到B区二号窗口办理"),
])
def test_a_name_with_its_own_number_is_said(name: str, name_en: str | None, zh: str, en: str,
                                            speech: str) -> None:
    assert call_text("A012", 7, name, name_en) == (zh, en, speech)


@pytest.mark.parametrize("name", ["税务专窗", "12345热线窗口", "综合受理", "", None])
def test_a_name_without_a_number_falls_back_to_the_window_number(name: str | None) -> None:
    assert call_place(name) is None
    assert call_text("A012", 7, name, "Some Desk") == call_text("A012", 7)


def test_spell_name_reads_uncounted_digits_one_by_one() -> None:
    assert spell_name("12345热线3号窗口") == "一二三四五热线三号窗口"
    assert spell_name("10层 110室") == "十层一百一十室"


@given(st.from_regex(r"[A-Z][0-9]{3,4}", fullmatch=True), st.integers(1, 999))
def test_speech_has_no_arabic_digits_and_text_names_both(number: str, window: int) -> None:
    zh, en, speech = call_text(number, window)
    assert not re.search(r"\d", speech)
    assert f" {number} 号" in zh and f" {window} 号窗口" in zh
    assert number in en and str(window) in en
