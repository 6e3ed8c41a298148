"""The Kivy app of a rating pad: draws the controller's views, forwards taps, ticks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock

from kiosk.pad.model import PadView
from kiosk.ui.app import configure_window
from kiosk.ui.fonts import register_cjk_font
from kiosk.ui.pad.kit import PadActions
from kiosk.ui.pad.screen import PadScreen

logger = logging.getLogger(__name__)

LANDSCAPE = (1280, 800)  # a typical 10-inch pad
PORTRAIT = (800, 1280)
TICK_S = 0.5


class Controller(PadActions, Protocol):
    """What the app needs of PadController: its taps, its view and its clock tick."""

    view: PadView
    on_view: Callable[[PadView], None] | None

    def tick(self) -> None: ...


class PadApp(App):  # type: ignore[misc]
    """Draws `controller`'s views full-window and calls its `tick` twice a second."""

    def __init__(self, controller: Controller, *, size: tuple[int, int] | None = LANDSCAPE,
                 font: Path | str | None = None) -> None:
        """`size` None leaves the window as configured (fullscreen)."""
        super().__init__()
        self.title = "OneWindow 评价器"
        self.controller = controller
        self.window_size = size
        self.font = font
        self.screen: PadScreen | None = None
        self._ticker: Any = None

    def build(self) -> PadScreen:
        """The screen, wired to the controller."""
        register_cjk_font(self.font)
        if self.window_size is not None:
            from kivy.core.window import Window  # noqa: PLC0415 - importing it opens it

            Window.size = self.window_size
        self.screen = PadScreen(self.controller, self.controller.view)
        self.controller.on_view = self.screen.post
        self._ticker = Clock.schedule_interval(self._tick, TICK_S)
        return self.screen

    def attach(self, controller: Controller) -> None:
        """Show and drive another controller (tests, a new device config)."""
        self.controller.on_view = None
        self.controller = controller
        if self.screen is not None:
            self.screen.actions = controller
            controller.on_view = self.screen.post
            self.screen.draw(controller.view)

    def _tick(self, _dt: float) -> None:
        try:
            self.controller.tick()
        except Exception:
            logger.exception("pad tick failed")

    def on_stop(self) -> None:
        """Stop ticking and stop taking views."""
        if self._ticker is not None:
            self._ticker.cancel()
        self.controller.on_view = None


def run_pad(controller: Controller, *, size: tuple[int, int] = LANDSCAPE,
            fullscreen: bool = False, font: Path | str | None = None) -> None:
    """Open the window and run the pad screen until the app stops (blocks)."""
    register_cjk_font(font)  # fail before a window opens when the font is missing
    configure_window(size, fullscreen=fullscreen)
    PadApp(controller, size=None, font=font).run()
