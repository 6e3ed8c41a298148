"""`hallserver bench kiosk`: tap -> ticket on screen, through the demo server and the
embedded broker, measured in the kiosk's own controller (the view that shows the number),
next to the bare ticket request/reply of a plain device client on the same server; and
`render_ticket` in both Chinese modes.

The hall server runs as its own process (`hallserver serve`); the kiosk runs here with its
real runtime (outbox, in-process printer on a File transport), without a camera or window."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from devices.config.loader import load_device
from devices.config.models import Kiosk, Printer
from devices.config.secret import SecretSource
from devices.printer.bench import time_render
from hallserver.bench.mqtt import (
    _free_port,
    _hall_dir,
    _kiosk,
    _line,
    _pct,
    _round_trips,
    _start_server,
    _until_served,
    _wait_port,
)
from kiosk.model import KioskView, Page
from kiosk.runtime import KioskRuntime


def _kiosk_runtime(hall_dir: Path, secrets: SecretSource, port: int,
                   state: Path) -> KioskRuntime:
    kiosk = load_device(hall_dir / "devices" / "kiosk-a1.yaml", secrets)
    printer = load_device(hall_dir / "devices" / "printer-a1.yaml", secrets)
    assert isinstance(kiosk, Kiosk)
    assert isinstance(printer, Printer)
    kiosk = kiosk.model_copy(update={"mqtt": kiosk.mqtt.model_copy(update={"port": port})})
    transport = printer.transport.model_copy(update={"path": str(state / "printer.bin")})
    printer = printer.model_copy(update={
        "mqtt": printer.mqtt.model_copy(update={"port": port}), "transport": transport})
    return KioskRuntime(kiosk, printer, state_dir=state, tz=ZoneInfo("Asia/Shanghai"),
                        camera=False)


def _taps(rt: KioskRuntime, count: int, gap_s: float) -> list[float]:
    """Latencies (ms) from the tap on 取号 to the view showing the committed number; `gap_s`
    between citizens lets the previous ticket's printing and its reports settle."""
    shown = threading.Event()

    def on_view(view: KioskView) -> None:
        if view.page is Page.TICKET:
            shown.set()

    rt.controller.on_view = on_view
    # Not the plain client's category: each has its own daily cap (限号).
    category = next(c.code for c in rt.controller.view.categories if c.code != "qiye")
    out = []
    for _ in range(count):
        time.sleep(gap_s)
        rt.controller.home()
        rt.controller.open_category(category)
        shown.clear()
        t0 = time.perf_counter()
        rt.controller.take_number()
        if not shown.wait(10):
            view = rt.controller.view
            raise RuntimeError(f"no ticket on screen: {view.page} {view.say(view.refusal)}")
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run(*, taps: int = 200, renders: int = 200, gap: float = 0.25) -> int:
    """Run the benchmark and print the numbers."""
    logging.getLogger("devices").setLevel(logging.WARNING)
    logging.getLogger("kiosk").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmp:
        root = Path(tmp)
        settings, _accounts = _hall_dir(root, 1, 0)
        assert settings.secrets is not None
        secrets = SecretSource(settings.secrets)
        port = _free_port()
        server = _start_server(settings, {"HALL_MQTT_PORT": str(port)})
        try:
            _wait_port(port, timeout=60)
            plain = _kiosk(port, secrets, "kiosk-x1")
            _until_served(plain)
            _round_trips([plain], 20)
            floor = _round_trips([plain], taps)
            plain.stop()
            rt = _kiosk_runtime(settings.config.parent, secrets, port, root / "kiosk")
            rt.start()
            deadline = time.monotonic() + 30
            while not (rt.controller.view.accepting and rt.controller.view.categories):
                if time.monotonic() > deadline:
                    raise RuntimeError("the kiosk never became ready")
                time.sleep(0.05)
            _taps(rt, 10, gap)  # warm up
            lat = _taps(rt, taps, gap)
            rt.stop()
        finally:
            server.terminate()
            server.wait(timeout=20)
    ratio = _pct(lat, 0.5) / _pct(floor, 0.5)
    print("kiosk: embedded amqtt broker, hall server in its own process, SQLite")
    print(_line("plain ticket request/reply", floor))
    print(_line("tap -> ticket on screen (kiosk)", lat) + f"  x{ratio:.1f} of plain p50"
          f"  ({gap * 1000:.0f} ms between citizens)")
    for mode, r in time_render(renders).items():
        print(f"  render_ticket {mode:<8} 80 mm       n={int(r['n']):<5} p50 {r['p50_ms']:6.2f} "
              f"ms  p99 {r['p99_ms']:7.2f} ms  {int(r['bytes'])} bytes")
    return 0
