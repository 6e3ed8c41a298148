"""The ESC/POS reader on streams python-escpos makes itself, and on broken streams."""

from __future__ import annotations

import numpy as np
import pytest
from escpos.printer import Dummy
from PIL import Image

from devices.printer.decode import (
    Command,
    ParseError,
    Raster,
    TextRun,
    command_length,
    parse,
    qr_urls,
    text_of,
)

URL = "https://hall.example.gov.cn/t/Q7"


def _printer() -> Dummy:
    return Dummy(profile="TM-T88III")  # a profile with a known width: no centring warning


def _checker() -> Image.Image:
    image = Image.new("1", (16, 4), 1)
    for x in range(0, 16, 2):
        image.putpixel((x, 0), 0)
    image.putpixel((15, 3), 0)
    return image


@pytest.mark.parametrize("impl", ["bitImageRaster", "graphics", "bitImageColumn"])
def test_python_escpos_images_come_back_dot_for_dot(impl: str) -> None:
    p = _printer()
    p.image(_checker(), impl=impl)
    rasters = [s for s in parse(p.output) if isinstance(s, Raster)]
    assert len(rasters) == 1
    pixels = rasters[0].pixels
    assert pixels[0, 0:16:2].all() and not pixels[0, 1:16:2].any()
    assert pixels[3, 15]
    assert pixels.sum() == 9  # nothing else is black (column mode pads rows with white)


@pytest.mark.parametrize("impl", ["bitImageRaster", "graphics"])
def test_qr_codes_python_escpos_renders_as_images_decode(impl: str) -> None:
    p = _printer()
    p.qr(URL, size=4, image_arguments={"impl": impl})
    assert qr_urls(p.output) == [URL]


def test_a_native_qr_code_is_a_command_not_an_image() -> None:
    p = _printer()
    p.qr(URL, native=True)
    segments = parse(p.output)
    codes = [s for s in segments if isinstance(s, Command) and s.name == "2d-code"]
    assert len(codes) == 5
    assert URL.encode() in codes[3].raw
    assert qr_urls(p.output) == []


def test_text_style_is_tracked() -> None:
    p = _printer()
    p.set(align="center", bold=True, custom_size=True, width=3, height=2)
    p._raw("中文\n".encode("gb18030"))
    p.set(normal_textsize=True, bold=False, align="left", invert=True)
    p._raw(b"plain\n")
    p.hw("INIT")
    p._raw(b"reset\n")
    runs = [s for s in parse(p.output) if isinstance(s, TextRun)]
    assert runs[0] == TextRun("中文\n", "center", 3, 2, True, False, False)
    assert runs[1] == TextRun("plain\n", "left", 1, 1, False, True, False)
    assert runs[2] == TextRun("reset\n")


def test_cuts_and_feeds_are_named() -> None:
    p = _printer()
    p.cut()
    p.cut(mode="PART")
    p.cut(feed=False)
    names = [s.name for s in parse(p.output) if isinstance(s, Command)]
    assert names == ["feed-lines", "cut", "feed-lines", "cut", "cut"]


def test_unknown_commands_stray_bytes_and_bad_text_are_refused() -> None:
    with pytest.raises(ParseError) as unknown:
        parse(b"ok\x1b\xff")
    assert unknown.value.offset == 2
    with pytest.raises(ParseError):
        parse(b"a\x07b")  # BEL is not something our printouts contain
    with pytest.raises(ParseError):
        parse(b"\x1dv0\x00\x02\x00\x02\x00\xff")  # image data cut short
    with pytest.raises(ParseError):
        parse(b"\x81\x20")  # half a GB18030 character


def test_command_length_says_when_a_command_is_incomplete() -> None:
    header = b"\x1dv0\x00\x01\x00\x02\x00"
    assert command_length(header, 0) is None
    assert command_length(header + b"\x00\x00", 0) == 10
    assert command_length(b"\x10\x04", 0) is None
    assert command_length(b"\x10\x04\x04", 0) == 3
    assert command_length(b"\x1dV", 0) is None
    assert command_length(b"\x1dVA\x03", 0) == 4


def test_text_of_skips_images_and_decodes_gb18030() -> None:
    p = _printer()
    p._raw(b"\x1c&" + "号码１".encode("gb18030") + b"\x1c.\n")
    p.image(_checker())
    p._raw(b"end\n")
    assert text_of(p.output) == "号码１\nend\n"


def test_a_blank_or_wide_image_is_not_taken_for_a_qr_code() -> None:
    p = _printer()
    p.image(Image.new("1", (64, 64), 1))
    p.image(Image.new("1", (256, 24), 0))
    assert qr_urls(p.output) == []
    assert all(isinstance(s.pixels, np.ndarray)
               for s in parse(p.output) if isinstance(s, Raster))
