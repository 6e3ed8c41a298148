"""The screens' words, colours, QR codes and line breaking, without a window."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest

from devices.protocol import messages as m
from kiosk import words
from kiosk.controller import CODE_KEYS, CODE_MAX
from kiosk.ui import texts
from kiosk.ui.qr import qr_modules, qr_rgba
from kiosk.ui.theme import ELDERLY_SCALE, HIGH_CONTRAST, STANDARD, Palette, theme_for
from kiosk.ui.typeset import NBSP, cjk_breaks, fit_font, text_width

PAIRS = [("background", "text"), ("background", "muted"), ("card", "card_text"),
         ("card", "muted"), ("primary", "primary_text"), ("secondary", "secondary_text"),
         ("helper", "helper_text"), ("header_bg", "header_text"), ("info", "info_text"),
         ("warn", "warn_text"), ("error", "error_text"), ("disabled", "disabled_text"),
         ("card", "accent")]


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def lum(c: tuple[float, ...]) -> float:
        r, g, bl = (v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * bl

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(("palette", "least"), [(STANDARD, 4.5), (HIGH_CONTRAST, 7.0)])
def test_every_text_colour_meets_wcag_contrast(palette: Palette, least: float) -> None:
    # AA (4.5:1) for the standard look, AAA (7:1) for large-type high-contrast mode.
    low = {f"{bg}/{fg}": round(contrast(getattr(palette, bg), getattr(palette, fg)), 2)
           for bg, fg in PAIRS}
    assert all(v >= least for v in low.values()), low


def test_large_type_is_at_least_one_and_a_half_times_larger() -> None:
    normal = theme_for(1080, 1920, elderly=False)
    large = theme_for(1080, 1920, elderly=True)
    assert ELDERLY_SCALE >= 1.4
    assert large.body / normal.body >= 1.4
    assert large.button_height / normal.button_height >= 1.4
    assert large.palette is HIGH_CONTRAST and normal.palette is STANDARD
    # A landscape 1920x1080 terminal has the same short side: the same sizes.
    assert theme_for(1920, 1080, elderly=False).body == normal.body
    assert theme_for(1920, 1080, elderly=False).landscape


def test_the_qr_code_decodes_and_is_a_full_qr_code() -> None:
    url = "https://hall.example.gov.cn/t/Xq3v9kPz2LwR8sT1"
    side, data = qr_rgba(url)
    assert len(data) == side * side * 4
    rows = qr_modules(url)
    assert len(rows) == side and side >= 21 + 8  # version 1 or more (not Micro QR) + quiet zone
    image = np.frombuffer(data, dtype=np.uint8).reshape(side, side, 4)[::-1, :, :3]
    big = cv2.resize(np.ascontiguousarray(image), (side * 8, side * 8),
                     interpolation=cv2.INTER_NEAREST)
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(big)
    assert text == url


def test_chinese_wraps_anywhere_and_english_at_spaces() -> None:
    assert cjk_breaks("1. 公司登记（备案）") == f"1.{NBSP}公司登记（备案）"
    assert cjk_breaks("复印件 1 份") == f"复印件{NBSP}1{NBSP}份"
    assert cjk_breaks("Please go to Zone A") == "Please go to Zone A"
    assert cjk_breaks("Free (自有 房产)") == f"Free (自有{NBSP}房产)"


def test_fit_font_shrinks_only_what_does_not_fit() -> None:
    assert fit_font("A012", 2000, 200) == 200
    small = fit_font("呼叫工作人员", 300, 60)
    assert small < 60 and text_width("呼叫工作人员", small) <= 300


def test_code_keys_and_the_blank_code_follow_the_controller() -> None:
    assert sorted(CODE_KEYS) == sorted("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert texts.code_template() == "____-____-____-____"
    assert len(texts.code_template()) == CODE_MAX
    assert texts.shown_code("7K3M-9Q") == "7K3M-9Q__-____-____"
    assert texts.shown_code("7K3M-9Q2X-H4TB-8W6R") == "7K3M-9Q2X-H4TB-8W6R"


def test_phrases_in_both_languages() -> None:
    assert texts.waiting(7) == texts.W("等候 7 人", "7 waiting")
    assert texts.people_ahead(0).zh.startswith("前面没有人")
    assert texts.predicted_wait(None).en == "No wait estimate right now"
    assert texts.windows([1, 2, 5]).zh == "1、2、5 号窗口"
    assert texts.windows([7]).en == "window 7"
    zone = m.Text(zh="综合受理A区", en="Zone A")
    assert texts.go_to(zone, [1, 2], 1).zh == "请到 1 楼 综合受理A区 1、2 号窗口 等候"
    assert texts.go_to(zone, [1, 2], -1).en == "Please go to Zone A, basement 1, windows 1, 2"
    assert texts.time_limit(0, 0).zh.startswith("即办件")
    assert texts.time_limit(1, 3).en == \
        "Promised within 1 working day (legal limit 3 working days)"
    assert texts.time_limit(1, 30, "hours").zh == "承诺时限 1 小时（法定 30 个工作日）"
    assert texts.time_limit(1, 30, "hours").en == \
        "Promised within 1 hour (legal limit 30 working days)"
    assert texts.time_limit(5, 5).zh == "承诺时限 5 个工作日"
    assert texts.fee(0, None).zh == "不收费"
    assert texts.fee(80, "按实际刻章数量").zh == "收费 80 元（按实际刻章数量）"
    copies = m.CatalogMaterial(name="申请书", original=True, copies=2, note="签字")
    assert texts.material(copies).zh == "申请书（原件、复印件 2 份）：签字"
    assert texts.material(copies).en == "申请书 (original, 2 copies): 签字"
    assert texts.days_left(-2).level.value == "error"
    assert texts.days_left(-2).zh == "已超期 2 个工作日"
    assert texts.days_left(1).en == "1 working day left"
    assert texts.ticket_state("no_show").zh == "已过号"
    assert texts.ticket_state("odd-state").en == "odd-state"
    assert words.language_switch("zh", ("zh", "en")).zh == "English"
    assert words.language_switch("en", ("zh", "en")).en == "中文"


def test_times_are_shown_in_the_halls_zone() -> None:
    at = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 00:30 the next day in Shanghai
    assert texts.date_time(at, ZoneInfo("Asia/Shanghai")) == "2026-11-24 00:30"
    assert texts.issued_at(at, ZoneInfo("Asia/Shanghai")).en == "Taken at 2026-11-24 00:30"
