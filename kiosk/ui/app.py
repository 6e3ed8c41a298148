"""The Kivy app of a kiosk or terminal: draws the controller's views, forwards taps, ticks.

The controller calls `on_view` from any thread (MQTT, printer, UI); the screen takes the
view and redraws on the Kivy thread. `run_app` is what the kiosk process calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock
from kivy.config import Config

from kiosk.model import KioskView
from kiosk.ui.fonts import register_cjk_font
from kiosk.ui.kit import Actions
from kiosk.ui.screen import KioskScreen

logger = logging.getLogger(__name__)

PORTRAIT = (1080, 1920)  # the kiosk's touch screen
LANDSCAPE = (1920, 1080)  # a terminal's screen
TICK_S = 0.5


class Controller(Actions, Protocol):
    """What the app needs of KioskController: its taps, its view and its clock tick."""

    view: KioskView
    on_view: Callable[[KioskView], None] | None

    def tick(self) -> None: ...


def configure_window(size: tuple[int, int] = PORTRAIT, *, fullscreen: bool = False) -> None:
    """Set the window before Kivy opens it (before anything imports kivy.core.window)."""
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # no red dots on right-click
    Config.set("kivy", "exit_on_escape", "0")  # a kiosk is not closed from its keyboard


class KioskApp(App):  # type: ignore[misc]
    """Draws `controller`'s views full-window and calls its `tick` twice a second."""

    def __init__(self, controller: Controller, *, size: tuple[int, int] | None = PORTRAIT,
                 tz: tzinfo | None = None, font: Path | str | None = None) -> None:
        """`size` None leaves the window as configured (fullscreen); `tz`: the hall's."""
        super().__init__()
        self.title = "OneWindow"
        self.controller = controller
        self.window_size = size
        self.tz = tz
        self.font = font
        self.screen: KioskScreen | None = None
        self._ticker: Any = None

    def build(self) -> KioskScreen:
        """The screen, wired to the controller."""
        register_cjk_font(self.font)
        if self.window_size is not None:
            from kivy.core.window import Window  # noqa: PLC0415 - importing it opens it

            Window.size = self.window_size
        self.screen = KioskScreen(self.controller, self.controller.view, tz=self.tz)
        self.controller.on_view = self.screen.post
        self._ticker = Clock.schedule_interval(self._tick, TICK_S)
        return self.screen

    def attach(self, controller: Controller) -> None:
        """Show and drive another controller (e.g. after a new device config)."""
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
            logger.exception("kiosk tick failed")

    def on_stop(self) -> None:
        """Stop ticking and stop taking views."""
        if self._ticker is not None:
            self._ticker.cancel()
        self.controller.on_view = None


def run_app(controller: Controller, *, size: tuple[int, int] = PORTRAIT,
            fullscreen: bool = False, tz: tzinfo | None = None,
            font: Path | str | None = None) -> None:
    """Open the window and run the kiosk screen until the app stops (blocks)."""
    register_cjk_font(font)  # fail before a window opens when the font is missing
    configure_window(size, fullscreen=fullscreen)
    KioskApp(controller, size=None, tz=tz, font=font).run()
