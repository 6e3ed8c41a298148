"""A kiosk or terminal process: its MQTT client, its printer, its camera and the controller.

The printer is a device of its own (its own broker account, journal and status reports);
the kiosk drives it in-process, so its tickets print even while the broker is away, and the
server still hears every result and sensor change. State lives under `state_dir`: the
outboxes, the printer's job journal and the cached service catalog (the kiosk shows the
guide from its cache while the server is away; it never issues from it).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from devices.camera.reader import FrameReader
from devices.camera.scanner import QrScanner
from devices.config.links import Camera
from devices.config.models import Kiosk, Printer, Terminal
from devices.printer.agent import PrinterDevice
from devices.protocol import messages as m
from devices.runtime.client import DeviceClient, DeviceIdentity
from kiosk.controller import KioskController, KioskSettings
from kiosk.model import KioskView, Page

logger = logging.getLogger(__name__)

SOFTWARE = "onewindow-kiosk 0.1"
SCAN_PAGES = frozenset({Page.HOME, Page.CHECK_IN, Page.SCAN})
TICK_S = 0.5


class Ticker:
    """Calls `tick` every TICK_S on a daemon thread (a process without a UI: the Kivy app
    ticks on its own thread); an exception is logged, the next tick still comes."""

    def __init__(self, tick: Callable[[], None], *, name: str, what: str) -> None:
        """`name`: the thread's; `what`: who ticks, in the log."""
        self.tick = tick
        self.name = name
        self.what = what
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking."""
        self._thread = threading.Thread(target=self._run, daemon=True, name=self.name)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.tick()
            except Exception:
                logger.exception("%s tick failed", self.what)

    def stop(self) -> None:
        """Stop ticking (waits up to 2 s for a tick under way)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


class ClientLink:
    """The controller's `Link` over a DeviceClient."""

    def __init__(self, client: DeviceClient) -> None:
        self.client = client

    def emit(self, name: str, message: m.Message) -> object:
        """Queue an event in the outbox."""
        return self.client.emit(name, message)

    def send(self, name: str, message: m.Message) -> None:
        """Publish a request now (not stored)."""
        self.client.send(name, message)

    def available(self) -> tuple[bool, bool]:
        """(broker connected, server online)."""
        return self.client.connected.is_set(), bool(self.client.server_online)


class PrinterLink:
    """The controller's `PrinterPort` over an in-process PrinterDevice."""

    def __init__(self, device: PrinterDevice) -> None:
        self.device = device

    def print_local(self, job: m.PrintJob,
                    on_done: Callable[[m.PrintResult], None]) -> None:
        """Print on the driver's thread."""
        self.device.print_local(job, on_done)

    def last_status(self) -> m.PrinterStatus | None:
        """The newest sensor reading."""
        driver = self.device.driver
        return driver.status_message() if driver is not None else None


