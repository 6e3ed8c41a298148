"""Fake window devices on the far end of a pty or a TCP socket, for tests and the demo.

A fake speaks the device side of docs/serial-protocol.md: it ACKs host frames (dropping
retransmitted ones), keeps what the host told it to show, and sends key presses reliably.
Faults on demand: `mute()` (cable pulled: bytes lost both ways), `vanish()`/`reappear()`
(USB adapter unplugged; a pty comes back under the same symlink, as udev's by-id links do),
`send_partial()` (half a frame), `corrupt_next`, `lose_acks` (the device does not hear the
host's next ACKs, so it retransmits the same key with the same SEQ).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from devices.serial.frames import Frame, Parser, encode
from devices.serial.payloads import (
    DEFAULT_ADDRESS,
    UNRELIABLE,
    CallerKeyCode,
    Cmd,
    DeviceKind,
    Hello,
    KeyPress,
    LedShow,
    PadMode,
    PadShow,
    decode_text,
    parse_text,
    wire_cmd,
)

logger = logging.getLogger(__name__)


class PtyEnd:
    """The master side of a pty; the host opens `url` (a symlink to the slave)."""

    def __init__(self, link_path: Path) -> None:
        self.url = str(link_path)
        self._link = link_path
        self._master: int | None = None
        self._slave: int | None = None

    def open(self) -> None:
        """Create a pty pair and point the symlink at its slave."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing before the host configures it
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        tmp = self._link.with_name(self._link.name + ".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self._link)

    def close(self) -> None:
        """Close both sides: the host's reads fail (EIO), the port is gone."""
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        self._link.unlink(missing_ok=True)

    def read(self, timeout: float) -> bytes:
        """Bytes the host wrote (b'' after the timeout)."""
        fd = self._master
        if fd is None:
            time.sleep(timeout)
            return b""
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(fd, 4096)
        except (BlockingIOError, OSError):
            return b""

    def write(self, data: bytes) -> None:
        """Bytes to the host (lost when nobody reads and the buffer is full)."""
        if self._master is not None:
            try:
                os.write(self._master, data)
            except (BlockingIOError, OSError):
                logger.debug("fake pty: %d bytes lost", len(data))


class SocketEnd:
    """A TCP listener; the host opens `socket://127.0.0.1:<port>`."""

    def __init__(self) -> None:
        self._server: socket.socket | None = None
        self._conn: socket.socket | None = None
        self.url = ""

    def open(self) -> None:
        """Listen on a free loopback port."""
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        self._server = server
        self.url = f"socket://127.0.0.1:{server.getsockname()[1]}"

    def close(self) -> None:
        """Drop the host's connection and stop listening."""
        self.hang_up()
        if self._server is not None:
            self._server.close()
            self._server = None

    def hang_up(self) -> None:
        """Drop the host's connection (it reconnects)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def read(self, timeout: float) -> bytes:
        """Bytes the host wrote (accepting its connection first)."""
        if self._conn is None:
            if self._server is None:
                time.sleep(timeout)
                return b""
            ready, _, _ = select.select([self._server], [], [], timeout)
            if ready:
                self._conn, _ = self._server.accept()
            return b""
        conn = self._conn
        try:
            ready, _, _ = select.select([conn], [], [], timeout)
            data = conn.recv(4096) if ready else b""
        except (OSError, ValueError):  # hung up by another thread
            return b""
        if ready and not data:
            self.hang_up()
        return data

    def write(self, data: bytes) -> None:
        """Bytes to the host, if connected."""
        if self._conn is not None:
            try:
                self._conn.sendall(data)
            except OSError:
                self.hang_up()


End = PtyEnd | SocketEnd


class FakeDevice:
    """The device side of the protocol; subclasses keep what a device shows."""

    kind: DeviceKind = DeviceKind.CALLER
    charset = "gb2312"

    def __init__(self, end: End, *, address: int | None = None,
                 ack_timeout_s: float = 0.2, retries: int = 3) -> None:
        self.end = end
        self.address = DEFAULT_ADDRESS[self.kind] if address is None else address
        self.ack_timeout_s = ack_timeout_s
        self.retries = retries
        self.parser = Parser()
        self.received: list[Frame] = []  # accepted host frames, retransmissions dropped
        self.duplicates = 0
        self.retransmits = 0
        self.lose_acks = 0
        self.corrupt_next = False
        self._muted = False
        self._seq = 0
        self._last_rx_seq: int | None = None
        self._acked: set[int] = set()
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.init_state()

    def init_state(self) -> None:
        """Set up what the device shows (before anything arrived)."""

    @property
    def url(self) -> str:
        """What the host opens."""
        return self.end.url

    def open(self) -> None:
        """Open the far end and start answering."""
        self.end.open()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"fake-{self.kind.name.lower()}")
        self._thread.start()

    def close(self) -> None:
        """Stop answering and close the far end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
        self.end.close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ---- faults -------------------------------------------------------------------------

    def mute(self) -> None:
        """Cable pulled: hear nothing, say nothing."""
        self._muted = True

    def unmute(self) -> None:
        """Cable back in."""
        self._muted = False

    def vanish(self) -> None:
        """The port disappears (USB unplugged)."""
        self.end.close()

    def reappear(self) -> None:
        """The port is back (same symlink / same TCP listener address is not kept)."""
        self.end.open()

    def send_partial(self, frame: Frame, nbytes: int) -> None:
        """Write only the first `nbytes` of a frame (a cut cable mid-frame)."""
        self.end.write(encode(frame)[:nbytes])

    def write_raw(self, data: bytes) -> None:
        """Write any bytes (garbage, noise)."""
        self.end.write(data)

    # ---- sending ------------------------------------------------------------------------

    def frame(self, cmd: Cmd, payload: bytes = b"", seq: int | None = None) -> Frame:
        """A device frame with the next sequence number (or `seq`)."""
        if seq is None:
            self._seq = self._seq % 255 + 1
            seq = self._seq
        return Frame(self.address, seq, wire_cmd(cmd, from_device=True), payload)

    def send(self, cmd: Cmd, payload: bytes = b"") -> bool:
        """Send reliably (same SEQ on every retry); True once the host ACKed."""
        with self._send_lock:
            frame = self.frame(cmd, payload)
            for attempt in range(self.retries + 1):
                if attempt:
                    self.retransmits += 1
                raw = bytearray(encode(frame))
                if self.corrupt_next:
                    self.corrupt_next = False
                    raw[len(raw) // 2] ^= 0x40
                if not self._muted:
                    self.end.write(bytes(raw))
                with self._cond:
                    if self._cond.wait_for(lambda: frame.seq in self._acked,
                                           self.ack_timeout_s):
                        self._acked.discard(frame.seq)
                        return True
            return False

    def hello(self) -> bool:
        """Announce a (re)start: the host forgets this device's old sequence numbers."""
        self._seq = 0
        return self.send(Cmd.HELLO, Hello(kind=self.kind, firmware="fake 1.0").encode())

    def press(self, code: int, flags: int = 0) -> bool:
        """Press a key; True once the host ACKed it."""
        return self.send(Cmd.KEY, KeyPress(code, flags).encode())

    # ---- receiving ----------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` holds over what the host has sent."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(predicate()), timeout)

    def count(self, cmd: Cmd) -> int:
        """How many accepted host frames carried `cmd`."""
        with self._cond:
            return sum(1 for f in self.received if f.base_cmd == cmd)

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.end.read(0.05)
            if not data or self._muted:
                continue
            for frame in self.parser.feed(data):
                self._handle(frame)

    def _handle(self, frame: Frame) -> None:
        if frame.from_device or frame.addr != self.address:
            return
        cmd = Cmd(frame.base_cmd)
        if cmd in UNRELIABLE:
            if cmd is Cmd.ACK:
                if self.lose_acks > 0:
                    self.lose_acks -= 1
                    return
                with self._cond:
                    self._acked.add(frame.seq)
                    self._cond.notify_all()
            return
        with self._cond:  # applied before the ACK goes out, as a real controller does
            if cmd is not Cmd.HELLO and frame.seq == self._last_rx_seq:
                self.duplicates += 1
            else:
                self._last_rx_seq = frame.seq
                self.received.append(frame)
                self.apply(cmd, frame.payload)
                self._cond.notify_all()
        self.end.write(encode(self.frame(Cmd.ACK, seq=frame.seq)))

    def apply(self, cmd: Cmd, payload: bytes) -> None:
        """Update what the device shows (called with the lock held)."""


class FakeCaller(FakeDevice):
    """A staff keypad with a two-line LCD."""

    kind = DeviceKind.CALLER

    def init_state(self) -> None:
        """Nothing shown yet."""
        self.lines: dict[int, str] = {}

    def apply(self, cmd: Cmd, payload: bytes) -> None:
        """Keep the LCD lines."""
        if cmd is Cmd.TEXT:
            line, _flags, raw = parse_text(payload)
            self.lines[line] = decode_text(raw, self.charset)
        elif cmd is Cmd.CLEAR:
            self.lines.clear()

    def key(self, code: CallerKeyCode) -> bool:
        """Press a keypad key."""
        return self.press(int(code))

    def screen(self) -> str:
        """The LCD, lines joined by ' | '."""
        with self._cond:
            return " | ".join(self.lines[i] for i in sorted(self.lines))


class FakeLed(FakeDevice):
    """A window LED controller."""

    kind = DeviceKind.LED
    charset = "gb18030"

    def init_state(self) -> None:
        """Nothing shown yet."""
        self.shown: LedShow | None = None
        self.shows = 0

    def apply(self, cmd: Cmd, payload: bytes) -> None:
        """Keep the content."""
        if cmd is Cmd.LED_SHOW:
            self.shown = LedShow.decode(payload)
            self.shows += 1
        elif cmd is Cmd.CLEAR:
            self.shown = None

    def text(self) -> list[str]:
        """The lines shown now."""
        with self._cond:
            shown = self.shown
        return [] if shown is None else [decode_text(x, self.charset) for x in shown.lines]

    def forget(self) -> None:
        """Power cycle: the display is blank until the host sends the content again."""
        with self._cond:
            self.shown = None


class FakePad(FakeDevice):
    """A 5-key rating pad with lit keys and a small LCD."""

    kind = DeviceKind.PAD

    def init_state(self) -> None:
        """Nothing shown yet."""
        self.mode: PadShow | None = None

    def apply(self, cmd: Cmd, payload: bytes) -> None:
        """Keep the mode and text."""
        if cmd is Cmd.PAD_MODE:
            self.mode = PadShow.decode(payload)

    @property
    def pad_mode(self) -> PadMode | None:
        """Idle, armed or thanks."""
        mode = self.mode
        return None if mode is None else mode.mode

    def text(self) -> list[str]:
        """The LCD lines."""
        mode = self.mode
        return [] if mode is None else [decode_text(x, self.charset) for x in mode.lines]
