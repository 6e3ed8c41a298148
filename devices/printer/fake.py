"""Fake ESC/POS printers at the hardware edge: a TCP printer and a serial (pty) printer.

Tests and demos need a printer that runs out of paper on cue, opens its cover, stops
answering or answers late, and shows exactly which bytes it received. These fakes speak the
wire protocol, so the driver under test runs its real transports (python-escpos `Network`,
pyserial on a pty or a `socket://` URL) unchanged.

The fake reads the stream command by command (with `decode.command_length`), so a status
query is recognised as a command and never mistaken for the same bytes inside image data.
It answers `DLE EOT 1/2/3/4` and `GS r 1/2` from its current state; everything else is
recorded in `printed`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import time
import tty
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self

from devices.printer.decode import DLE, ESC, FS, GS, ParseError, command_length
from devices.protocol.messages import PaperState

logger = logging.getLogger(__name__)

_BASE = 0x12  # fixed bits of every DLE EOT answer


@dataclass(frozen=True)
class FakeState:
    """What the fake printer's sensors say, and how it answers."""

    paper: PaperState = PaperState.OK
    cover_open: bool = False
    offline: bool = False
    """Never answer a status query (a printer switched off behind a live socket)."""
    delay_s: float = 0.0
    """Answer this late."""
    cuts_left: int | None = None
    """The roll runs out after this many more cuts (None: it never does)."""
    stall_after_bytes: int | None = None
    """Stop reading the wire once this many bytes were printed (a jammed printer whose
    buffer is full, or flow control held off): the sender's write blocks."""


class FakePrinter:
    """The printer's brain: parses what arrives, records it, computes the answers."""

    def __init__(self, state: FakeState | None = None) -> None:
        self._cond = threading.Condition()
        self._state = state or FakeState()
        self._pending = bytearray()
        self._held = False
        self._held_answers: list[bytes] = []
        self.received = bytearray()
        """Every byte that arrived."""
        self.printed = bytearray()
        """Every byte that arrived except status queries: what would be on paper."""
        self.queries: list[bytes] = []
        self.parse_errors = 0
        self.cuts = 0
        """Paper cuts so far: a job has arrived whole once its cut has."""

    # ---- control (tests) ----------------------------------------------------------------

    @property
    def state(self) -> FakeState:
        """The current state."""
        with self._cond:
            return self._state

    def set_state(self, state: FakeState | None = None, **changes: object) -> None:
        """Replace the state, or change some of its fields."""
        with self._cond:
            self._state = replace(state or self._state, **changes)  # type: ignore[arg-type]

    def hold_answers(self) -> None:
        """Keep answers back until `release_answers` (a printer that is stuck, on cue)."""
        with self._cond:
            self._held = True

    def release_answers(self) -> None:
        """Send the answers held back, and answer normally again."""
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def wait_queries(self, count: int, timeout: float = 5.0) -> bool:
        """Whether at least `count` status queries arrived within the timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.queries) >= count, timeout)

    def wait_cuts(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Whether at least `count` cuts (whole jobs) arrived within the timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.cuts >= count, timeout)

    def wait_printed(self, size: int = 1, timeout: float = 5.0) -> bool:
        """Whether at least `size` printed bytes arrived within the timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.printed) >= size, timeout)

    # ---- the wire -----------------------------------------------------------------------

    def _answer(self, query: bytes) -> bytes:
        s = self._state
        out = s.paper is PaperState.OUT
        near = s.paper is PaperState.NEAR_END
        if query[0] == DLE:
            n = query[2]
            if n == 1:
                return bytes([_BASE | (0x08 if out or s.cover_open else 0)])
            if n == 2:
                return bytes([_BASE | (0x04 if s.cover_open else 0) | (0x20 if out else 0)])
            if n == 4:
                return bytes([_BASE | (0x0C if near else 0) | (0x60 if out else 0)])
            return bytes([_BASE])
        # GS r 1 (paper sensor): bits 0-1 near end, bits 2-3 paper end
        if query[2] in (1, 49):
            return bytes([(0x03 if near else 0) | (0x0C if out else 0)])
        return b"\x00"

    def feed(self, data: bytes) -> tuple[bytes, float]:
        """Take bytes from the wire; returns the answer bytes and how long to wait first."""
        answers = b""
        with self._cond:
            self.received += data
            self._pending += data
            buf = self._pending
            pos = 0
            while pos < len(buf):
                if buf[pos] in (ESC, GS, FS, DLE):
                    try:
                        length = command_length(bytes(buf), pos)
                    except ParseError:
                        self.parse_errors += 1
                        self.printed += buf[pos:pos + 1]
                        pos += 1
                        continue
                    if length is None:
                        break  # the rest of the command is still on its way
                    cmd = bytes(buf[pos:pos + length])
                    is_query = (cmd[:2] == b"\x10\x04") or (cmd[:2] == b"\x1dr")
                    if is_query:
                        self.queries.append(cmd)
                        if not self._state.offline:
                            answers += self._answer(cmd)
                    else:
                        self.printed += cmd
                        if cmd[:2] == b"\x1dV":
                            self._cut()
                    pos += length
                    continue
                end = pos
                while end < len(buf) and buf[end] not in (ESC, GS, FS, DLE):
                    end += 1
                self.printed += buf[pos:end]
                pos = end
            del self._pending[:pos]
            delay = self._state.delay_s
            self._cond.notify_all()
        return answers, delay

    def stalled(self) -> bool:
        """Whether the printer has stopped taking bytes."""
        with self._cond:
            limit = self._state.stall_after_bytes
            return limit is not None and len(self.printed) >= limit

    def _cut(self) -> None:
        self.cuts += 1
        left = self._state.cuts_left
        if left is not None:
            left -= 1
            self._state = replace(self._state, cuts_left=left,
                                  paper=PaperState.OUT if left <= 0 else self._state.paper)

    def _wait_release(self, stop: threading.Event) -> None:
        with self._cond:
            self._cond.wait_for(lambda: not self._held or stop.is_set())


