"""QR codes as Kivy textures, made in memory (no file)."""

from __future__ import annotations

from typing import Any

import segno

QUIET_ZONE = 4  # modules of white border the standard asks for


def qr_modules(text: str, *, border: int = QUIET_ZONE) -> list[list[bool]]:
    """The QR code's modules top row first, quiet zone included (True: dark)."""
    # make_qr, not make: a Micro QR for short text is not readable by every phone or OpenCV.
    code = segno.make_qr(text, error="m")
    return [[bool(v) for v in row] for row in code.matrix_iter(scale=1, border=border)]


def qr_rgba(text: str, *, border: int = QUIET_ZONE) -> tuple[int, bytes]:
    """(side in modules, RGBA bytes bottom row first, as an OpenGL texture wants them)."""
    rows = qr_modules(text, border=border)
    dark, light = b"\x00\x00\x00\xff", b"\xff\xff\xff\xff"
    data = b"".join(dark if v else light for row in reversed(rows) for v in row)
    return len(rows), data


def qr_texture(text: str) -> Any:
    """A Kivy texture of the QR code, one texel per module, drawn with sharp edges."""
    from kivy.graphics.texture import Texture  # noqa: PLC0415 - needs a GL context

    side, data = qr_rgba(text)
    texture = Texture.create(size=(side, side), colorfmt="rgba")
    texture.blit_buffer(data, colorfmt="rgba", bufferfmt="ubyte")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture
