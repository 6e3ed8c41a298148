"""What a page builder gets: the view, the theme, the controller's taps and drawing helpers
that pick the language (Chinese first with English alongside, or English)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any, Literal, Protocol, Self

from devices.protocol import messages as m
from kiosk.controller import HelperReason
from kiosk.model import KioskView, Notice
from kiosk.ui.theme import Rgba, Theme
from kiosk.ui.typeset import fit_font
from kiosk.ui.widgets import Column, Row, TapButton, Text, paint

Style = Literal["primary", "secondary", "helper", "card", "plain"]


class Actions(Protocol):
    """The controller's taps (KioskController has them all)."""

    def open_category(self, code: str) -> None: ...
    def open_item(self, code: str) -> None: ...
    def set_priority(self, on: bool) -> None: ...
    def take_number(self) -> None: ...
    def open_check_in(self) -> None: ...
    def type_key(self, key: str) -> None: ...
    def erase(self) -> None: ...
    def submit_code(self) -> None: ...
    def open_scan(self) -> None: ...
    def reprint_receipt(self) -> None: ...
    def call_helper(self, reason: HelperReason = "general") -> None: ...
    def toggle_language(self) -> None: ...
    def toggle_elderly(self) -> None: ...
    def back(self) -> None: ...
    def home(self) -> None: ...


def server_words(text: m.Text) -> Notice:
    """A server text as a pair of words."""
    return Notice(text.zh, text.en)