class FakeNetworkPrinter(FakePrinter):
    """A raw-port (JetDirect) printer on 127.0.0.1 and a free port."""

    def __init__(self, state: FakeState | None = None) -> None:
        super().__init__(state)
        self.host = "127.0.0.1"
        self.port = 0
        self.connections = 0
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []

    def start(self) -> Self:
        """Listen and serve in the background."""
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, 0))
        server.listen(8)
        self.port = server.getsockname()[1]
        self._server = server
        self._spawn(self._accept)
        return self

    def _spawn(self, target: object, *args: object) -> None:
        t = threading.Thread(target=target, args=args, daemon=True,  # type: ignore[arg-type]
                             name="fake-printer")
        t.start()
        self._threads.append(t)

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([self._server], [], [], 0.1)
            if not ready:
                continue
            try:
                conn, _addr = self._server.accept()
            except OSError:
                return
            with self._cond:
                self.connections += 1
                self._clients.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._stop.is_set():
                if self.stalled():
                    self._stop.wait(0.05)
                    continue
                ready, _, _ = select.select([conn], [], [], 0.1)
                if not ready:
                    continue
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                answers, delay = self.feed(data)
                if not answers:
                    continue
                self._wait_release(self._stop)
                if delay > 0 and self._stop.wait(delay):
                    return
                try:
                    conn.sendall(answers)
                except OSError:
                    return

    def drop_connections(self) -> None:
        """Close every open connection from the printer's side (an idle timeout)."""
        with self._cond:
            clients, self._clients = list(self._clients), []
        for conn in clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop serving and close every connection."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
            clients = list(self._clients)
        for conn in clients:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for t in self._threads:
            t.join(timeout=2)
        if self._server is not None:
            self._server.close()  # after the accept thread: it selects on this socket

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class FakeSerialPrinter(FakePrinter):
    """A serial printer behind a pseudo-terminal: open `path` as the printer's port."""

    def __init__(self, state: FakeState | None = None) -> None:
        super().__init__(state)
        self._master = -1
        self._slave = -1
        self.path = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Create the pty pair and serve its master side in the background."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing until pyserial sets its own mode
        self.path = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name="fake-serial-printer")
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            if self.stalled():
                self._stop.wait(0.05)
                continue
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                time.sleep(0.05)  # no reader on the slave side yet
                continue
            answers, delay = self.feed(data)
            if not answers:
                continue
            self._wait_release(self._stop)
            if delay > 0 and self._stop.wait(delay):
                return
            with contextlib.suppress(OSError):
                os.write(self._master, answers)

    def close(self) -> None:
        """Stop serving and close the pty."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
