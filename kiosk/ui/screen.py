"""Screen widgets: a base that draws each view it is given and names its buttons for tests,
and the kiosk's screen (`KioskView`)."""

from __future__ import annotations

import logging
import threading
from datetime import tzinfo
from typing import Any, Generic, TypeVar

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView

from kiosk.model import KioskView
from kiosk.ui import chrome
from kiosk.ui.kit import Actions, Ctx
from kiosk.ui.pages import build_page
from kiosk.ui.theme import Theme, theme_for
from kiosk.ui.widgets import TapButton

logger = logging.getLogger(__name__)

V = TypeVar("V")


class ViewScreen(BoxLayout, Generic[V]):  # type: ignore[misc]
    """A full-window widget that redraws itself for each view it is given (from any thread)
    and names its buttons for tests; subclasses say how a view is drawn."""

    def __init__(self, view: V, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        self.view = view
        self.drawn: V | None = None
        self.draws = 0  # how many times the screen was rebuilt (tests, diagnostics)
        self._latest = view
        self._lock = threading.Lock()
        self._scheduled = False
        self._drawn_size: tuple[float, float] | None = None
        with self.canvas.before:
            self._background = Color(1, 1, 1, 1)
            backdrop = Rectangle(pos=self.pos, size=self.size)

        def follow(*_: object) -> None:
            backdrop.pos, backdrop.size = self.pos, self.size

        self.bind(pos=follow, size=follow)
        self.bind(size=self._resized)

    # ---- views in ---------------------------------------------------------------------------

    def post(self, view: V) -> None:
        """Take a new view from any thread; it is drawn on the Kivy thread."""
        with self._lock:
            self._latest = view
            if self._scheduled:
                return
            self._scheduled = True
        Clock.schedule_once(self._draw_latest, 0)

    def _draw_latest(self, _dt: float = 0) -> None:
        with self._lock:
            view = self._latest
            self._scheduled = False
        self.draw(view)

    def _resized(self, *_: object) -> None:
        if self._drawn_size != tuple(self.size):
            self.draw(self._latest)

    def draw(self, view: V) -> None:
        """Rebuild the screen for a view (Kivy thread only)."""
        raise NotImplementedError

    def _begin(self, view: V) -> None:
        """Start a redraw: take the view, dispose of the old widgets."""
        self.view = view
        with self._lock:
            self._latest = view
        for old in self.walk(restrict=True):
            dispose = getattr(old, "dispose", None)
            if callable(dispose):
                dispose()
        self.clear_widgets()

    def _done(self, view: V) -> None:
        """Finish a redraw."""
        self.drawn = view
        self._drawn_size = (self.width, self.height)
        self.draws += 1

    def _add_strip(self, strip: Any, theme: Theme) -> None:
        """A notice strip across the screen under the header, its holder as tall as it."""
        holder = AnchorLayout(size_hint_y=None, padding=[theme.pad, theme.px(12), theme.pad, 0])
        holder.add_widget(strip)
        strip.bind(height=lambda _w, h: setattr(holder, "height", h + theme.px(12)))
        holder.height = strip.height + theme.px(12)
        self.add_widget(holder)

    # ---- taps (tests and diagnostics) -------------------------------------------------------

    def buttons(self) -> dict[str, TapButton]:
        """The buttons on screen by name."""
        return {w.tap: w for w in self.walk(restrict=True) if isinstance(w, TapButton)}

    def tap(self, name: str) -> bool:
        """Press and release a button by name as a finger would; False if absent or off."""
        button = self.buttons().get(name)
        if button is None or button.disabled:
            return False
        button.trigger_action(duration=0)
        return True


class KioskScreen(ViewScreen[KioskView]):
    """Header, notices, the page of the view (scrollable) and the footer."""

    def __init__(self, actions: Actions, view: KioskView, *, tz: tzinfo | None = None,
                 **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self.actions = actions
        self.tz = tz

    # ---- drawing ----------------------------------------------------------------------------

    def draw(self, view: KioskView) -> None:
        """Rebuild the screen for a view (Kivy thread only)."""
        self._begin(view)
        width, height = self.size
        theme = theme_for(width, height, elderly=view.elderly)
        page_width = width - 2 * theme.pad
        ctx = Ctx(view=view, theme=theme, actions=self.actions, tz=self.tz, width=page_width)
        self._background.rgba = theme.palette.background
        self.add_widget(chrome.header(ctx, width))
        for strip in chrome.strips(ctx):
            self._add_strip(strip, theme)
        built = build_page(ctx)
        self.add_widget(scrolling(built.body, built.anchor, theme.pad))
        foot = chrome.footer(ctx, width, built.pinned)
        if foot is not None:
            self.add_widget(foot)
        self._done(view)


def scrolling(page: Any, anchor: str, pad: float) -> ScrollView:
    """The page in a vertical scroller, anchored at the top or centred when it is short."""
    scroll = ScrollView(do_scroll_x=False, bar_width=max(6, pad / 3), scroll_type=["content"])
    holder = AnchorLayout(anchor_x="center", anchor_y=anchor, size_hint_y=None,
                          padding=[pad, pad, pad, pad])

    def fit(*_: object) -> None:
        holder.height = max(scroll.height, page.height + 2 * pad)

    page.bind(height=fit)
    scroll.bind(height=fit)
    holder.add_widget(page)
    scroll.add_widget(holder)
    fit()
    return scroll
