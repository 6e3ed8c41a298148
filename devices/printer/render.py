"""Tickets and receipts as ESC/POS bytes: pure functions of the document and the profile.

Why it is built this way:

- Pure and clock-free: the same document and profile give the same bytes (golden tests);
  a reprint's time is passed in, never read here.
- Text goes out through `_raw`, not python-escpos `text()`: its encoder sends a string as
  GB18030 only when it contains a common ideograph (U+4E00-U+9FA5) and turns full-width-only
  strings (１２：) and rarer characters (㐀, 䶮) into `?`. Here every non-ASCII line is
  encoded as GB18030 by us, between FS & (Chinese mode on) and FS . (off), so every
  character round-trips; ASCII lines go out as ASCII.
- In `image` mode a line with any non-ASCII character is drawn with Pillow and the CJK font
  and sent as a `GS v 0` raster, for printers without a Chinese font. ASCII lines and the
  big ticket number stay native text (fast, sharp).
- The QR code is always a raster image (`GS v 0`) drawn by us with `segno.make_qr` (never a
  Micro QR, which OpenCV cannot read), so it prints on any printer and decodes back.
- Images are centred by padding the bitmap on the left, with the printer left-aligned:
  printers differ in whether `ESC a` moves a raster image.
- Every field is stripped of control characters: a document's text must not be able to
  smuggle an ESC/POS command (a cut, a drawer kick) into the stream.
- Tickets carry nothing personal: the document type has no personal fields, and this
  module prints only what the document carries.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import segno
from escpos.capabilities import get_profile
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from devices.config.models import Printer
from devices.protocol.messages import ReceiptDocument, Text, TicketDocument

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
PAPER_DOTS = {58: 384, 80: 576}
"""Printable dots per line at 203 dpi for each paper width."""
CHAR_DOTS = 12
"""Width of one ASCII character in the printer's font A; a Chinese character is twice that."""
LINE_DOTS = 24
"""Height of one line of font A (and of a Chinese character)."""

Align = Literal["left", "center"]
Bitmap = npt.NDArray[np.bool_]
"""A 1-bit picture, True = a black dot, shape (rows, columns)."""

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
KANJI_ON, KANJI_OFF = FS + b"&", FS + b"."
_ALIGN = {"left": 0, "center": 1}


@dataclass(frozen=True)
class PrintProfile:
    """What the renderer needs to know about a printer."""

    chinese: Literal["gb18030", "image"] = "gb18030"
    paper_width_mm: Literal[58, 80] = 80
    escpos_profile: str = "default"
    font_path: Path = DEFAULT_FONT

    def __post_init__(self) -> None:
        get_profile(self.escpos_profile)  # KeyError now, not in the middle of a job

    @classmethod
    def from_config(cls, printer: Printer, *, font_path: Path = DEFAULT_FONT) -> PrintProfile:
        """The profile of a printer device config."""
        return cls(chinese=printer.chinese, paper_width_mm=printer.paper_width_mm,
                   escpos_profile=printer.profile, font_path=font_path)

    @property
    def dots(self) -> int:
        """Printable width in dots: the paper's, or less when the model's profile says so."""
        paper = PAPER_DOTS[self.paper_width_mm]
        pixels = get_profile(self.escpos_profile).profile_data.get("media", {}) \
            .get("width", {}).get("pixels")
        return min(paper, pixels) if isinstance(pixels, int) and pixels > 0 else paper

    @property
    def columns(self) -> int:
        """ASCII characters per line at normal size."""
        return self.dots // CHAR_DOTS


# ---- text helpers -----------------------------------------------------------------------

def clean(text: str) -> str:
    """The text without control and format characters (no ESC/POS injection, no bidi tricks)."""
    return "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch
                   for ch in text).rstrip()


def is_ascii(text: str) -> bool:
    """Whether the printer's own ASCII font can print the text."""
    return all(" " <= ch <= "~" for ch in text)


def text_dots(text: str) -> int:
    """Width of text in the printer font: 12 dots per ASCII character, 24 otherwise."""
    return sum(CHAR_DOTS if ord(ch) < 0x80 else 2 * CHAR_DOTS for ch in text)


def _tokens(text: str) -> Iterator[str]:
    """Words of ASCII text (with their trailing space) and single other characters."""
    word = ""
    for ch in text:
        if ord(ch) < 0x80 and ch != " ":
            word += ch
            continue
        if word:
            yield word
            word = ""
        yield ch
    if word:
        yield word


