"""The Kivy app of a kiosk or terminal: draws the controller's views, forwards taps, ticks.

The controller calls `on_view` from any thread (MQTT, printer, UI); the screen takes the
view and redraws on the Kivy thread. `run_app` is what the kiosk process calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

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


class Ticking(Protocol):
    """What a `ViewApp` needs of any controller: its view, where views go, its clock tick."""

    @property
    def view(self) -> Any: ...

    on_view: Any

    def tick(self) -> None: ...


class Screen(Protocol):
    """What a `ViewApp` needs of its screen (a `ViewScreen`)."""

    actions: Any

    def post(self, view: Any) -> None: ...
    def draw(self, view: Any) -> None: ...


C = TypeVar("C", bound=Ticking)
S = TypeVar("S", bound=Screen)


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


class ViewApp(App, Generic[C, S]):  # type: ignore[misc]
    """Draws a controller's views full-window and calls its `tick` twice a second;
    subclasses make the screen (`make_screen`) and name the app in the log (`name_in_log`)."""

    name_in_log = "app"

    def __init__(self, controller: C, *, title: str, size: tuple[int, int] | None,
                 font: Path | str | None = None) -> None:
        """`size` None leaves the window as configured (fullscreen)."""
        super().__init__()
        self.title = title
        self.controller = controller
        self.window_size = size
        self.font = font
        self.screen: S | None = None
        self._ticker: Any = None

    def make_screen(self) -> S:
        """The screen widget for `self.controller`."""
        raise NotImplementedError

    def build(self) -> S:
        """The screen, wired to the controller."""
        register_cjk_font(self.font)
        if self.window_size is not None:
            from kivy.core.window import Window  # noqa: PLC0415 - importing it opens it

            Window.size = self.window_size
        self.screen = screen = self.make_screen()
        self.controller.on_view = screen.post
        self._ticker = Clock.schedule_interval(self._tick, TICK_S)
        return screen

    def attach(self, controller: C) -> None:
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
            logger.exception("%s tick failed", self.name_in_log)

    def on_stop(self) -> None:
        """Stop ticking and stop taking views."""
        if self._ticker is not None:
            self._ticker.cancel()
        self.controller.on_view = None


class KioskApp(ViewApp[Controller, KioskScreen]):
    """Draws `controller`'s views full-window and calls its `tick` twice a second."""

    name_in_log = "kiosk"

    def __init__(self, controller: Controller, *, size: tuple[int, int] | None = PORTRAIT,
                 tz: tzinfo | None = None, font: Path | str | None = None) -> None:
        """`size` None leaves the window as configured (fullscreen); `tz`: the hall's."""
        super().__init__(controller, title="OneWindow", size=size, font=font)
        self.tz = tz

    def make_screen(self) -> KioskScreen:
        """The kiosk's screen."""
        return KioskScreen(self.controller, self.controller.view, tz=self.tz)


def open_window(app: Callable[[], App], *, size: tuple[int, int], fullscreen: bool,
                font: Path | str | None) -> None:
    """Configure the window, open it and run `app()` until it stops (blocks)."""
    register_cjk_font(font)  # fail before a window opens when the font is missing
    configure_window(size, fullscreen=fullscreen)
    app().run()


def run_app(controller: Controller, *, size: tuple[int, int] = PORTRAIT,
            fullscreen: bool = False, tz: tzinfo | None = None,
            font: Path | str | None = None) -> None:
    """Open the window and run the kiosk screen until the app stops (blocks)."""
    open_window(lambda: KioskApp(controller, size=None, tz=tz, font=font), size=size,
                fullscreen=fullscreen, font=font)
