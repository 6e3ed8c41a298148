"""What a citizen would see: the rendered bytes read back by the independent decoder.

Text comes back as GB18030 strings, the QR raster is decoded with OpenCV to the exact URL,
and in image mode the Chinese lines must be pictures (no `?`, no non-ASCII text bytes).
"""

from __future__ import annotations

import pytest
from escpos.printer import Dummy
from printer_support import HALL_NAME, RECEIPT, REPRINT_AT, TICKET, TZ

from devices.printer.decode import Command, Raster, TextRun, parse, qr_urls, text_of
from devices.printer.render import (
    PrintProfile,
    qr_bitmap,
    render_receipt,
    render_ticket,
    text_dots,
    wrap,
)
from devices.protocol import messages as m

GB_80 = PrintProfile(chinese="gb18030", paper_width_mm=80)
GB_58 = PrintProfile(chinese="gb18030", paper_width_mm=58)
IMAGE_58 = PrintProfile(chinese="image", paper_width_mm=58)
IMAGE_80 = PrintProfile(chinese="image", paper_width_mm=80)


def _flat(text: str) -> str:
    """Text without spaces and line breaks: a 58 mm line wraps where an 80 mm one does not."""
    return "".join(text.split())


# ---- tickets ------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", [GB_80, GB_58], ids=["80mm", "58mm"])
def test_a_gb18030_ticket_reads_back_with_every_field(profile: PrintProfile) -> None:
    data = render_ticket(TICKET, profile, tz=TZ, hall_name=HALL_NAME)
    text = _flat(text_of(data))
    for expected in ("A012", "企业开办", "Business registration", "一楼综合受理A区",
                     "1, 2, 3, 5", "等候人数", "7", "预计等候", "18 分钟", "某市政务服务中心",
                     "2024-03-04 09:15"):  # issued 01:15 UTC = 09:15 in Shanghai
        assert _flat(expected) in text, expected
    assert "?" not in text
    assert "补打" not in text and "REPRINT" not in text


def test_the_ticket_number_is_the_largest_text_and_bold() -> None:
    segments = parse(render_ticket(TICKET, GB_80, tz=TZ))
    number = next(s for s in segments if isinstance(s, TextRun) and s.text.strip() == "A012")
    others = [s for s in segments if isinstance(s, TextRun) and s.text.strip() != "A012"]
    assert number.width >= 4 and number.height >= 4
    assert number.bold and number.align == "center"
    assert all(s.width < number.width for s in others)


@pytest.mark.parametrize("profile", [GB_80, GB_58, IMAGE_58, IMAGE_80],
                         ids=["gb80", "gb58", "image58", "image80"])
def test_the_qr_code_decodes_to_the_exact_url(profile: PrintProfile) -> None:
    data = render_ticket(TICKET, profile, tz=TZ, hall_name=HALL_NAME)
    assert qr_urls(data) == [TICKET.qr_url]


def test_the_qr_code_is_a_raster_image_not_a_native_code() -> None:
    segments = parse(render_ticket(TICKET, GB_80, tz=TZ))
    assert not any(isinstance(s, Command) and s.name == "2d-code" for s in segments)
    assert [s.command for s in segments if isinstance(s, Raster)] == ["GS v 0"]


def test_every_raster_fits_the_paper() -> None:
    for profile in (GB_58, IMAGE_58, GB_80, IMAGE_80):
        for data in (render_ticket(TICKET, profile, tz=TZ, hall_name=HALL_NAME),
                     render_receipt(RECEIPT, profile, tz=TZ, hall_name=HALL_NAME)):
            widths = [s.pixels.shape[1] for s in parse(data) if isinstance(s, Raster)]
            assert widths and max(widths) <= profile.dots


def test_a_reprint_carries_the_banner_and_the_reprint_time() -> None:
    data = render_ticket(TICKET, GB_80, tz=TZ, reprint_at=REPRINT_AT)
    segments = parse(data)
    banner = next(s for s in segments if isinstance(s, TextRun) and "补打" in s.text)
    assert "REPRINT" in banner.text and banner.invert and banner.bold
    assert "2024-03-04 10:40" in text_of(data)  # 02:40 UTC, in the hall's time
    # the banner comes before the ticket number
    assert text_of(data).index("补打") < text_of(data).index("A012")


