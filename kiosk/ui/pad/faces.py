"""Pictures drawn with Kivy graphics (emoji do not render): the face of each rating level
and a staff member's avatar (photo, or initials in a circle)."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Ellipse, Line, StencilPop, StencilPush, StencilUnUse, StencilUse
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.ui.theme import Rgba, rgb

# (button colour, text colour) of each level: green for good through red for bad.
LEVEL_COLOURS: dict[int, tuple[Rgba, Rgba]] = {
    5: (rgb("#1B7F3B"), rgb("#FFFFFF")),
    4: (rgb("#5E9E2E"), rgb("#FFFFFF")),
    3: (rgb("#F2B705"), rgb("#2B2100")),
    2: (rgb("#E0650B"), rgb("#FFFFFF")),
    1: (rgb("#C62828"), rgb("#FFFFFF")),
}
# How much the mouth curves: up at the corners for a smile, down for a frown.
_MOUTH = {5: 1.0, 4: 0.5, 3: 0.0, 2: -0.45, 1: -0.9}
_INK = rgb("#1F1F1F")


class Face(Widget):  # type: ignore[misc]
    """A round face for a level: pale disc, two eyes, a mouth from smile to frown."""

    def __init__(self, level: int, *, side: float, **kwargs: Any) -> None:
        super().__init__(size_hint=(None, None), size=(side, side), **kwargs)
        self.level = level
        with self.canvas:
            Color(*rgb("#FFF6D6"))
            self._disc = Ellipse()
            Color(*_INK)
            self._rim = Line(width=max(1.5, side / 36))
            self._eyes = (Ellipse(), Ellipse())
            self._mouth = Line(width=max(2.0, side / 22), cap="round", joint="round")
            self._brows = (Line(width=max(1.5, side / 40), cap="round"),
                           Line(width=max(1.5, side / 40), cap="round"))
        self.bind(pos=self._redraw, size=self._redraw)
        self._redraw()

    def _redraw(self, *_: object) -> None:
        side = min(self.width, self.height)
        x0 = self.center_x - side / 2
        y0 = self.center_y - side / 2
        self._disc.pos, self._disc.size = (x0, y0), (side, side)
        self._rim.circle = (self.center_x, self.center_y, side / 2 - self._rim.width)
        eye = side * 0.11
        for eye_widget, dx in zip(self._eyes, (-0.17, 0.17), strict=True):
            eye_widget.pos = (self.center_x + dx * side - eye / 2, y0 + side * 0.58)
            eye_widget.size = (eye, eye * 1.2)
        curve = _MOUTH[self.level]
        half = side * 0.22
        base = y0 + side * (0.30 if curve >= 0 else 0.34)
        points: list[float] = []
        for i in range(13):
            t = -1 + i / 6  # -1 … 1 across the mouth
            points += [self.center_x + t * half, base + curve * side * 0.11 * t * t]
        self._mouth.points = points
        # Frowning faces raise the inner ends of their brows (worried), smiling ones none.
        for brow, sign in zip(self._brows, (-1, 1), strict=True):
            if self.level > 2:
                brow.points = []
                continue
            outer = (self.center_x + sign * side * 0.27, y0 + side * 0.74)
            inner = (self.center_x + sign * side * 0.09, y0 + side * 0.80)
            brow.points = [*outer, *inner]


class Avatar(Widget):  # type: ignore[misc]
    """A staff member's photo in a circle, or their initials when there is none."""

    def __init__(self, *, side: float, initials: str, photo: str | None, colour: Rgba,
                 text_colour: Rgba, **kwargs: Any) -> None:
        super().__init__(size_hint=(None, None), size=(side, side), **kwargs)
        self.photo = photo
        self._label: Label | None = None
        self._image: Image | None = None
        if photo is not None:
            # The stencil clips the square photo to the circle.
            with self.canvas.before:
                StencilPush()
                self._mask = Ellipse()
                StencilUse()
            with self.canvas.after:
                StencilUnUse()
                self._mask2 = Ellipse()
                StencilPop()
            self._image = Image(source=photo, fit_mode="cover", size=(side, side))
            self.add_widget(self._image)
        else:
            with self.canvas:
                Color(*colour)
                self._disc = Ellipse()
            self._label = Label(text=initials, color=text_colour, bold=True,
                                font_size=side * (0.34 if len(initials) > 1 else 0.46))
            self.add_widget(self._label)
        self.bind(pos=self._redraw, size=self._redraw)
        self._redraw()

    def _redraw(self, *_: object) -> None:
        if self._image is not None:
            self._image.pos, self._image.size = self.pos, self.size
            self._mask.pos, self._mask.size = self.pos, self.size
            self._mask2.pos, self._mask2.size = self.pos, self.size
        if self._label is not None:
            self._disc.pos, self._disc.size = self.pos, self.size
            self._label.pos, self._label.size = self.pos, self.size
