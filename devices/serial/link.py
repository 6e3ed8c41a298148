"""The host end of a serial window-device link (docs/serial-protocol.md).

A `Link` owns one pyserial port opened with `serial.serial_for_url` (a device path, a pty,
`loop://`, `socket://host:port` ...). Three threads:

- reader: opens the port (and reopens it after it vanished), parses frames, answers every
  reliable frame with an ACK at once, drops retransmitted ones (same SEQ as the last one
  accepted), refuses damaged ones with a NAK;
- keeper: says HELLO when the port opens, PINGs when the line has been quiet for
  `heartbeat_s`, and declares the link down when a frame goes unacknowledged;
- events: runs the app's callbacks (`on_frame`, `on_up`, `on_down`) in order, so a slow
  callback never stalls the reader.

`send` is stop-and-wait: one outstanding frame, resent after `ack_timeout_s` at most
`retries` times, all within the caller's deadline.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import serial

from devices.serial.frames import Frame, Parser, encode
from devices.serial.payloads import (
    UNRELIABLE,
    Cmd,
    DeviceKind,
    Hello,
    NakReason,
    wire_cmd,
)

logger = logging.getLogger(__name__)

Opener = Callable[..., Any]


class LinkDown(ConnectionError):
    """The port is closed or the device did not acknowledge in time."""


class Refused(Exception):
    """The device refused a frame for good (unknown command, bad payload)."""


@dataclass(frozen=True)
class LinkConfig:
    """Where the device is and how patient to be with it."""

    url: str
    kind: DeviceKind
    address: int
    baudrate: int = 9600
    ack_timeout_s: float = 0.25
    retries: int = 3
    heartbeat_s: float = 1.0
    reopen_s: float = 0.5
    reopen_max_s: float = 5.0
    read_timeout_s: float = 0.05
    write_timeout_s: float = 1.0
    accepts: frozenset[Cmd] = frozenset({Cmd.KEY})

    @property
    def send_timeout_s(self) -> float:
        """Default deadline of one `send`: every retransmission plus slack."""
        return self.ack_timeout_s * (self.retries + 1) + 0.5


@dataclass
class LinkStats:
    """Counters for the dashboard and tests."""

    sent: int = 0
    retransmits: int = 0
    received: int = 0
    duplicates: int = 0
    echoes: int = 0
    foreign: int = 0
    naks_sent: int = 0
    naks_received: int = 0
    opens: int = 0
    ups: int = 0
    downs: int = 0
    last_error: str = field(default="")


class Link:
    """A reliable link to one serial device; `open()` starts it, `close()` ends it."""

    def __init__(self, config: LinkConfig, *, on_frame: Callable[[Frame], None],
                 on_up: Callable[[], None] | None = None,
                 on_down: Callable[[], None] | None = None,
                 opener: Opener = serial.serial_for_url) -> None:
        self.config = config
        self.on_frame = on_frame
        self.on_up = on_up
        self.on_down = on_down
        self.opener = opener
        self.stats = LinkStats()
        self.parser = Parser()
        self._port: Any = None
        self._up = False
        self._up_cond = threading.Condition()
        self._stop = threading.Event()
        self._port_ready = threading.Event()
        self._write_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._reply = threading.Event()
        self._outstanding: int | None = None
        self._nak: NakReason | None = None
        self._seq = 0
        self._last_rx_seq: int | None = None
        self._last_rx = 0.0
        self._events: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    # ---- lifecycle ------------------------------------------------------------------------

    def open(self) -> None:
        """Start the threads; the port is opened (and reopened) in the background."""
        if self._threads:
            raise RuntimeError("link already open")
        self._stop.clear()
        for name, target in (("reader", self._run_reader), ("keeper", self._run_keeper),
                             ("events", self._run_events)):
            t = threading.Thread(target=target, daemon=True,
                                 name=f"serial-{self.config.kind.name.lower()}-{name}")
            t.start()
            self._threads.append(t)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the threads and close the port (bounded by `timeout`)."""
        self._stop.set()
        self._reply.set()
        self._events.put(None)
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        self._drop_port("closed")

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def up(self) -> bool:
        """Whether the device answered recently."""
        return self._up

    def wait_open(self, timeout: float) -> bool:
        """Wait until the port is open (the device may still be silent)."""
        return self._port_ready.wait(timeout)

    @property
    def epoch(self) -> int:
        """How many times the link came up (or the device said hello): content sent in
        an older epoch may no longer be on the device."""
        return self.stats.ups

    def wait_up(self, timeout: float) -> bool:
        """Wait until the link is up; False at the deadline."""
        with self._up_cond:
            return self._up_cond.wait_for(lambda: self._up, timeout)

    def call_in_order(self, callback: Callable[[], None]) -> None:
        """Run `callback` on the events thread after every frame received so far: what the
        host decides then sees the device's input in the order it came."""
        self._events.put(callback)

    # ---- sending ------------------------------------------------------------------------

    def send(self, cmd: Cmd, payload: bytes = b"", *, timeout: float | None = None) -> None:
        """Send a frame and wait for its ACK (resending as needed) within `timeout`.

        Raises LinkDown when the port is closed or no ACK came, Refused on a permanent NAK.
        """
        deadline = time.monotonic() + (timeout if timeout is not None
                                       else self.config.send_timeout_s)
        if not self._send_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise LinkDown("another frame is still unacknowledged")
        try:
            self._transact(cmd, payload, deadline)
        finally:
            self._send_lock.release()

    def _transact(self, cmd: Cmd, payload: bytes, deadline: float) -> None:
        self._seq = self._seq % 255 + 1  # 1..255; 0 means "no sequence" in a NAK
        frame = Frame(self.config.address, self._seq, wire_cmd(cmd, from_device=False), payload)
        raw = encode(frame)
        self._outstanding, self._nak = frame.seq, None
        attempt = 0
        try:
            for attempt in range(self.config.retries + 1):
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    break
                if attempt:
                    self.stats.retransmits += 1
                self._reply.clear()
                self._write(raw)
                self.stats.sent += 1
                if not self._reply.wait(min(self.config.ack_timeout_s, left)):
                    continue
                if self._nak is None:
                    return
                if self._nak in {NakReason.UNKNOWN_COMMAND, NakReason.BAD_PAYLOAD}:
                    raise Refused(f"{cmd.name} refused: {self._nak.name}")
                if self._nak is NakReason.BUSY:
                    self._stop.wait(min(self.config.ack_timeout_s,
                                        max(0.0, deadline - time.monotonic())))
                self._nak = None
        finally:
            self._outstanding = None
        if self._stop.is_set():
            raise LinkDown("link closed")
        if attempt >= self.config.retries:
            self._set_up(False, f"no ACK for {cmd.name} after {attempt + 1} tries")
        raise LinkDown(f"no ACK for {cmd.name}")

    def _write(self, raw: bytes) -> None:
        with self._write_lock:
            port = self._port
            if port is None:
                raise LinkDown("port not open")
            try:
                port.write(raw)
                return
            except (OSError, serial.SerialException) as exc:
                error = exc
        # Dropped outside the lock: _drop_port takes it too (a Lock is not re-entrant, and
        # holding it here deadlocked the writer, the reader and close()).
        self._drop_port(f"write failed: {type(error).__name__}")
        raise LinkDown("write failed") from error

    def _reply_unreliable(self, cmd: Cmd, seq: int, payload: bytes = b"") -> None:
        with contextlib.suppress(LinkDown):
            self._write(encode(Frame(self.config.address, seq,
                                     wire_cmd(cmd, from_device=False), payload)))

    # ---- state --------------------------------------------------------------------------

    def _set_up(self, value: bool, why: str, *, force: bool = False) -> None:
        with self._up_cond:
            changed = value != self._up
            self._up = value
            if value and (changed or force):
                self.stats.ups += 1  # a new epoch: what the device showed may be gone
            self._up_cond.notify_all()
        if not (changed or (force and value)):
            return
        if value:
            logger.info("serial %s link up (%s)", self.config.kind.name.lower(), why)
            if self.on_up is not None:
                self._events.put(self.on_up)
        else:
            self.stats.downs += 1
            self.stats.last_error = why
            logger.warning("serial %s link down: %s", self.config.kind.name.lower(), why)
            if self.on_down is not None:
                self._events.put(self.on_down)

    def _drop_port(self, why: str) -> None:
        with self._write_lock:
            port, self._port = self._port, None
        self._port_ready.clear()
        if port is not None:
            with contextlib.suppress(OSError, serial.SerialException):
                port.close()
        self._set_up(False, why)

    # ---- reader thread ------------------------------------------------------------------

    def _open_port(self) -> bool:
        c = self.config
        try:
            port = self.opener(c.url, baudrate=c.baudrate, timeout=c.read_timeout_s,
                               write_timeout=c.write_timeout_s)
        except (OSError, serial.SerialException, ValueError) as exc:
            self.stats.last_error = f"open failed: {type(exc).__name__}"
            return False
        self.parser.reset()
        with self._write_lock:
            self._port = port
        self.stats.opens += 1
        self._port_ready.set()
        logger.info("serial %s port %s open", c.kind.name.lower(), c.url)
        return True

    def _run_reader(self) -> None:
        delay = self.config.reopen_s
        while not self._stop.is_set():
            port = self._port
            if port is None:
                if self._open_port():
                    delay = self.config.reopen_s
                else:
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.config.reopen_max_s)
                continue
            try:
                data = port.read(max(1, port.in_waiting))
            except (OSError, serial.SerialException, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial reading a port closed under it
                if not self._stop.is_set():
                    self._drop_port(f"read failed: {type(exc).__name__}")
                continue
            if not data:
                continue
            bad_before = self.parser.stats.errors
            frames = self.parser.feed(data)
            if self.parser.stats.errors > bad_before:
                self.stats.naks_sent += 1
                self._reply_unreliable(Cmd.NAK, 0, bytes((NakReason.BAD_FRAME,)))
            for frame in frames:
                self._handle(frame)

    def _handle(self, frame: Frame) -> None:
        if not frame.from_device:
            self.stats.echoes += 1  # our own frame heard back (2-wire RS-485, loop://)
            return
        if frame.addr != self.config.address:
            self.stats.foreign += 1
            return
        self._last_rx = time.monotonic()
        try:
            cmd = Cmd(frame.base_cmd)
        except ValueError:
            self._refuse(frame, NakReason.UNKNOWN_COMMAND)
            return
        if cmd in UNRELIABLE:
            if frame.seq == self._outstanding or (cmd is Cmd.NAK and frame.seq == 0
                                                  and self._outstanding is not None):
                if cmd is Cmd.NAK:
                    self.stats.naks_received += 1
                    try:
                        self._nak = NakReason(frame.payload[0] if frame.payload else 1)
                    except ValueError:
                        self._nak = NakReason.BAD_FRAME
                self._reply.set()
            return
        if cmd is Cmd.HELLO:
            try:
                hello = Hello.decode(frame.payload)
            except ValueError:
                self._refuse(frame, NakReason.BAD_PAYLOAD)
                return
            self._reply_unreliable(Cmd.ACK, frame.seq)
            self._last_rx_seq = frame.seq  # a restarted device: its numbering starts over
            logger.info("serial %s says hello (kind %s, firmware %r)",
                        self.config.kind.name.lower(), hello.kind.name, hello.firmware[:16])
            self._set_up(True, "device hello", force=True)
            return
        if cmd not in self.config.accepts:
            self._refuse(frame, NakReason.UNKNOWN_COMMAND)
            return
        self._reply_unreliable(Cmd.ACK, frame.seq)
        self._set_up(True, f"{cmd.name} received")
        if frame.seq == self._last_rx_seq:
            self.stats.duplicates += 1  # our ACK was lost and the device sent it again
            return
        self._last_rx_seq = frame.seq
        self.stats.received += 1
        self._events.put(lambda: self.on_frame(frame))

    def _refuse(self, frame: Frame, reason: NakReason) -> None:
        self.stats.naks_sent += 1
        self._reply_unreliable(Cmd.NAK, frame.seq, bytes((reason,)))

    # ---- keeper thread ------------------------------------------------------------------

    def _run_keeper(self) -> None:
        c = self.config
        hello = Hello(kind=DeviceKind.HOST, firmware="onewindow").encode()
        next_try = 0.0
        while not self._stop.is_set():
            if not self._port_ready.wait(0.1):
                continue
            now = time.monotonic()
            try:
                if not self._up:
                    if now >= next_try:
                        next_try = now + c.heartbeat_s
                        self.send(Cmd.HELLO, hello)
                        self._set_up(True, "hello acknowledged")
                elif now - self._last_rx >= c.heartbeat_s:
                    self.send(Cmd.PING)
            except (LinkDown, Refused) as exc:
                logger.debug("serial %s keeper: %s", c.kind.name.lower(), exc)
            self._stop.wait(min(0.1, c.heartbeat_s / 4))

    # ---- events thread ------------------------------------------------------------------

    def _run_events(self) -> None:
        while (callback := self._events.get()) is not None:
            try:
                callback()
            except Exception:
                logger.exception("serial %s callback failed", self.config.kind.name.lower())
