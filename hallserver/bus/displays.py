"""Keeps every display's retained, versioned state equal to the committed state.

Changes arrive after commit (HallChange listeners) from any thread; one worker thread
recomputes the affected states and publishes those whose content changed. On (re)connect
and on a device's birth the states are published again, so a display that missed something
or a broker that lost its retained messages converges. Versions come from a clock-based
counter that never goes back within a process and grows across restarts with the clock."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, cmd, state
from hallserver.bus.dispatch import Publisher
from hallserver.services.devices import DeviceInfo, DeviceRegistry
from hallserver.services.displays import DisplayService, announcement, window_display
from hallserver.services.hall import HallChange

logger = logging.getLogger(__name__)

WINDOW_DISPLAYS = frozenset({DeviceType.LED, DeviceType.CALLER, DeviceType.PAD})
ISSUERS = frozenset({DeviceType.KIOSK, DeviceType.TERMINAL})
REFRESH_S = 15.0  # opening hours change with time alone: recheck kiosk states this often
_VOLATILE = {"v", "msg_id", "sent_at", "version"}


class VersionClock:
    """Strictly growing versions: milliseconds since 1970, bumped on collisions."""

    def __init__(self, now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self._now_ms = now_ms
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        """A version above every one handed out before."""
        with self._lock:
            self._last = max(self._last + 1, self._now_ms())
            return self._last


@dataclass
class _Work:
    windows: set[int] = field(default_factory=set)
    hall: bool = False  # screens and kiosks
    everything: bool = False
    force: bool = False
    births: list[DeviceInfo] = field(default_factory=list)
    calls: list[HallChange] = field(default_factory=list)


class DisplaySync:
    """Publishes display states and call announcements from committed changes."""

    def __init__(self, displays: DisplayService, registry: DeviceRegistry,
                 publisher: Publisher, hall_id: str, *, repeat: int = 2) -> None:
        self.displays = displays
        self.registry = registry
        self.publisher = publisher
        self.hall_id = hall_id
        self.repeat = repeat
        self.versions = VersionClock()
        self._published: dict[str, str] = {}
        self._work = _Work()
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()

    # ---- inputs, from any thread ----------------------------------------------------------

    def on_change(self, change: HallChange) -> None:
        """A committed change (a HallContext listener)."""
        with self._wake:
            if change.window is not None:
                self._work.windows.add(change.window)
            self._work.hall = True
            if change.kind == "call":
                self._work.calls.append(change)
            self._wake.notify()

    def on_birth(self, device: DeviceInfo) -> None:
        """A device came online: send its state again (retained may have been lost)."""
        with self._wake:
            self._work.births.append(device)
            self._wake.notify()

    def resync(self, *, force: bool = False) -> None:
        """Recompute everything; with force, publish even unchanged states."""
        with self._wake:
            self._work.everything = True
            self._work.force = self._work.force or force
            self._wake.notify()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until queued work is done (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._wake:
                w = self._work
                pending = w.windows or w.hall or w.everything or w.births or w.calls
            if not pending and self._idle.is_set():
                return True
            time.sleep(0.01)
        return False

    # ---- the worker -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="display-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker thread."""
        self._stop.set()
        with self._wake:
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        next_refresh = time.monotonic() + REFRESH_S
        while not self._stop.is_set():
            with self._wake:
                w = self._work
                if not (w.windows or w.hall or w.everything or w.births or w.calls):
                    self._idle.set()
                    self._wake.wait(timeout=max(0.0, next_refresh - time.monotonic()))
                work, self._work = self._work, _Work()
                self._idle.clear()
            if self._stop.is_set():
                break
            if time.monotonic() >= next_refresh:
                work.hall = True
                next_refresh = time.monotonic() + REFRESH_S
            try:
                self._apply(work)
            except Exception:
                logger.exception("display sync failed; retrying with a full resync")
                time.sleep(1.0)
                self.resync(force=True)

    def _apply(self, work: _Work) -> None:
        if not (work.windows or work.hall or work.everything or work.births or work.calls):
            return
        infos = self.displays.window_infos()
        force_ids = {d.id for d in work.births}
        windows = set(infos) if work.everything else work.windows
        windows |= {d.window for d in work.births if d.window is not None}
        hall = work.hall or work.everything or any(
            d.type in ISSUERS or d.type is DeviceType.SCREEN for d in work.births)
        kiosk = self.displays.kiosk(version=0) if hall else None
        screens: dict[str | None, m.ScreenState] = {}
        for device in self.registry.known.values():
            force = work.force or device.id in force_ids
            msg: m.Message | None = None
            if device.type in WINDOW_DISPLAYS and device.window in windows:
                msg = window_display(infos[device.window], version=0)
            elif device.type in ISSUERS and kiosk is not None:
                msg = kiosk
            elif device.type is DeviceType.SCREEN and hall:
                if device.zone not in screens:
                    screens[device.zone] = self.displays.screen(infos, device.zone, version=0)
                msg = screens[device.zone]
            if msg is not None:
                self._publish_state(device, msg, force=force)
        for change in work.calls:
            self._announce(change)

    def _publish_state(self, device: DeviceInfo, msg: m.Message, *, force: bool) -> None:
        topic = state(self.hall_id, device.type, device.id)
        content = msg.model_dump_json(exclude=_VOLATILE)
        if not force and self._published.get(str(topic)) == content:
            return
        fresh = msg.model_copy(update={"version": self.versions.next(),
                                       "msg_id": uuid.uuid4().hex, "sent_at": m.utc_now()})
        self.publisher.publish(topic, fresh, retain=True)
        self._published[str(topic)] = content

    def _announce(self, change: HallChange) -> None:
        assert change.window is not None
        assert change.number is not None
        zone = next((d.zone for d in self.registry.known.values()
                     if d.window == change.window and d.zone is not None), None)
        call = announcement(change.number, change.window, recall=change.recall,
                            call_id=uuid.uuid4().hex, repeat=self.repeat,
                            cfg=self.displays.layout())
        for device in self.registry.known.values():
            if device.type is DeviceType.SCREEN and device.zone in {None, zone}:
                self.publisher.publish(cmd(self.hall_id, device.type, device.id, "announce"),
                                       call)