@dataclass
class CatalogCache:
    """The last service catalog, kept on disk for a start without the server."""

    path: Path

    def load(self) -> m.ServiceCatalog | None:
        """The cached catalog, or None (missing or unreadable: logged, not fatal)."""
        try:
            return m.ServiceCatalog.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError) as exc:
            logger.warning("ignoring the cached catalog %s: %s", self.path, str(exc)[:200])
            return None

    def save(self, catalog: m.ServiceCatalog) -> None:
        """Write atomically (a crash mid-write leaves the old cache)."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(catalog.model_dump_json(), encoding="utf-8")
        tmp.replace(self.path)


def settings_of(config: Kiosk | Terminal) -> KioskSettings:
    """What the controller takes from a device config."""
    if isinstance(config, Kiosk):
        return KioskSettings(role="kiosk", device_id=config.id,
                             idle_return_s=config.idle_return_s,
                             languages=tuple(config.languages),
                             categories=tuple(config.categories) if config.categories else None,
                             zone=config.zone, has_printer=True, printer_id=config.printer)
    return KioskSettings(role="terminal", device_id=config.id,
                         idle_return_s=config.idle_return_s, languages=tuple(config.languages),
                         zone=config.zone, has_printer=config.printer is not None,
                         printer_id=config.printer)


class KioskRuntime:
    """Everything a kiosk or terminal process runs besides its screen."""

    def __init__(self, config: Kiosk | Terminal, printer: Printer | None, *, state_dir: Path,
                 tz: ZoneInfo, on_view: Callable[[KioskView], None] | None = None,
                 printer_poll_s: float = 10.0, camera: bool = True) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.cache = CatalogCache(state_dir / f"{config.id}.catalog.json")
        self.printer = (PrinterDevice(printer, tz=tz,
                                      journal=state_dir / f"{printer.id}.journal.db",
                                      outbox=state_dir / f"{printer.id}.outbox.db",
                                      poll_interval_s=printer_poll_s)
                        if printer is not None else None)
        self.client = DeviceClient(DeviceIdentity.of(config),
                                   outbox=state_dir / f"{config.id}.outbox.db",
                                   software=SOFTWARE, config_version=config.config_version)
        cached = self.cache.load()
        self.controller = KioskController(
            settings_of(config), ClientLink(self.client),
            printer=PrinterLink(self.printer) if self.printer is not None else None,
            on_view=on_view, catalog=cached, save_catalog=self._catalog_arrived)
        if cached is not None:
            self._catalog_arrived(cached, save=False)
        self.client.on_command = self.controller.on_message
        self.camera = (CameraScanner(config.camera, self.controller)
                       if camera and config.camera is not None else None)
        self.ticker = Ticker(self.controller.tick, name=f"{config.id}-tick", what="kiosk")

    def _catalog_arrived(self, catalog: m.ServiceCatalog, *, save: bool = True) -> None:
        if self.printer is not None:
            self.printer.hall_name = catalog.hall_name
            if self.printer.driver is not None:
                self.printer.driver.hall_name = catalog.hall_name
        if save:
            self.cache.save(catalog)

    def start(self, *, tick: bool = True) -> None:
        """Start the printer, the MQTT client, the camera and (without a UI) the ticker."""
        if self.printer is not None:
            self.printer.start()
            if self.printer.driver is not None and self.controller.catalog is not None:
                self.printer.driver.hall_name = self.controller.catalog.hall_name
        self.client.start()
        if self.camera is not None:
            self.camera.start()
        if tick:
            self.ticker.start()

    def stop(self) -> None:
        """Stop everything (the outbox keeps what was not delivered)."""
        self.ticker.stop()
        if self.camera is not None:
            self.camera.stop()
        self.client.stop()
        if self.printer is not None:
            self.printer.stop()


class CameraScanner:
    """The configured camera feeding QR codes to the controller; its state shown on screen
    (offline: the keypad is the way in)."""

    def __init__(self, camera: Camera, controller: KioskController) -> None:
        self.controller = controller
        self.reader = FrameReader.for_camera(camera, on_online=controller.set_camera,
                                             name=f"{controller.settings.device_id}-camera")
        self.scanner = QrScanner(self.reader, controller.scanned, paused=True,
                                 name=f"{controller.settings.device_id}-qr")
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._follow, daemon=True,
                                         name=f"{controller.settings.device_id}-qr-pages")

    def start(self) -> None:
        """Start reading; decode only on the pages that take a code."""
        self.reader.start()
        self.scanner.start()
        self._watcher.start()

    def _follow(self) -> None:
        # Frames without a code cost every decoding pass (~40% of a core at 8 frames/s):
        # decode only where a code is expected.
        while not self._stop.wait(0.3):
            wanted = self.controller.view.page in SCAN_PAGES
            if wanted and self.scanner.paused:
                self.scanner.resume()
            elif not wanted and not self.scanner.paused:
                self.scanner.pause()

    def stop(self) -> None:
        """Stop everything (bounded)."""
        self._stop.set()
        self.scanner.stop()
        self.reader.stop()


def describe(view: KioskView) -> dict[str, object]:
    """A short JSON-able summary of a view (logs and the headless runner)."""
    return {"page": view.page.value, "accepting": view.accepting,
            "ticket": view.ticket.number if view.ticket else None,
            "print": view.print_state, "paused": view.paused.zh if view.paused else None,
            "refusal": view.refusal.zh if view.refusal else None}


def dumps(view: KioskView) -> str:
    """`describe` as one JSON line."""
    return json.dumps(describe(view), ensure_ascii=False)
