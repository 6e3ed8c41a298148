"""The Kivy app of a rating pad: draws the controller's views, forwards taps, ticks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from kiosk.pad.model import PadView
from kiosk.ui.app import ViewApp, open_window
from kiosk.ui.pad.kit import PadActions
from kiosk.ui.pad.screen import PadScreen

LANDSCAPE = (1280, 800)  # a typical 10-inch pad
PORTRAIT = (800, 1280)


class Controller(PadActions, Protocol):
    """What the app needs of PadController: its taps, its view and its clock tick."""

    view: PadView
    on_view: Callable[[PadView], None] | None

    def tick(self) -> None: ...


class PadApp(ViewApp[Controller, PadScreen]):
    """Draws `controller`'s views full-window and calls its `tick` twice a second."""

    name_in_log = "pad"

    def __init__(self, controller: Controller, *, size: tuple[int, int] | None = LANDSCAPE,
                 font: Path | str | None = None) -> None:
        """`size` None leaves the window as configured (fullscreen)."""
        super().__init__(controller, title="OneWindow 评价器", size=size, font=font)

    def make_screen(self) -> PadScreen:
        """The pad's screen."""
        return PadScreen(self.controller, self.controller.view)


def run_pad(controller: Controller, *, size: tuple[int, int] = LANDSCAPE,
            fullscreen: bool = False, font: Path | str | None = None) -> None:
    """Open the window and run the pad screen until the app stops (blocks)."""
    open_window(lambda: PadApp(controller, size=None, font=font), size=size,
                fullscreen=fullscreen, font=font)
