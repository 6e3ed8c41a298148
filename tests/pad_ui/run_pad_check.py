"""Run `onewindow-kiosk --role pad CONFIG` in its window for two seconds (no broker) and print
what it showed as JSON. Started by the tests as a subprocess:
    python tests/pad_ui/run_pad_check.py CONFIG STATE_DIR [WIDTHxHEIGHT]
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")

from kivy.app import App
from kivy.clock import Clock

from kiosk.cli import main as cli_main

RUN_S = 2.0


def main(argv: list[str]) -> int:
    seen: dict[str, object] = {}

    def look(_dt: float) -> None:
        from kivy.core.window import Window  # noqa: PLC0415

        app = App.get_running_app()
        seen.update(size=list(Window.size), page=app.screen.drawn.page.value,
                    window=app.screen.drawn.window, buttons=sorted(app.screen.buttons()),
                    title=app.title)
        app.stop()

    Clock.schedule_once(look, RUN_S)
    args = ["--role", "pad", "--config", argv[1], "--state-dir", argv[2]]
    if len(argv) > 3:
        args += ["--size", argv[3]]
    code = cli_main(args)
    print(json.dumps({"exit": code, **seen}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
