"""Kivy building blocks: wrapping text, painted panels and the tap button.

Sizes and colours come from the caller (the theme); nothing here knows the view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.graphics import Color, Line, RoundedRectangle
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.ui.theme import Rgba
from kiosk.ui.typeset import cjk_breaks


def paint(widget: Any, colour: Rgba, *, border: Rgba | None = None, border_width: float = 0,
          radius: float = 0) -> None:
    """Give a widget a (rounded) background and an optional outline that follow it."""
    with widget.canvas.before:
        Color(*colour)
        rect = RoundedRectangle(pos=widget.pos, size=widget.size, radius=[radius])
        line = None
        if border is not None and border_width > 0:
            Color(*border)
            line = Line(rounded_rectangle=(*widget.pos, *widget.size, radius),
                        width=border_width)

    def follow(*_: object) -> None:
        rect.pos, rect.size = widget.pos, widget.size
        if line is not None:
            inset = border_width / 2
            line.rounded_rectangle = (widget.x + inset, widget.y + inset,
                                      max(0, widget.width - border_width),
                                      max(0, widget.height - border_width), radius)

    widget.bind(pos=follow, size=follow)


class Text(Label):  # type: ignore[misc]
    """A label that wraps to its width and is as tall as its text."""

    def __init__(self, text: str, *, font_size: float, color: Rgba, halign: str = "left",
                 bold: bool = False, **kwargs: Any) -> None:
        # A disabled button's labels keep their colour: the button already looks disabled.
        super().__init__(text=cjk_breaks(text), font_size=font_size, color=color,
                         disabled_color=color, halign=halign, valign="middle", bold=bold,
                         size_hint_y=None, height=0, **kwargs)
        self.bind(width=self._wrap, texture_size=self._grow)
        self._wrap()

    def _wrap(self, *_: object) -> None:
        self.text_size = (self.width, None)

    def _grow(self, *_: object) -> None:
        self.height = self.texture_size[1]


class Column(BoxLayout):  # type: ignore[misc]
    """A vertical stack as tall as its content."""

    def __init__(self, *, spacing: float = 0, padding: float | list[float] = 0,
                 **kwargs: Any) -> None:
        super().__init__(orientation="vertical", spacing=spacing, padding=padding,
                         size_hint_y=None, **kwargs)
        self.bind(minimum_height=self.setter("height"))


class Row(BoxLayout):  # type: ignore[misc]
    """A horizontal row as tall as its tallest child (children set their own heights);
    with `equal`, its buttons all take the tallest button's height."""

    def __init__(self, *, spacing: float = 0, min_height: float = 0, equal: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(orientation="horizontal", spacing=spacing, size_hint_y=None, **kwargs)
        self.min_height = min_height
        self.equal = equal
        self.height = min_height

    def _grow(self, *_: object) -> None:
        if self.equal:
            equalise(self.children)
        tallest = max((c.height for c in self.children if c.size_hint_y is None), default=0)
        self.height = max(self.min_height, tallest + self.padding[1] + self.padding[3])

    def add_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
        """Add a child and follow its height (a button's own height, when evening out)."""
        super().add_widget(widget, *args, **kwargs)
        widget.bind(height=self._grow)
        if isinstance(widget, TapButton):
            widget.bind(natural=self._grow)
        self._grow()


class Grid(GridLayout):  # type: ignore[misc]
    """A grid of `cols` columns as tall as its rows; with `equal`, every button in it is as
    tall as the tallest."""

    def __init__(self, *, cols: int, spacing: float = 0, equal: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(cols=cols, spacing=spacing, size_hint_y=None, **kwargs)
        self.equal = equal
        self.bind(minimum_height=self.setter("height"))

    def add_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
        """Add a child (and even out the buttons' heights)."""
        super().add_widget(widget, *args, **kwargs)
        if self.equal and isinstance(widget, TapButton):
            widget.bind(natural=lambda *_: equalise(self.children))
            equalise(self.children)


def equalise(widgets: list[Any]) -> None:
    """Give the buttons among `widgets` the height of the tallest one's content."""
    buttons = [w for w in widgets if isinstance(w, TapButton)]
    if not buttons:
        return
    tallest = max(b.natural for b in buttons)
    for b in buttons:
        if b.floor != tallest:
            b.floor = tallest
            b.fit()


class TapButton(ButtonBehavior, AnchorLayout):  # type: ignore[misc]
    """A painted button around any content; `tap` names it, `action` is its only effect."""

    tap = StringProperty("")
    natural = NumericProperty(0)  # its own height; rows and grids even out on this

    def __init__(self, *, tap: str, action: Callable[[], None], content: Any,
                 colour: Rgba, pressed: Rgba, border: Rgba | None = None,
                 border_width: float = 0, radius: float = 0, min_height: float = 0,
                 padding: float = 0, enabled: bool = True, **kwargs: Any) -> None:
        super().__init__(anchor_x="center", anchor_y="center", padding=padding,
                         size_hint_y=None, **kwargs)
        self.tap = tap
        self.action = action
        self.disabled = not enabled
        self.min_height = min_height
        self.floor = 0.0  # set by a row or grid that evens out its buttons
        paint(self, colour, border=border, border_width=border_width, radius=radius)
        with self.canvas.after:
            self._shade = Color(*pressed[:3], 0)
            shade_rect = RoundedRectangle(pos=self.pos, size=self.size, radius=[radius])
        self._pressed_alpha = pressed[3]

        def follow(*_: object) -> None:
            shade_rect.pos, shade_rect.size = self.pos, self.size

        self.bind(pos=follow, size=follow, state=self._show_state)
        self.content = content
        self.add_widget(content)
        content.bind(height=self.fit)
        self.fit()

    def fit(self, *_: object) -> None:
        """Take the natural height (content and padding, at least `min_height`) or the
        floor a parent set."""
        inner = self.content.height if self.content.size_hint_y is None else 0
        self.natural = max(self.min_height, inner + self.padding[1] + self.padding[3])
        self.height = max(self.natural, self.floor)

    def _show_state(self, *_: object) -> None:
        self._shade.a = self._pressed_alpha if self.state == "down" else 0

    def on_release(self) -> None:
        """Forward the tap."""
        self.action()


class TickBox(Widget):  # type: ignore[misc]
    """A check box drawn with lines (the CJK font has no check mark glyph)."""

    def __init__(self, *, on: bool, side: float, box: Rgba, fill: Rgba, tick: Rgba,
                 line_width: float, **kwargs: Any) -> None:
        super().__init__(size_hint=(None, None), size=(side, side), **kwargs)
        with self.canvas:
            Color(*(fill if on else (1, 1, 1, 1)))
            self._fill = RoundedRectangle(radius=[side / 8])
            Color(*box)
            self._box = Line(width=line_width)
            Color(*(tick if on else (0, 0, 0, 0)))
            self._tick = Line(width=line_width * 1.6, joint="round", cap="round")
        self.bind(pos=self._redraw, size=self._redraw)
        self._redraw()

    def _redraw(self, *_: object) -> None:
        x, y, w, h = self.x, self.y, self.width, self.height
        self._fill.pos, self._fill.size = (x, y), (w, h)
        self._box.rounded_rectangle = (x, y, w, h, w / 8)
        self._tick.points = [x + w * 0.22, y + h * 0.52, x + w * 0.42, y + h * 0.3,
                             x + w * 0.78, y + h * 0.74]