def test_a_reprint_in_image_mode_shows_an_inverted_bar() -> None:
    plain = parse(render_ticket(TICKET, IMAGE_58, tz=TZ))
    reprint = parse(render_ticket(TICKET, IMAGE_58, tz=TZ, reprint_at=REPRINT_AT))
    first = next(s for s in reprint if isinstance(s, Raster))
    assert first.pixels.shape[1] == IMAGE_58.dots
    assert first.pixels.mean() > 0.5  # white letters on a black bar
    assert sum(isinstance(s, Raster) for s in reprint) > sum(isinstance(s, Raster) for s in plain)


def test_image_mode_prints_chinese_only_as_pictures() -> None:
    data = render_ticket(TICKET, IMAGE_58, tz=TZ, hall_name=HALL_NAME, reprint_at=REPRINT_AT)
    text = text_of(data)
    assert text.isascii() and "?" not in text
    assert "A012" in text  # the number stays native text
    assert "Business registration" in text  # ASCII-only lines stay text
    assert "企业开办" not in text
    rasters = [s for s in parse(data) if isinstance(s, Raster)]
    assert len(rasters) >= 8  # banner, hall, category, people, wait, zone, windows, QR, ...
    assert not any(b >= 0x80 for s in parse(data) if isinstance(s, TextRun)
                   for b in s.text.encode("gb18030"))


def test_text_lines_fit_the_paper() -> None:
    for profile in (GB_58, GB_80):
        for data in (render_ticket(TICKET, profile, tz=TZ, hall_name=HALL_NAME),
                     render_receipt(RECEIPT, profile, tz=TZ, hall_name=HALL_NAME)):
            for run in (s for s in parse(data) if isinstance(s, TextRun)):
                for line in run.text.splitlines():
                    assert text_dots(line) * run.width <= profile.dots, line


def test_the_ticket_ends_with_one_cut() -> None:
    segments = parse(render_ticket(TICKET, GB_80, tz=TZ))
    cuts = [i for i, s in enumerate(segments) if isinstance(s, Command) and s.name == "cut"]
    assert cuts == [len(segments) - 1]
    assert isinstance(segments[0], Command) and segments[0].name == "init"


# ---- receipts ------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", [GB_80, GB_58], ids=["80mm", "58mm"])
def test_a_receipt_reads_back_with_every_field(profile: PrintProfile) -> None:
    data = render_receipt(RECEIPT, profile, tz=TZ, hall_name=HALL_NAME)
    text = _flat(text_of(data))
    for expected in ("收件回执", "GS2024030400017", "食品经营许可证新办",
                     "New food business licence", "营业执照变更登记",
                     "营业执照副本（复印件）１份", "法定代表人身份证明", "限时办结",
                     "受理窗口 Window: 5", "首问负责人", "李明 10005", "2024-03-04 09:30"):
        assert _flat(expected) in text, expected
    # promised 2024-03-15 16:30 UTC is already 2024-03-16 in the hall
    assert "2024-03-16" in text and "2024-03-15" not in text
    assert "?" not in text
    assert qr_urls(data) == [RECEIPT.qr_url]


def test_a_provisional_deadline_is_printed_as_such() -> None:
    """A deadline reaching a year whose holidays are not announced may move: it says so."""
    firm = _flat(text_of(render_receipt(RECEIPT, GB_80, tz=TZ, hall_name=HALL_NAME)))
    doc = RECEIPT.model_copy(update={"promised_provisional": True})
    text = _flat(text_of(render_receipt(doc, GB_80, tz=TZ, hall_name=HALL_NAME)))
    assert "暂定" not in firm
    for expected in ("2024-03-16（暂定 provisional）", "节假日安排未公布，日期可能调整",
                     "the date may move"):
        assert _flat(expected) in text, expected


