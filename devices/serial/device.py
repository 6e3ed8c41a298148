"""What the three serial drivers share: a link, and a mirror of what the device should show.

A display's content lives in the host (`Mirror`): the app sets it, a worker thread sends
the newest content of each slot once the link is up, and everything is sent again when the
link comes back or the device says HELLO after a restart. So a display never shows stale
content after a cable was pulled, and the app never blocks on a dead line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self

from devices.serial.frames import Frame
from devices.serial.link import Link, LinkConfig, LinkDown, Opener, Refused
from devices.serial.payloads import DEFAULT_ADDRESS, Cmd, DeviceKind, KeyPress

logger = logging.getLogger(__name__)


def link_config(kind: DeviceKind, url: str, *, baudrate: int = 9600,
                address: int | None = None,
                timing: Mapping[str, float] | None = None) -> LinkConfig:
    """A LinkConfig for a device kind (its default address unless given); `timing`
    overrides LinkConfig's timeouts by name (e.g. `heartbeat_s`)."""
    base = LinkConfig(url=url, kind=kind, baudrate=baudrate,
                      address=DEFAULT_ADDRESS[kind] if address is None else address)
    return replace(base, **dict(timing or {}))  # type: ignore[arg-type]


@dataclass
class _Slot:
    cmd: Cmd
    payload: bytes
    generation: int
    sent: int = 0  # generation the device acknowledged
    epoch: int = -1  # the link epoch it was acknowledged in


class Mirror:
    """The content a device should show, by slot, sent by a worker when the link is up."""

    def __init__(self, link: Link, name: str) -> None:
        self.link = link
        self.name = name
        self.sends = 0
        self._slots: dict[str, _Slot] = {}
        self._generation = 0
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sender thread."""
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"serial-{self.name}-mirror")
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the sender thread (a send in flight ends within its own deadline)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def set(self, slot: str, cmd: Cmd, payload: bytes) -> int:
        """Show this in `slot` (replacing what was there); returns its generation."""
        with self._cond:
            self._generation += 1
            self._slots[slot] = _Slot(cmd, payload, self._generation)
            self._cond.notify_all()
            return self._generation

    def wake(self) -> None:
        """The link came back or the device restarted: what was acknowledged in an older
        link epoch is sent again (once, however the sender and this call interleave)."""
        with self._cond:
            self._cond.notify_all()

    def wait_sent(self, generation: int, timeout: float) -> bool:
        """Wait until the device acknowledged content of `generation` (or newer)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: any(s.sent >= generation for s in self._slots.values()), timeout)

    def _next(self) -> tuple[str, _Slot] | None:
        epoch = self.link.epoch
        for key, slot in self._slots.items():
            if slot.sent < slot.generation or slot.epoch < epoch:
                return key, slot
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stop or self._next() is not None)
                if self._stop:
                    return
                pending = self._next()
                assert pending is not None
                key, slot = pending
                cmd, payload, generation = slot.cmd, slot.payload, slot.generation
            if not self.link.up:
                self.link.wait_up(0.5)
                continue
            epoch = self.link.epoch  # read while up: a drop during the send makes it old
            try:
                self.link.send(cmd, payload)
            except LinkDown:
                continue  # the link callbacks will say when to try again
            except Refused as exc:
                logger.error("serial %s refused %s: %s", self.name, key, exc)
                generation = slot.generation  # do not resend what it cannot take
            self.sends += 1
            with self._cond:
                current = self._slots.get(key)
                if current is not None and current.generation == generation:
                    current.sent = generation
                    current.epoch = epoch
                self._cond.notify_all()


class SerialDevice:
    """Base of the drivers: owns the link and the mirror; subclasses map keys and content."""

    kind: DeviceKind

    def __init__(self, config: LinkConfig, *, on_up: Callable[[], None] | None = None,
                 on_down: Callable[[], None] | None = None,
                 opener: Opener | None = None) -> None:
        self.config = config
        self.on_up = on_up
        self.on_down = on_down
        self._opener = opener
        self.link: Link | None = None
        self.mirror: Mirror | None = None

    def open(self) -> None:
        """Open the link (in the background) and start showing content."""
        kw = {"opener": self._opener} if self._opener is not None else {}
        self.link = Link(self.config, on_frame=self._frame, on_up=self._up,
                         on_down=self._down, **kw)
        self.mirror = Mirror(self.link, self.kind.name.lower())
        self.mirror.start()
        self.link.open()

    def close(self) -> None:
        """Stop showing and close the link."""
        if self.mirror is not None:
            self.mirror.stop()
        if self.link is not None:
            self.link.close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def up(self) -> bool:
        """Whether the device answers."""
        return self.link is not None and self.link.up

    def _show(self, slot: str, cmd: Cmd, payload: bytes) -> int:
        if self.mirror is None:
            raise RuntimeError("open() the device first")
        return self.mirror.set(slot, cmd, payload)

    def wait_shown(self, generation: int, timeout: float = 3.0) -> bool:
        """Wait until the device acknowledged content `generation`."""
        return self.mirror is not None and self.mirror.wait_sent(generation, timeout)

    def _up(self) -> None:
        if self.mirror is not None:
            self.mirror.wake()
        if self.on_up is not None:
            self.on_up()

    def _down(self) -> None:
        if self.on_down is not None:
            self.on_down()

    def in_order(self, callback: Callable[[], None]) -> None:
        """Run `callback` after the device's input received so far has been handled (on the
        link's events thread; at once when the link is not open)."""
        if self.link is None:
            callback()
        else:
            self.link.call_in_order(callback)

    def _frame(self, frame: Frame) -> None:
        try:
            press = KeyPress.decode(frame.payload)
        except ValueError:
            logger.warning("serial %s: malformed key frame", self.kind.name.lower())
            return
        self.key(press)

    def key(self, press: KeyPress) -> None:
        """A key press from the device (on the link's event thread)."""
