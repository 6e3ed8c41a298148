"""An ESC/POS reader, written apart from the renderer, for tests, tools and the fake printer.

Tests that only compared bytes with a golden file would accept a golden that was wrong from
the start; this parser reads the stream the way a printer does (commands with their exact
lengths, text as GB18030, raster images as dots), so a test can check what a citizen would
actually see: the number, the words, a QR code that a phone camera decodes.

It knows the commands our renderer and python-escpos emit (text style, alignment, size,
Chinese mode, feeds, cuts, `GS v 0`, `GS ( L` and `ESC *` images, native QR `GS ( k`,
status queries) and refuses anything else with a `ParseError` naming the offset: a stray
byte in a printout is a bug to see, not to skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

Bitmap = npt.NDArray[np.bool_]

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, HT, FF = 0x0A, 0x0D, 0x09, 0x0C

# Commands of fixed length: (prefix byte, command byte) -> total length and name.
_FIXED: dict[tuple[int, int], tuple[int, str]] = {
    (ESC, ord("@")): (2, "init"),
    (ESC, ord("a")): (3, "align"),
    (ESC, ord("E")): (3, "bold"),
    (ESC, ord("!")): (3, "mode"),
    (ESC, ord("-")): (3, "underline"),
    (ESC, ord("G")): (3, "double-strike"),
    (ESC, ord("M")): (3, "font"),
    (ESC, ord("t")): (3, "codepage"),
    (ESC, ord("R")): (3, "charset"),
    (ESC, ord("d")): (3, "feed-lines"),
    (ESC, ord("J")): (3, "feed-dots"),
    (ESC, ord("2")): (2, "line-spacing-default"),
    (ESC, ord("3")): (3, "line-spacing"),
    (ESC, ord("{")): (3, "upside-down"),
    (ESC, ord("V")): (3, "rotate"),
    (ESC, ord("p")): (5, "drawer-kick"),
    (ESC, ord("i")): (2, "cut"),
    (ESC, ord("m")): (2, "cut"),
    (GS, ord("!")): (3, "size"),
    (GS, ord("B")): (3, "invert"),
    (GS, ord("b")): (3, "smoothing"),
    (GS, ord("r")): (3, "status-query"),
    (GS, ord("a")): (3, "auto-status"),
    (GS, ord("L")): (4, "left-margin"),
    (GS, ord("W")): (4, "print-width"),
    (GS, ord("h")): (3, "barcode-height"),
    (GS, ord("w")): (3, "barcode-width"),
    (GS, ord("H")): (3, "barcode-text"),
    (GS, ord("f")): (3, "barcode-font"),
    (FS, ord("&")): (2, "kanji-on"),
    (FS, ord(".")): (2, "kanji-off"),
    (FS, ord("!")): (3, "kanji-mode"),
    (FS, ord("C")): (3, "kanji-code"),
    (FS, ord("-")): (3, "kanji-underline"),
    (FS, ord("W")): (3, "kanji-quadruple"),
    (FS, ord("S")): (4, "kanji-spacing"),
    (DLE, 0x04): (3, "status-query"),
    (DLE, 0x05): (3, "realtime-request"),
    (DLE, 0x14): (5, "realtime-pulse"),
}
_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


class ParseError(ValueError):
    """Bytes that are not a command this reader knows; `offset` is where they start."""

    def __init__(self, offset: int, detail: str) -> None:
        super().__init__(f"offset {offset}: {detail}")
        self.offset = offset


@dataclass(frozen=True)
class TextRun:
    """Printed text (line feeds included) and the style it was printed in."""

    text: str
    align: str = "left"
    width: int = 1
    height: int = 1
    bold: bool = False
    invert: bool = False
    kanji: bool = False


@dataclass(frozen=True, eq=False)
class Raster:
    """A printed image; `pixels` is True where a dot is black."""

    pixels: Bitmap
    command: str
    align: str = "left"


@dataclass(frozen=True)
class Command:
    """Any other command: its name, argument bytes and raw bytes."""

    name: str
    args: bytes = b""
    raw: bytes = field(default=b"", repr=False)


Segment = TextRun | Raster | Command


def _u16(data: bytes, at: int) -> int:
    return data[at] | data[at + 1] << 8


def command_length(data: bytes, pos: int) -> int | None:
    """Length of the command starting at `pos`; None when the data ends inside it.

    Raises ParseError for a command this reader does not know.
    """
    first = data[pos]
    if first not in (ESC, GS, FS, DLE):
        raise ParseError(pos, f"not a command: {first:#04x}")
    if pos + 1 >= len(data):
        return None
    second = data[pos + 1]
    fixed = _FIXED.get((first, second))
    if fixed is not None:
        return fixed[0] if pos + fixed[0] <= len(data) else None
    need = _variable_length(data, pos, first, second)
    if need is None or pos + need > len(data):
        return None
    return need


def _variable_length(data: bytes, pos: int, first: int, second: int) -> int | None:
    avail = len(data) - pos

    def header(n: int) -> bool:
        return avail >= n

    if first == GS and second == ord("V"):  # cut: m, and n for the feed-and-cut forms
        if not header(3):
            return None
        return 4 if data[pos + 2] in (65, 66, 97, 98, 103, 104) else 3
    if first == GS and second == ord("v"):  # GS v 0 m xL xH yL yH d...
        if not header(8):
            return None
        if data[pos + 2] not in (0x30, 0x00):
            raise ParseError(pos, "GS v without 0")
        return 8 + _u16(data, pos + 4) * _u16(data, pos + 6)
    if first == GS and second == ord("("):  # GS ( fn pL pH ...
        if not header(5):
            return None
        return 5 + _u16(data, pos + 3)
    if first == ESC and second == ord("*"):  # ESC * m nL nH d...
        if not header(5):
            return None
        per_column = 3 if data[pos + 2] in (32, 33) else 1
        return 5 + _u16(data, pos + 3) * per_column
    if first == ESC and second == ord("c"):  # ESC c 5 n (panel buttons), ESC c 3/4 n
        return 4
    if first == GS and second == ord("k"):  # barcode: NUL-terminated or counted
        if not header(3):
            return None
        m = data[pos + 2]
        if m <= 6:
            end = data.find(b"\x00", pos + 3)
            return None if end < 0 else end - pos + 1
        if not header(4):
            return None
        return 4 + data[pos + 3]
    raise ParseError(pos, f"unknown command {bytes([first, second]).hex(' ')}")


def _raster(cmd: bytes) -> Bitmap:
    width_bytes, rows = _u16(cmd, 4), _u16(cmd, 6)
    data = np.frombuffer(cmd[8:], dtype=np.uint8).reshape(rows, width_bytes)
    return np.unpackbits(data, axis=1).astype(bool)


def _graphics(cmd: bytes) -> Bitmap | None:
    """`GS ( L` store-raster (fn 112) data; other functions carry no picture."""
    body = cmd[5:]
    if cmd[2] != ord("L") or len(body) < 10 or body[1] != 112:
        return None
    cols, rows = _u16(body, 6), _u16(body, 8)
    width_bytes = (cols + 7) // 8
    data = np.frombuffer(body[10:10 + width_bytes * rows], dtype=np.uint8)
    return np.unpackbits(data.reshape(rows, width_bytes), axis=1)[:, :cols].astype(bool)


def _column(cmd: bytes) -> Bitmap:
    cols = _u16(cmd, 3)
    per_column = 3 if cmd[2] in (32, 33) else 1
    data = np.frombuffer(cmd[5:], dtype=np.uint8).reshape(cols, per_column)
    return np.unpackbits(data, axis=1).T.astype(bool)


@dataclass
class _State:
    align: str = "left"
    width: int = 1
    height: int = 1
    bold: bool = False
    invert: bool = False
    kanji: bool = False

    def run(self, text: str) -> TextRun:
        return TextRun(text, self.align, self.width, self.height, self.bold, self.invert,
                       self.kanji)

    def apply(self, name: str, args: bytes) -> None:
        arg = args[0] if args else 0
        if name == "init":
            fresh = _State()
            self.align, self.width, self.height = fresh.align, fresh.width, fresh.height
            self.bold, self.invert, self.kanji = fresh.bold, fresh.invert, fresh.kanji
        elif name == "align":
            self.align = _ALIGN.get(arg, "left")
        elif name == "bold":
            self.bold = bool(arg & 1)
        elif name == "size":
            self.width, self.height = (arg >> 4) + 1, (arg & 0x0F) + 1
        elif name == "mode":
            self.bold = bool(arg & 0x08)
            self.width, self.height = (2 if arg & 0x20 else 1), (2 if arg & 0x10 else 1)
        elif name == "invert":
            self.invert = bool(arg & 1)
        elif name == "kanji-on":
            self.kanji = True
        elif name == "kanji-off":
            self.kanji = False


def _tokens(data: bytes) -> Iterator[tuple[int, bytes, bool]]:
    """(offset, bytes, is_command) pieces of the stream, in order."""
    pos = 0
    while pos < len(data):
        if data[pos] in (ESC, GS, FS, DLE):
            length = command_length(data, pos)
            if length is None:
                raise ParseError(pos, "the data ends inside a command")
            yield pos, data[pos:pos + length], True
            pos += length
            continue
        end = pos
        while end < len(data) and (data[end] >= 0x20 or data[end] in (LF, CR, HT, FF)):
            end += 1
        if end == pos:
            raise ParseError(pos, f"control byte {data[pos]:#04x}")
        yield pos, data[pos:end], False
        pos = end


def parse(data: bytes) -> list[Segment]:
    """Every text run, image and command of an ESC/POS stream, in order."""
    state = _State()
    out: list[Segment] = []
    for offset, piece, is_command in _tokens(data):
        if not is_command:
            try:
                text = piece.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise ParseError(offset + exc.start, "not GB18030 text") from None
            out.append(state.run(text))
            continue
        first, second = piece[0], piece[1]
        if first == GS and second == ord("v"):
            out.append(Raster(_raster(piece), "GS v 0", state.align))
        elif first == ESC and second == ord("*"):
            out.append(Raster(_column(piece), "ESC *", state.align))
        elif first == GS and second == ord("("):
            pixels = _graphics(piece)
            if pixels is not None:
                out.append(Raster(pixels, "GS ( L", state.align))
            else:
                name = {ord("k"): "2d-code", ord("L"): "graphics"}.get(piece[2], "gs-paren")
                out.append(Command(name, piece[2:], piece))
        elif first == GS and second == ord("V"):
            out.append(Command("cut", piece[2:], piece))
        else:
            fixed = _FIXED.get((first, second))
            name = fixed[1] if fixed else "command"
            state.apply(name, piece[2:])
            out.append(Command(name, piece[2:], piece))
    return out


def text_of(data: bytes) -> str:
    """All printed text, in order (images left out)."""
    return "".join(s.text for s in parse(data) if isinstance(s, TextRun))


def images(data: bytes) -> list[Bitmap]:
    """Every raster image of the stream."""
    return [s.pixels for s in parse(data) if isinstance(s, Raster)]


def _square_ink(pixels: Bitmap) -> Bitmap | None:
    """The inked part of a bitmap when it is about square (a QR code is; a text line is not)."""
    rows = np.flatnonzero(pixels.any(axis=1))
    cols = np.flatnonzero(pixels.any(axis=0))
    if rows.size == 0:
        return None
    ink = pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    tall, wide = ink.shape
    if min(tall, wide) < 21 or not 0.8 <= tall / wide <= 1.25:
        return None
    return ink


def decode_qr(pixels: Bitmap) -> str | None:
    """The QR code text in a bitmap, read with OpenCV, or None."""
    ink = _square_ink(pixels)
    if ink is None:
        return None
    gray = np.where(ink, 0, 255).astype(np.uint8)
    detector = cv2.QRCodeDetector()
    for scale in (1, 2, 3):
        img = gray if scale == 1 else cv2.resize(
            gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        img = cv2.copyMakeBorder(img, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=255)
        text, _points, _ = detector.detectAndDecode(img)
        if text:
            return str(text)
    return None


def qr_urls(data: bytes) -> list[str]:
    """The decoded text of every QR code printed as an image, in order."""
    found = (decode_qr(p) for p in images(data))
    return [t for t in found if t]