def test_a_receipt_in_image_mode_decodes_and_has_no_chinese_bytes() -> None:
    data = render_receipt(RECEIPT, IMAGE_58, tz=TZ, hall_name=HALL_NAME, reprint_at=REPRINT_AT)
    assert text_of(data).isascii()
    assert "GS2024030400017" not in text_of(data)  # on a line with Chinese: an image
    assert qr_urls(data) == [RECEIPT.qr_url]


def test_a_reprinted_receipt_says_so() -> None:
    data = render_receipt(RECEIPT, GB_80, tz=TZ, reprint_at=REPRINT_AT)
    assert "补打 REPRINT" in text_of(data)


# ---- characters ----------------------------------------------------------------------------

RARE = m.Text(zh="１２３：（㐀䶮鿐）", en="Rare")  # full-width only, CJK ext. A, U+9FD0


def test_python_escpos_alone_would_print_question_marks() -> None:
    # The trap this renderer avoids: keep it visible, so a python-escpos upgrade that fixes
    # it is noticed (and this workaround reconsidered).
    printer = Dummy()
    printer.text("１２３：（㐀䶮）")
    assert b"?" in printer.output


@pytest.mark.parametrize("profile", [GB_80, GB_58], ids=["80mm", "58mm"])
def test_full_width_and_rare_characters_never_print_as_question_marks(
        profile: PrintProfile) -> None:
    doc = TICKET.model_copy(update={"category_name": RARE, "zone": RARE})
    data = render_ticket(doc, profile, tz=TZ, hall_name=m.Text(zh="１２３", en="x"))
    text = text_of(data)
    assert "１２３：（㐀䶮鿐）" in _flat(text)
    assert "１２３\n" in text
    assert "?" not in text
    # every non-ASCII line is sent in Chinese mode
    runs = [s for s in parse(data) if isinstance(s, TextRun) and not s.text.isascii()]
    assert runs and all(s.kanji for s in runs)


def test_rare_characters_in_image_mode_are_pictures() -> None:
    doc = TICKET.model_copy(update={"category_name": RARE})
    data = render_ticket(doc, IMAGE_80, tz=TZ)
    assert text_of(data).isascii() and "?" not in text_of(data)


def test_control_characters_in_a_document_cannot_inject_commands() -> None:
    evil = m.Text(zh="企业\x1bi\x1dV\x00开办\x1b@", en="Cut\x1dV\x01 here\x10\x04\x01")
    data = render_ticket(TICKET.model_copy(update={"category_name": evil}), GB_80, tz=TZ)
    segments = parse(data)  # a stray control byte would make this raise
    names = [s.name for s in segments if isinstance(s, Command)]
    assert names.count("cut") == 1 and names.count("init") == 1
    assert "status-query" not in names
    assert "企业 i V 开办 @" in text_of(data)


# ---- helpers -------------------------------------------------------------------------------

def test_wrap_keeps_words_and_breaks_long_ones() -> None:
    assert wrap("Please listen for your number", 12 * 12, text_dots) == [
        "Please", "listen for", "your number"]
    assert wrap("x" * 30, 10, len) == ["x" * 10] * 3
    assert wrap("一二三四五", 4 * 12, text_dots) == ["一二", "三四", "五"]


def test_qr_bitmaps_are_full_qr_codes_with_a_quiet_zone() -> None:
    bitmap = qr_bitmap("A1", 384)  # short text: segno.make would pick a Micro QR
    assert bitmap.shape[0] == bitmap.shape[1]
    assert not bitmap[:8].any() and not bitmap[:, :8].any()  # white margin
    modules = (21 + 8)  # version 1 QR plus quiet zone: never Micro QR (11-17 modules)
    assert bitmap.shape[0] % modules == 0


def test_the_profile_narrows_the_line_for_a_model_with_fewer_dots() -> None:
    assert PrintProfile(paper_width_mm=80).dots == 576
    assert PrintProfile(paper_width_mm=58).dots == 384
    assert PrintProfile(paper_width_mm=80, escpos_profile="TM-T88III").dots == 512
    with pytest.raises(KeyError):
        PrintProfile(escpos_profile="no-such-model")