@dataclass(frozen=True)
class Kit:
    """Drawing helpers of one pass that need only the theme, the usable width and the
    language on screen (shared by the kiosk's and the rating pad's screens)."""

    theme: Theme
    width: float  # of the page body, for fitting large type

    @property
    def language(self) -> str:
        """The language on screen."""
        raise NotImplementedError

    # ---- words ------------------------------------------------------------------------------

    @property
    def zh(self) -> bool:
        """Whether Chinese is the language on screen."""
        return self.language == "zh"

    def lines(self, words: Notice | m.Text) -> tuple[str, str | None]:
        """(main line, smaller second line or None) for the language on screen.

        Chinese shows English alongside, except in large-type mode where room is short;
        English shows English only."""
        pair = server_words(words) if isinstance(words, m.Text) else words
        if not self.zh:
            # The CJK font centres "…" like Chinese text does; English wants three dots.
            return pair.en.replace("…", "..."), None
        if self.theme.elderly or not pair.en or pair.en == pair.zh:
            return pair.zh, None
        return pair.zh, pair.en.replace("…", "...")

    def say(self, words: Notice | m.Text) -> str:
        """The words in the language on screen."""
        return self.lines(words)[0]

    # ---- text -------------------------------------------------------------------------------

    def text(self, words: Notice | m.Text | str, *, size: float | None = None,
             colour: Rgba | None = None, halign: str = "left", bold: bool = False,
             second_colour: Rgba | None = None, spacing: float = 0) -> Any:
        """A text block: one line for a plain string, main and second line for words."""
        t = self.theme
        size = size or t.body
        colour = colour or t.palette.text
        if isinstance(words, str):
            return Text(words, font_size=size, color=colour, halign=halign, bold=bold)
        main, second = self.lines(words)
        if second is None:
            return Text(main, font_size=size, color=colour, halign=halign, bold=bold)
        box = Column(spacing=spacing or t.px(4))
        box.add_widget(Text(main, font_size=size, color=colour, halign=halign, bold=bold))
        box.add_widget(Text(second, font_size=max(t.small, size * 0.55),
                            color=second_colour or colour, halign=halign))
        return box

    def title(self, words: Notice | m.Text, *, halign: str = "left") -> Any:
        """A page title."""
        return self.text(words, size=self.theme.title, bold=True, halign=halign,
                         second_colour=self.theme.palette.muted)

    def notice(self, notice: Notice, *, size: float | None = None, halign: str = "left") -> Any:
        """A notice on a band coloured by its level."""
        t = self.theme
        bg, fg = t.level(notice.level)
        box = Column(padding=[t.pad, t.px(18)])
        paint(box, bg, border=t.palette.border if t.elderly else None,
              border_width=t.border_width, radius=t.radius)
        box.add_widget(self.text(notice, size=size or t.body, colour=fg, halign=halign))
        return box

    def card(self, *, spacing: float | None = None, padding: float | None = None,
             **kwargs: Any) -> Any:
        """A white card to put content on."""
        t = self.theme
        box = Column(spacing=t.px(12) if spacing is None else spacing,
                     padding=t.pad if padding is None else padding, **kwargs)
        paint(box, t.palette.card, border=t.palette.border, border_width=t.border_width,
              radius=t.radius)
        return box

    def split(self, left: Any, right: Any, *, left_share: float = 0.5) -> Any:
        """Two columns side by side on a landscape screen, one above the other on portrait."""
        t = self.theme
        if not t.landscape:
            col = Column(spacing=t.px(20))
            col.add_widget(left)
            col.add_widget(right)
            return col
        row = Row(spacing=t.pad * 1.5)
        inner = self.width - t.pad * 1.5
        for part, share in ((left, left_share), (right, 1 - left_share)):
            part.size_hint_x = None
            part.width = inner * share
            part.pos_hint = {"top": 1}
            row.add_widget(part)
        return row

    def half(self, left_share: float = 0.5, *, right: bool = False) -> Self:
        """This context for one column of `split` (the full width on portrait)."""
        if not self.theme.landscape:
            return self
        inner = self.width - self.theme.pad * 1.5
        share = (1 - left_share) if right else left_share
        return replace(self, width=inner * share)

    # ---- buttons ----------------------------------------------------------------------------

    def colours(self, style: Style, enabled: bool = True) -> tuple[Rgba, Rgba]:
        """(background, text) of a button style."""
        p = self.theme.palette
        if not enabled:
            return p.disabled, p.disabled_text
        return {"primary": (p.primary, p.primary_text),
                "secondary": (p.secondary, p.secondary_text),
                "helper": (p.helper, p.helper_text),
                "card": (p.card, p.card_text),
                "plain": (p.background, p.text)}[style]

    def button(self, tap: str, action: Callable[[], None], content: Any, *,
               style: Style = "secondary", enabled: bool = True,
               min_height: float | None = None, padding: float | None = None,
               **kwargs: Any) -> TapButton:
        """A button around prepared content; its only effect is `action`."""
        t = self.theme
        bg, _ = self.colours(style, enabled)
        outline = t.palette.border if (t.elderly or style in ("card", "plain")) else None
        return TapButton(tap=tap, action=action, content=content, colour=bg,
                         pressed=t.palette.pressed, border=outline,
                         border_width=t.border_width * (1.5 if t.elderly else 1),
                         radius=t.radius, min_height=t.button_height if min_height is None
                         else min_height, padding=t.px(16) if padding is None else padding,
                         enabled=enabled, **kwargs)

    def label_button(self, tap: str, action: Callable[[], None], words: Notice, *,
                     style: Style = "secondary", enabled: bool = True,
                     size: float | None = None, width: float | None = None,
                     min_height: float | None = None, **kwargs: Any) -> TapButton:
        """A button with centred words; with `width`, that wide and the words shrunk to fit."""
        t = self.theme
        size = size or t.button
        main, _ = self.lines(words)
        if width is not None:
            size = fit_font(main, width - 2 * t.px(16), size)
            kwargs.update(size_hint_x=None, width=width)
        _, fg = self.colours(style, enabled)
        content = self.text(words, size=size, colour=fg, halign="center")
        return self.button(tap, action, content, style=style, enabled=enabled,
                           min_height=min_height, **kwargs)


@dataclass(frozen=True)
class Ctx(Kit):
    """One drawing pass of the kiosk: view, theme, taps, the hall's time zone and the usable
    width."""

    view: KioskView
    actions: Actions
    tz: tzinfo | None

    @property
    def language(self) -> str:
        """The language on screen."""
        return self.view.language
