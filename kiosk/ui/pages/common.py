"""Pieces several pages share, and the pages that are one message: issuing, querying,
refused, paused and help sent."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from kivy.animation import Animation
from kivy.graphics import Color, Line
from kivy.properties import NumericProperty
from kivy.uix.widget import Widget

from kiosk.model import Notice
from kiosk.ui import texts
from kiosk.ui.chrome import big_line, spacer
from kiosk.ui.kit import Ctx
from kiosk.ui.theme import Rgba
from kiosk.ui.widgets import Column, Row, Text


class Built(NamedTuple):
    """A page: its scrolling body, where the body sits when it is short, and the actions
    pinned under it (always in view, e.g. 取号)."""

    body: Any
    anchor: Literal["top", "center"] = "top"
    pinned: Any | None = None


class Spinner(Widget):  # type: ignore[misc]
    """A turning arc that says "working"; the screen disposes of it when it redraws."""

    angle = NumericProperty(0)

    def __init__(self, *, side: float, colour: Rgba, width: float) -> None:
        super().__init__(size_hint=(None, None), size=(side, side),
                         pos_hint={"center_x": 0.5})
        with self.canvas:
            Color(*colour)
            self._arc = Line(width=width, cap="round")
        self.bind(pos=self._redraw, size=self._redraw, angle=self._redraw)
        self._anim = Animation(angle=360, duration=1.2) + Animation(angle=0, duration=0)
        self._anim.repeat = True
        self._anim.start(self)

    def _redraw(self, *_: object) -> None:
        r = min(self.width, self.height) / 2 - self._arc.width
        self._arc.circle = (self.center_x, self.center_y, r, self.angle, self.angle + 270)

    def dispose(self) -> None:
        """Stop turning (the animation would keep a removed spinner alive)."""
        self._anim.cancel(self)


def field(ctx: Ctx, label: Notice, value: Notice | str, *, colour: Rgba | None = None,
          bold: bool = False, label_width: float | None = None) -> Any:
    """A label: value line of an information card (label above value on narrow large type)."""
    t = ctx.theme
    shown = value if isinstance(value, str) else ctx.say(value)
    name = Text(ctx.say(label), font_size=t.body, color=t.palette.muted)
    text = Text(shown, font_size=t.body, color=colour or t.palette.text, bold=bold)
    if t.elderly and not t.landscape:
        col = Column(spacing=t.px(2))
        col.add_widget(name)
        col.add_widget(text)
        return col
    row = Row(spacing=t.pad)
    name.size_hint_x = None
    name.width = label_width or t.px(260)
    for part in (name, text):
        part.pos_hint = {"top": 1}
        row.add_widget(part)
    return row


def level_colour(ctx: Ctx, notice: Notice) -> Rgba:
    """Text colour for a notice shown as plain text (errors red, others the text colour)."""
    p = ctx.theme.palette
    return p.error if notice.level.value == "error" else p.text


def message_page(ctx: Ctx, headline: Notice, *notices: Notice | None,
                 headline_colour: Rgba | None = None, spinner: bool = False) -> Built:
    """A centred headline with optional notices under it."""
    t = ctx.theme
    col = Column(spacing=t.px(28))
    if spinner:
        col.add_widget(Spinner(side=t.px(180), colour=t.palette.accent, width=t.px(10)))
        col.add_widget(spacer(t.px(10)))
    col.add_widget(big_line(ctx, headline, t.px(80), colour=headline_colour, lines=2))
    _, second = ctx.lines(headline)
    if second:
        col.add_widget(Text(second, font_size=t.px(36), color=t.palette.muted,
                            halign="center"))
    for notice in notices:
        if notice is not None and (notice.zh or notice.en):
            col.add_widget(ctx.notice(notice, size=t.px(42), halign="center"))
    return Built(col, "center")


def issuing(ctx: Ctx) -> Built:
    """Waiting for the server to commit the number."""
    v = ctx.view
    return message_page(ctx, texts.ISSUING, v.banner, texts.ISSUING_HINT, spinner=True)


def querying(ctx: Ctx) -> Built:
    """Terminal: waiting for a status answer."""
    return message_page(ctx, texts.QUERYING, ctx.view.banner, spinner=True)


def refused(ctx: Ctx) -> Built:
    """The server (or the kiosk) said no, and why."""
    return message_page(ctx, texts.SORRY, ctx.view.refusal,
                        headline_colour=ctx.theme.palette.text)


def paused(ctx: Ctx) -> Built:
    """暂停取号, and why."""
    v = ctx.view
    return message_page(ctx, texts.PAUSED, v.refusal or v.paused,
                        headline_colour=ctx.theme.palette.error)


def help_sent(ctx: Ctx) -> Built:
    """帮办: staff are coming."""
    return message_page(ctx, texts.HELP_SENT, ctx.view.banner or texts.HELP_WAIT)
