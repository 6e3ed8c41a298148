"""Render every scenario headless to PNG and simulate taps; write a JSON report.

Kivy allows one window per process, so pytest runs this as a subprocess:
    python tests/kiosk_ui/render_shots.py OUT_DIR REPORT.json [NAME-FILTER]
The window opens at 1920x1920 and shrinks to each shot's size (an offscreen window
cannot grow past the size it was created with).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kiosk.ui.app import KioskApp, configure_window

configure_window((1920, 1920))

from kiosk_ui_support import TICKET_URL, TZ, issued, reply  # noqa: E402
from kivy.animation import Animation  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from scenarios import SHOTS, Rig, Shot, prepare, rig  # noqa: E402
from shot_runner import ShotRunner, Step, run_and_report  # noqa: E402

from devices.protocol import messages as m  # noqa: E402
from kiosk.model import Page  # noqa: E402
from kiosk.ui.pages.common import Spinner  # noqa: E402


class Runner(ShotRunner):
    """Drives the kiosk app through the shots and the tap checks."""

    def shoot(self, shot: Shot, r: Rig) -> None:
        self.screenshot(shot.file)
        faults, _ = self.layout()
        v = self.screen.drawn
        self.report["shots"][shot.name] = {
            "file": shot.file, "size": list(Window.size), "page": v.page.value,
            "language": v.language, "elderly": v.elderly, "role": v.role,
            "expected_page": shot.page, "faults": faults,
            "qr_url": v.qr_url}

    # ---- the run ----------------------------------------------------------------------------

    def run(self) -> Step:
        self.glyphs("政务")
        for shot in self.shots:
            began = time.monotonic()
            r = prepare(shot)
            yield from self.show(r, shot.size)
            drawn = time.monotonic()
            self.shoot(shot, r)
            self.report["shots"][shot.name]["seconds"] = [round(drawn - began, 3),
                                                          round(time.monotonic() - drawn, 3)]
        yield from self.taps()

    def taps(self) -> Step:
        """Taps reach the controller; its answers come back to the screen."""
        r = rig("kiosk")
        prepare_ready(r)
        yield from self.show(r, (1080, 1920))
        yield from self.tap(r, "category:qiye")
        v = r.ctl.view
        self.check("category tile opens ITEMS", v.page is Page.ITEMS
                   and v.category is not None and v.category.code == "qiye", v.page)
        yield from self.tap(r, "item:QY-001")
        self.check("item opens GUIDE", r.ctl.view.page is Page.GUIDE, r.ctl.view.page)
        yield from self.tap(r, "priority")
        self.check("priority toggles on", r.ctl.view.priority, r.ctl.view.priority)
        yield from self.tap(r, "take-number")
        sent = r.link.last("ticket-request")
        self.check("取号 emits a ticket-request", isinstance(sent, m.TicketRequest)
                   and sent.category == "qiye" and sent.item == "QY-001" and sent.priority,
                   sent)
        self.check("issuing page has no back or home", not {"back", "home"}
                   & set(self.screen.buttons()), sorted(self.screen.buttons()))
        # The reply arrives on the MQTT thread; the screen must redraw on its own thread.
        assert isinstance(sent, m.TicketRequest)
        worker = threading.Thread(target=reply, args=(r.ctl, "ticket-issued",
                                                      issued(sent.request_id)))
        worker.start()
        worker.join()
        yield from self.settle(r)
        self.check("a reply from another thread is drawn", self.screen.drawn.page is Page.TICKET
                   and self.screen.drawn.qr_url == TICKET_URL, self.screen.drawn.page)
        spinning = [a for a in Animation._instances
                    if any(isinstance(d.get("widget"), Spinner) for d in a._widgets.values()
                           if isinstance(d, dict))]
        self.check("the issuing spinner stops when the page goes", not spinning, spinning)
        yield from self.tap(r, "language")
        self.check("language button switches to English", r.ctl.view.language == "en",
                   r.ctl.view.language)
        yield from self.tap(r, "elderly")
        self.check("elderly button turns on large type", r.ctl.view.elderly, r.ctl.view.elderly)
        yield from self.tap(r, "home")
        self.check("首页 goes home", r.ctl.view.page is Page.HOME, r.ctl.view.page)
        yield from self.tap(r, "helper")
        sent_help = r.link.last("helper-request")
        self.check("帮办 pages staff", r.ctl.view.page is Page.HELP_SENT
                   and isinstance(sent_help, m.HelperRequest), r.link.names())
        yield from self.tap(r, "back")
        yield from self.tap(r, "check-in")
        for key in "7K3M9Q2XH4TB8W6RZ":
            self.screen.tap(f"key:{key}")
        yield from self.settle(r)
        self.check("keypad types a grouped code", r.ctl.view.code_input
                   == "7K3M-9Q2X-H4TB-8W6R", r.ctl.view.code_input)
        self.check("keypad has the 32 Crockford keys", sorted(
            k[4:] for k in self.screen.buttons() if k.startswith("key:"))
            == sorted("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), "")
        yield from self.tap(r, "erase")
        self.check("删除 erases one", r.ctl.view.code_input == "7K3M-9Q2X-H4TB-8W6",
                   r.ctl.view.code_input)
        yield from self.tap(r, "key:R")
        yield from self.tap(r, "submit")
        sent_in = r.link.last("check-in")
        self.check("确认 emits a check-in", isinstance(sent_in, m.CheckIn)
                   and sent_in.code == "7K3M-9Q2X-H4TB-8W6R", sent_in)
        yield from self.paused_taps()
        yield from self.terminal_taps()

    def paused_taps(self) -> Step:
        r = rig("kiosk")
        prepare_ready(r, accepting=False)
        yield from self.show(r, (1080, 1920))
        self.check("check-in is off while paused", not self.screen.tap("check-in"), "")
        yield from self.tap(r, "category:qiye")
        yield from self.tap(r, "item:QY-001")
        before = len(r.link.sent)
        self.check("取号 is off while paused", not self.screen.tap("take-number")
                   and len(r.link.sent) == before, r.link.names())
        full = rig("kiosk")
        prepare_ready(full)
        yield from self.show(full, (1080, 1920))
        yield from self.tap(full, "category:churujing")
        self.check("取号 is off for a full category", not self.screen.tap("take-number"),
                   full.ctl.view.page)

    def terminal_taps(self) -> Step:
        r = rig("terminal")
        prepare_ready(r)
        yield from self.show(r, (1920, 1080))
        yield from self.tap(r, "scan-case")
        self.check("查询办件进度 opens SCAN", r.ctl.view.page is Page.SCAN, r.ctl.view.page)
        r.ctl.scanned("https://hall.example.gov.cn/c/Kp7Wm2Qx9ZrT4vLs")
        from kiosk_ui_support import case_view  # noqa: PLC0415

        reply(r.ctl, "query-result", m.QueryResult(
            request_id=r.request_id("query"), found=True, case=case_view()), "terminal")
        yield from self.settle(r)
        yield from self.tap(r, "reprint")
        sent = r.link.last("query")
        self.check("补打回执 asks for a reprint", isinstance(sent, m.Query)
                   and sent.purpose == "reprint" and sent.kind == "case", sent)


def prepare_ready(r: Rig, *, accepting: bool = True) -> None:
    from kiosk_ui_support import ready  # noqa: PLC0415

    ready(r.ctl, r.role, accepting=accepting)


def main(argv: list[str]) -> int:
    out, report_path = Path(argv[1]), Path(argv[2])
    wanted: Callable[[Shot], bool] = (lambda s: argv[3] in s.name) if len(argv) > 3 \
        else (lambda s: True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    first = rig("kiosk")
    app = KioskApp(first.ctl, size=(1920, 1920), tz=TZ)
    return run_and_report(app, Runner(app, out, [s for s in SHOTS if wanted(s)]), report_path,
                          started)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
