"""What the kiosk's and the pad's screenshot runs share: the pytest side starts the render
script in a subprocess and reads its JSON report (`render_report`); the script side (after
Kivy is configured) drives the app one frame step at a time (`ShotRunner`), checks the
layout and writes the report (`run_and_report`). Geometry helpers work in window pixels."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TIME_LIMIT_S = 120  # a run takes 15-30 s here; this only stops a hung window
FIRST_FRAME_S = 1.0  # an offscreen window's first frames are black

Step = Generator[float, None, None]  # yields seconds to wait (0: the next frame)
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in window pixels


def render_report(script: Path, out: Path, tmp: Path, args: Sequence[str] = (), *,
                  pythonpath: Sequence[Path] | None = None) -> dict[str, Any]:
    """Run `script OUT REPORT *args` headless (fresh PNGs in `out`) and return its report;
    fails on errors in the report or a non-zero exit. Once per test run: pytest-xdist
    workers that need the same script's report take turns on a lock in `out`, and the
    later ones read the first one's report (two renders into one folder raced, and each
    took a core for half a minute)."""
    out.mkdir(parents=True, exist_ok=True)
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    with (out / ".render.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shared = out / f".report-{run}-{script.stem}.json"
        if run is not None and shared.exists():
            cached: dict[str, Any] = json.loads(shared.read_text(encoding="utf-8"))
            return cached
        for stale in out.glob(".report-*.json"):
            stale.unlink()
        data = _render(script, out, tmp, args, pythonpath)
        if run is not None:
            shared.write_text(json.dumps(data), encoding="utf-8")
        return data


def _render(script: Path, out: Path, tmp: Path, args: Sequence[str],
            pythonpath: Sequence[Path] | None) -> dict[str, Any]:
    for old in out.glob("*.png"):
        old.unlink()
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_LOG_MODE": "PYTHON", "KIVY_HOME": str(tmp / "kivy"), "KIVY_NO_FILELOG": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env.pop("DISPLAY", None)
    path = tmp / "report.json"
    done = subprocess.run([sys.executable, str(script), str(out), str(path), *args], env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=TIME_LIMIT_S,
                          check=False)
    assert path.exists(), f"no report (exit {done.returncode}):\n{done.stderr[-4000:]}"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert not data["errors"], "\n".join(data["errors"])
    assert done.returncode == 0, done.stderr[-4000:]
    return data


# ---- the render script's side (import after kiosk.ui.app.configure_window) ------------------


def rect(w: Any) -> Rect:
    x0, y0 = w.to_window(w.x, w.y)
    x1, y1 = w.to_window(w.right, w.top)
    return (x0, y0, x1, y1)


def parents(w: Any) -> Generator[Any, None, None]:
    p = w.parent
    while p is not None and p is not p.parent:
        yield p
        p = p.parent


def inside(a: Rect, b: Rect, axis: int | None = None, slack: float = 1.5) -> bool:
    axes = (0, 1) if axis is None else (axis,)
    return all(a[i] >= b[i] - slack and a[i + 2] <= b[i + 2] + slack for i in axes)


def overlap(a: Rect, b: Rect, slack: float = 1.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > slack
            and min(a[3], b[3]) - max(a[1], b[1]) > slack)


def visible(w: Any) -> Rect | None:
    """The part of a widget a scroll view lets through (None: scrolled out of sight)."""
    from kivy.uix.scrollview import ScrollView  # noqa: PLC0415 - after the window config

    x0, y0, x1, y1 = rect(w)
    for p in parents(w):
        if isinstance(p, ScrollView):
            px0, py0, px1, py1 = rect(p)
            x0, y0, x1, y1 = max(x0, px0), max(y0, py0), min(x1, px1), min(y1, py1)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


class ShotRunner:
    """Drives the app through the shots and the tap checks, one frame step at a time;
    subclasses write `run` (a generator of waits)."""

    def __init__(self, app: Any, out: Path, shots: list[Any]) -> None:
        self.app = app
        self.out = out
        self.shots = shots
        self.report: dict[str, Any] = {"shots": {}, "checks": [], "errors": []}
        self._steps = self.run()

    def run(self) -> Step:
        raise NotImplementedError

    def start(self) -> None:
        from kivy.clock import Clock  # noqa: PLC0415

        Clock.schedule_once(self._next, FIRST_FRAME_S)

    def _next(self, _dt: float = 0) -> None:
        from kivy.clock import Clock  # noqa: PLC0415

        try:
            wait = next(self._steps)
        except StopIteration:
            self.app.stop()
            return
        except Exception:  # report it, never hang the test
            self.report["errors"].append(traceback.format_exc())
            self.app.stop()
            return
        Clock.schedule_once(self._next, wait)

    @property
    def screen(self) -> Any:
        return self.app.screen

    def check(self, name: str, ok: bool, detail: object = "") -> None:
        self.report["checks"].append({"name": name, "ok": bool(ok), "detail": str(detail)})

    def show(self, r: Any, size: tuple[int, int]) -> Step:
        """Put a rig's controller on screen at a size and wait until it is drawn."""
        from kivy.core.window import Window  # noqa: PLC0415

        if tuple(Window.size) != size:
            Window.size = size
        self.app.attach(r.ctl)
        yield from self.settle(r)

    def settle(self, r: Any) -> Step:
        """Wait until the controller's newest view is drawn at the window's size and laid
        out: two frames in a row without a redraw (the app's tick may change the view)."""
        from kivy.clock import Clock  # noqa: PLC0415
        from kivy.core.window import Window  # noqa: PLC0415

        deadline = time.monotonic() + 5
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"view not drawn: {r.ctl.view.page}")
            if (self.screen.drawn is not r.ctl.view
                    or tuple(self.screen.size) != tuple(Window.size)):
                yield 0
                continue
            draws, frames = self.screen.draws, Clock.frames_displayed
            while Clock.frames_displayed < frames + 2:
                yield 0
            if self.screen.draws == draws and self.screen.drawn is r.ctl.view:
                return

    def tap(self, r: Any, name: str) -> Step:
        """Tap a named button and wait for the redraw."""
        ok = self.screen.tap(name)
        self.check(f"tap {name} found and enabled", ok, sorted(self.screen.buttons()))
        yield from self.settle(r)

    def glyphs(self, sample: str) -> None:
        """The default font is the CJK one and draws Chinese (Roboto draws identical boxes):
        the two characters of `sample` come out different."""
        from kivy.core.text import Label as CoreLabel  # noqa: PLC0415
        from kivy.core.text import LabelBase  # noqa: PLC0415

        regular = LabelBase._fonts.get("Roboto", ("",))[0]
        self.check("the default font is the CJK font", regular.endswith("wqy-zenhei.ttc"),
                   regular)
        pixels = []
        for ch in sample:
            label = CoreLabel(text=ch, font_size=48)
            label.refresh()
            pixels.append(bytes(label.texture.pixels))
        self.check("two Chinese characters draw differently (no boxes)",
                   pixels[0] != pixels[1], "")

    def layout(self, *, min_touch: float | None = None
               ) -> tuple[list[str], dict[str, list[float]]]:
        """Faults (text larger than its label, outside its button or the window; buttons on
        top of each other) and the rectangles of the buttons in sight. With `min_touch`,
        also buttons out of sight, outside the window or smaller than that either way."""
        from kivy.core.window import Window  # noqa: PLC0415
        from kivy.uix.label import Label  # noqa: PLC0415

        from kiosk.ui.widgets import TapButton  # noqa: PLC0415

        faults: list[str] = []
        win = (0.0, 0.0, float(Window.width), float(Window.height))
        buttons = []
        for w in self.screen.walk(restrict=True):
            if isinstance(w, TapButton):
                seen = visible(w)
                if seen is not None:
                    buttons.append((w, seen))
                if min_touch is not None:
                    if seen is None:
                        faults.append(f"button {w.tap} out of sight")
                        continue
                    if not inside(seen, win):
                        faults.append(f"button {w.tap} outside the window: {seen}")
                    if w.width < min_touch or w.height < min_touch:
                        faults.append(f"button {w.tap} smaller than {min_touch}px: {w.size}")
            if not isinstance(w, Label) or not w.text:
                continue
            box = rect(w)
            if w.texture_size[0] > w.width + 1 or w.texture_size[1] > w.height + 1:
                faults.append(f"text larger than its label {w.text[:20]!r}")
            if not inside(box, win, axis=0):
                faults.append(f"text outside the window {w.text[:20]!r}: {box}")
            holder = next((p for p in parents(w) if isinstance(p, TapButton)), None)
            if holder is not None and not inside(box, rect(holder)):
                faults.append(f"text outside its button {w.text[:20]!r} in {holder.tap}")
        for i, (a, ra) in enumerate(buttons):
            for b, rb in buttons[i + 1:]:
                if overlap(ra, rb):
                    faults.append(f"buttons overlap: {a.tap} and {b.tap}")
        return faults, {b.tap: list(r) for b, r in buttons}

    def screenshot(self, file: str) -> None:
        """Save the window as `out/file`."""
        from kivy.core.window import Window  # noqa: PLC0415

        tmp = Window.screenshot(name=str(self.out / "_shot.png"))
        os.replace(tmp, self.out / file)


def run_and_report(app: Any, runner: ShotRunner, report_path: Path, started: float) -> int:
    """Run the app with the runner and write its report; 1 when a step failed."""
    app.bind(on_start=lambda *_: runner.start())
    app.run()
    runner.report["elapsed_s"] = round(time.monotonic() - started, 2)
    report_path.write_text(json.dumps(runner.report, ensure_ascii=False, indent=1),
                           encoding="utf-8")
    return 1 if runner.report["errors"] else 0
