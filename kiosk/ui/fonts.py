"""Register a CJK font as Kivy's default, before any widget draws text."""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
DEBIAN_PACKAGE = "fonts-wqy-zenhei"
KIVY_DEFAULT = "Roboto"  # the name Kivy labels use when no font_name is given


class FontMissing(RuntimeError):
    """The CJK font file is not installed."""


def register_cjk_font(path: Path | str | None = None) -> Path:
    """Make the CJK font Kivy's default font (Roboto draws boxes for Chinese)."""
    font = Path(path) if path is not None else DEFAULT_CJK_FONT
    if not font.is_file():
        raise FontMissing(
            f"CJK font {font} not found: install the Debian package {DEBIAN_PACKAGE} "
            f"(apt-get install {DEBIAN_PACKAGE}) or pass another .ttf/.ttc file")
    from kivy.core.text import LabelBase  # noqa: PLC0415 - kivy starts up on import

    # The same file for every style: the font has no bold face and Kivy would otherwise
    # fall back to Roboto's bold (boxes again) for bold text.
    LabelBase.register(name=KIVY_DEFAULT, fn_regular=str(font), fn_italic=str(font),
                       fn_bold=str(font), fn_bolditalic=str(font))
    logger.info("default font: %s", font)
    return font
