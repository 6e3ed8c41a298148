"""Colours and sizes of the screens: standard, and large-type high-contrast (适老化)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.model import Level

Rgba = tuple[float, float, float, float]

ELDERLY_SCALE = 1.5  # type and buttons in 长辈模式 (the rule asks for at least 1.4x)
HUGE_ELDERLY_SCALE = 1.15  # the ticket number is huge already
DESIGN_SHORT_SIDE = 1080  # sizes below are pixels on a 1080-px-wide portrait screen


def rgb(hex_colour: str, alpha: float = 1.0) -> Rgba:
    """'#RRGGBB' as Kivy's float RGBA."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


@dataclass(frozen=True)
class Palette:
    """Colours of one mode."""

    background: Rgba
    text: Rgba
    muted: Rgba  # secondary (English) lines
    header_bg: Rgba
    header_text: Rgba
    card: Rgba
    card_text: Rgba
    primary: Rgba  # the main action (取号, 确认)
    primary_text: Rgba
    secondary: Rgba  # other buttons
    secondary_text: Rgba
    helper: Rgba  # 帮办
    helper_text: Rgba
    accent: Rgba  # prefix letters, the ticket number
    disabled: Rgba
    disabled_text: Rgba
    border: Rgba
    info: Rgba
    info_text: Rgba
    warn: Rgba
    warn_text: Rgba
    error: Rgba
    error_text: Rgba
    pressed: Rgba  # overlay while a button is held


STANDARD = Palette(
    background=rgb("#EEF2F7"), text=rgb("#102A43"), muted=rgb("#52606D"),
    header_bg=rgb("#0B3D91"), header_text=rgb("#FFFFFF"),
    card=rgb("#FFFFFF"), card_text=rgb("#102A43"),
    primary=rgb("#C62828"), primary_text=rgb("#FFFFFF"),
    secondary=rgb("#1565C0"), secondary_text=rgb("#FFFFFF"),
    helper=rgb("#C43E00"), helper_text=rgb("#FFFFFF"),
    accent=rgb("#0B3D91"),
    disabled=rgb("#D5DBE3"), disabled_text=rgb("#4A5563"),
    border=rgb("#C3CCD8"),
    info=rgb("#DCEBFF"), info_text=rgb("#0B3D91"),
    warn=rgb("#FFE08A"), warn_text=rgb("#3E2C00"),
    error=rgb("#C62828"), error_text=rgb("#FFFFFF"),
    pressed=rgb("#000000", 0.25),
)

# Black on white and yellow: contrast ratios above 15:1 for every text.
HIGH_CONTRAST = Palette(
    background=rgb("#FFFFFF"), text=rgb("#000000"), muted=rgb("#000000"),
    header_bg=rgb("#000000"), header_text=rgb("#FFFF00"),
    card=rgb("#FFFFFF"), card_text=rgb("#000000"),
    primary=rgb("#FFD600"), primary_text=rgb("#000000"),
    secondary=rgb("#FFD600"), secondary_text=rgb("#000000"),
    helper=rgb("#FF8F00"), helper_text=rgb("#000000"),
    accent=rgb("#000000"),
    disabled=rgb("#E0E0E0"), disabled_text=rgb("#000000"),
    border=rgb("#000000"),
    info=rgb("#FFFFFF"), info_text=rgb("#000000"),
    warn=rgb("#FFD600"), warn_text=rgb("#000000"),
    error=rgb("#B00000"), error_text=rgb("#FFFFFF"),
    pressed=rgb("#000000", 0.35),
)


@dataclass(frozen=True)
class Theme:
    """Sizes (pixels) and colours for one screen size and mode."""

    palette: Palette
    screen: float  # this screen against the 1080-px design
    scale: float  # screen factor x elderly factor
    elderly: bool
    landscape: bool

    def px(self, value: float) -> float:
        """A design size scaled to this screen and mode."""
        return round(value * self.scale)

    def huge(self, value: float) -> float:
        """A size for the ticket number: already huge, so large type adds only a little."""
        return round(value * self.screen * (HUGE_ELDERLY_SCALE if self.elderly else 1.0))

    @property
    def pad(self) -> float:
        """Outer padding and spacing."""
        return self.px(24)

    @property
    def body(self) -> float:
        """Body text."""
        return self.px(36)

    @property
    def small(self) -> float:
        """Secondary (English) lines."""
        return self.px(26)

    @property
    def title(self) -> float:
        """Page titles."""
        return self.px(54)

    @property
    def button(self) -> float:
        """Button text."""
        return self.px(40)

    @property
    def button_height(self) -> float:
        """Height of an ordinary button."""
        return self.px(110)

    @property
    def border_width(self) -> float:
        """Card and button outlines (thick in high contrast)."""
        return 4 if self.elderly else 1.5

    @property
    def radius(self) -> float:
        """Corner radius."""
        return self.px(18)

    def level(self, level: Level) -> tuple[Rgba, Rgba]:
        """(background, text) colours of a notice level."""
        p = self.palette
        return {Level.INFO: (p.info, p.info_text), Level.WARN: (p.warn, p.warn_text),
                Level.ERROR: (p.error, p.error_text)}[level]


def theme_for(width: float, height: float, *, elderly: bool) -> Theme:
    """The theme for a screen of this size, standard or large-type high-contrast."""
    screen = max(0.5, min(width, height) / DESIGN_SHORT_SIDE)
    return Theme(palette=HIGH_CONTRAST if elderly else STANDARD, screen=screen,
                 scale=screen * (ELDERLY_SCALE if elderly else 1.0), elderly=elderly,
                 landscape=width > height)