def wrap(text: str, width: int, measure: Callable[[str], float]) -> list[str]:
    """Greedy wrap of text into lines no wider than `width` (a long word is cut)."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if measure(line + token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = token.lstrip()
        while measure(line) > width and len(line) > 1:  # a word longer than the line
            cut = len(line)
            while cut > 1 and measure(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


@lru_cache(maxsize=16)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, index=0)


# ---- bitmaps ----------------------------------------------------------------------------

def raster_command(pixels: Bitmap) -> bytes:
    """`GS v 0` for a bitmap (its width rounded up to whole bytes with white)."""
    rows, cols = int(pixels.shape[0]), int(pixels.shape[1])
    width_bytes = (cols + 7) // 8
    padded = np.zeros((rows, width_bytes * 8), dtype=bool)
    padded[:, :cols] = pixels
    data = bytes(np.packbits(padded, axis=1))  # most significant bit = leftmost dot
    return (GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
            + data)


def place(pixels: Bitmap, dots: int, align: Align) -> Bitmap:
    """The bitmap padded on the left so it sits centred on a line of `dots` (no right pad)."""
    cols = pixels.shape[1]
    left = max(0, (dots - cols) // 2) if align == "center" else 0
    if left == 0:
        return pixels
    out = np.zeros((pixels.shape[0], left + cols), dtype=bool)
    out[:, left:] = pixels
    return out


def qr_bitmap(data: str, dots: int) -> Bitmap:
    """A full QR code (never Micro QR) with its 4-module quiet zone, about half the line wide."""
    code = segno.make_qr(data, error="m")
    modules = np.array([list(row) for row in code.matrix], dtype=bool)
    modules = np.pad(modules, 4, constant_values=False)
    scale = max(2, min(8, (dots // 2) // modules.shape[0]))
    return np.kron(modules, np.ones((scale, scale), dtype=bool)).astype(bool)


def text_bitmap(text: str, font_path: Path, size: int, *, bold: bool = False,
                invert: bool = False, width: int | None = None) -> Bitmap:
    """One line of text drawn with the CJK font, 24 dots high per size step."""
    font = _font(font_path, LINE_DOTS * size)
    ascent, descent = font.getmetrics()
    ink = int(np.ceil(font.getlength(text))) + (1 if bold else 0)
    cols = max(1, width if width is not None else ink)
    image = Image.new("1", (cols, ascent + descent), 0 if invert else 1)
    draw = ImageDraw.Draw(image)
    x = (cols - ink) // 2 if width is not None else 0
    ink_colour = 1 if invert else 0
    draw.text((x, 0), text, font=font, fill=ink_colour)
    if bold:  # a second pass one dot to the right: no synthetic-bold support in mode "1"
        draw.text((x + 1, 0), text, font=font, fill=ink_colour)
    return ~np.asarray(image, dtype=bool)  # mode "1": True = white


# ---- the document builder ---------------------------------------------------------------

@dataclass
class _Style:
    align: Align = "left"
    size: int = 1
    bold: bool = False
    invert: bool = False


class _Builder:
    """Lines and pictures onto a python-escpos Dummy, sending style changes only."""

    def __init__(self, profile: PrintProfile) -> None:
        self.profile = profile
        self.dots = profile.dots
        self.printer = Dummy(profile=profile.escpos_profile)
        self.printer.hw("INIT")
        self.state = _Style()

    def _style(self, style: _Style) -> None:
        p, now = self.printer, self.state
        if style.align != now.align:
            p._raw(ESC + b"a" + bytes([_ALIGN[style.align]]))
        if style.size != now.size:
            p.set(custom_size=True, width=style.size, height=style.size)
        if style.bold != now.bold:
            p.set(bold=style.bold)
        if style.invert != now.invert:
            p.set(invert=style.invert)
        self.state = style

    def line(self, text: str, *, align: Align = "left", size: int = 1, bold: bool = False,
             invert: bool = False) -> None:
        """Print text, wrapped to the paper; Chinese as GB18030 or as an image."""
        text = clean(text)
        image_mode = self.profile.chinese == "image" and not is_ascii(text)
        if image_mode:
            font = _font(self.profile.font_path, LINE_DOTS * size)
            # one dot to spare: the bold pass draws one dot further right
            pieces = wrap(text, self.dots - 1, font.getlength)
        else:
            pieces = wrap(text, self.dots, lambda s: text_dots(s) * size)
        for piece in pieces:
            if image_mode:
                bar = self.dots if invert else None
                self.bitmap(text_bitmap(piece, self.profile.font_path, size, bold=bold,
                                        invert=invert, width=bar), align=align)
                continue
            self._style(_Style(align, size, bold, invert))
            if is_ascii(piece):
                self.printer._raw(piece.encode("ascii") + b"\n")
            else:
                self.printer._raw(KANJI_ON + piece.encode("gb18030") + KANJI_OFF + b"\n")

    def big(self, text: str) -> None:
        """The ticket number: ASCII in the largest custom size that fits the line."""
        text = clean(text)
        size = max(1, min(5, self.dots // max(1, text_dots(text))))
        if not is_ascii(text):  # not a number the protocol issues, but print it faithfully
            self.line(text, align="center", size=min(size, 2), bold=True)
            return
        self._style(_Style("center", size, True, False))
        self.printer._raw(text.encode("ascii") + b"\n")

    def rule(self) -> None:
        """A dashed separator."""
        self.line("-" * self.profile.columns)

    def bitmap(self, pixels: Bitmap, *, align: Align = "center") -> None:
        """A raster image, centred by padding (the printer stays left-aligned)."""
        self._style(_Style("left", self.state.size, self.state.bold, False))
        self.printer._raw(raster_command(place(pixels, self.dots, align)))

    def qr(self, url: str) -> None:
        """The QR code of a URL as a raster image."""
        self.bitmap(qr_bitmap(url, self.dots))

    def blank(self) -> None:
        """An empty line at normal size."""
        self._style(_Style(self.state.align, 1, False, False))
        self.printer._raw(b"\n")

    def finish(self) -> bytes:
        """Cut (as the printer profile allows) and return every byte."""
        self._style(_Style())
        self.printer.cut()
        return bytes(self.printer.output)


# ---- documents --------------------------------------------------------------------------

def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _header(b: _Builder, hall_name: Text | None, reprint_at: datetime | None,
            tz: ZoneInfo) -> None:
    if reprint_at is not None:
        b.line("补打 REPRINT", align="center", size=2, bold=True, invert=True)
        b.line(f"补打时间 Reprinted: {_local(reprint_at, tz)}", align="center")
        b.blank()
    if hall_name is not None:
        b.line(hall_name.zh, align="center", bold=True)
        b.line(hall_name.en, align="center")
        b.rule()


def render_ticket(doc: TicketDocument, profile: PrintProfile, *, tz: ZoneInfo,
                  hall_name: Text | None = None, reprint_at: datetime | None = None) -> bytes:
    """The bytes of a queue ticket (取号凭条)."""
    b = _Builder(profile)
    _header(b, hall_name, reprint_at, tz)
    b.line(doc.category_name.zh, align="center", size=2, bold=True)
    b.line(doc.category_name.en, align="center")
    b.blank()
    b.big(doc.number)
    b.blank()
    b.line(f"等候人数 People ahead: {doc.people_ahead}")
    b.line(f"预计等候 约 {doc.predicted_wait_min} 分钟 "
           f"Est. wait: about {doc.predicted_wait_min} min")
    b.line(f"办理区域 Zone: {doc.zone.zh} {doc.zone.en}")
    windows = ", ".join(str(w) for w in doc.windows) or "-"
    b.line(f"服务窗口 Windows: {windows}")
    b.qr(doc.qr_url)
    b.line("扫码查看排队进度 Scan to follow the queue", align="center")
    b.line(f"取号时间 Issued: {_local(doc.issued_at, tz)}", align="center")
    b.rule()
    b.line("请留意叫号，过号请重新取号。")
    b.line("Please listen for your number; if it has passed, take a new one.")
    return b.finish()


def render_receipt(doc: ReceiptDocument, profile: PrintProfile, *, tz: ZoneInfo,
                   hall_name: Text | None = None, reprint_at: datetime | None = None) -> bytes:
    """The bytes of an acceptance receipt (收件回执)."""
    b = _Builder(profile)
    _header(b, hall_name, reprint_at, tz)
    b.line("收件回执", align="center", size=2, bold=True)
    b.line("ACCEPTANCE RECEIPT", align="center")
    b.blank()
    b.line(f"办件编号 Case No.: {doc.case_no}", bold=True)
    b.line("受理事项 Items:")
    for i, item in enumerate(doc.items, start=1):
        b.line(f"  {i}. {item.zh}")
        b.line(f"     {item.en}")
    b.line("收取材料 Materials received:")
    for i, material in enumerate(doc.materials, start=1):
        b.line(f"  {i}. {material}")
    if not doc.materials:
        b.line("  -")
    due = doc.promised_by.astimezone(tz).strftime("%Y-%m-%d")
    b.line(f"限时办结 Due by: {due}" + ("（暂定 provisional）" if doc.promised_provisional
                                        else ""), bold=True)
    if doc.promised_provisional:
        b.line("  节假日安排未公布，日期可能调整")
        b.line("  Holidays not yet announced: the date may move")
    b.line(f"受理窗口 Window: {doc.window}")
    b.line(f"首问负责人 Responsible: {doc.owner}")
    b.line(f"受理时间 Accepted: {_local(doc.accepted_at, tz)}")
    b.qr(doc.qr_url)
    b.line("扫码查询办理进度 Scan to track your case", align="center")
    b.rule()
    b.line("请妥善保管本回执。Please keep this receipt.")
    return b.finish()
