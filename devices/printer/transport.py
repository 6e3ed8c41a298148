"""Opening a printer for a config transport, and a deadline on every call to it.

python-escpos blocks without bound in places a kiosk cannot afford: USB has no timeout by
default, a network printer waits 60 s, and a serial write to a printer with flow control
held off never returns. So every printer call here runs on a worker thread and the caller
waits at most its deadline; a call that overruns raises `PrinterTimeout` and is left to
finish (or die with its connection, which the driver then closes) on its own thread. A
link that still has a stuck call refuses new calls at once instead of stacking threads.

Writes go through the python-escpos printer object (`_raw`); reads go to the device under
it, because python-escpos' `_read` gives no way to ask for a byte count or a timeout. The
file transport appends (python-escpos' `File` truncates on open) and has no sensors.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import serial
from escpos.printer import File, Network, Serial, Usb

from devices.config.links import (
    FileTransport,
    NetworkTransport,
    SerialTransport,
    UsbTransport,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
_READ_SLICE_S = 0.2
"""A single read waits at most this long, so a read loop notices its own deadline."""
AnyTransport = FileTransport | UsbTransport | SerialTransport | NetworkTransport


class PrinterTimeout(TimeoutError):
    """A printer call did not finish within its deadline."""


class PrinterBusy(PrinterTimeout):
    """An earlier call on the same link is still stuck; the link is unusable until it ends."""


class PrinterUnavailable(OSError):
    """The printer could not be opened (not found, refused, no driver)."""


class _Call:
    """One call on its own thread; a late result can be handed to a clean-up function."""

    def __init__(self, fn: Callable[[], Any], what: str) -> None:
        self.done = threading.Event()
        self._fn = fn
        self._lock = threading.Lock()
        self._value: Any = None
        self._error: BaseException | None = None
        self._late: Callable[[Any], None] | None = None
        self.thread = threading.Thread(target=self._run, name=f"printer-{what}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        value: Any = None
        error: BaseException | None = None
        try:
            value = self._fn()
        except BaseException as exc:  # handed to the waiting caller
            error = exc
        with self._lock:
            self._value, self._error = value, error
            self.done.set()
            late = self._late
        if late is not None and error is None:
            try:
                late(value)  # e.g. close a connection that opened after its deadline
            except Exception:
                logger.exception("clean-up after a late printer call failed")

    def result(self, timeout: float, what: str,
               late: Callable[[Any], None] | None = None) -> Any:
        if not self.done.wait(timeout):
            with self._lock:
                if not self.done.is_set():
                    self._late = late
                    raise PrinterTimeout(f"{what} took longer than {timeout:.1f}s")
        if self._error is not None:
            raise self._error
        return self._value


def with_deadline(fn: Callable[[], T], timeout: float, *, what: str = "printer call") -> T:
    """Run fn on a worker thread; return its result or raise PrinterTimeout after `timeout`.

    An overrunning call keeps running on its (daemon) thread: the caller is not held.
    """
    return _Call(fn, what).result(timeout, what)  # type: ignore[no-any-return]


class Deadlines:
    """Runs one link's calls under a deadline, refusing new ones while one is stuck."""

    def __init__(self) -> None:
        self._stuck: _Call | None = None

    def run(self, fn: Callable[[], T], timeout: float, *, what: str,
            late: Callable[[T], None] | None = None) -> T:
        """Like `with_deadline`, but PrinterBusy while an overrun call is still running.

        `late` receives the result of a call that finished after its deadline (to close a
        connection nobody will use).
        """
        if self._stuck is not None and not self._stuck.done.is_set():
            raise PrinterBusy(f"{what}: an earlier call to the printer is still stuck")
        self._stuck = None
        call = _Call(fn, what)
        try:
            return call.result(timeout, what, late)  # type: ignore[no-any-return]
        except PrinterTimeout:
            self._stuck = call
            raise

    @property
    def stuck(self) -> bool:
        """Whether a call that overran its deadline is still running."""
        return self._stuck is not None and not self._stuck.done.is_set()


class PrinterLink(Protocol):
    """Bytes to and from one printer; every method may block (call it under a deadline)."""

    name: str
    has_sensors: bool

    def write(self, data: bytes) -> None:
        """Send bytes to the printer."""

    def read(self, size: int) -> bytes:
        """Up to `size` bytes the printer sent; b"" when none came within the read timeout."""

    def discard_input(self) -> None:
        """Drop bytes that arrived unasked (a late answer to an earlier query)."""

    def close(self) -> None:
        """Release the device."""


class EscposLink:
    """A python-escpos printer object seen as a `PrinterLink`."""

    def __init__(self, printer: Any, *, name: str, has_sensors: bool,
                 reader: Callable[[int], bytes] | None = None,
                 discard: Callable[[], None] | None = None,
                 closer: Callable[[], None] | None = None,
                 drain: Callable[[], None] | None = None) -> None:
        self.printer = printer
        self.name = name
        self.has_sensors = has_sensors
        self._reader = reader
        self._discard = discard
        self._closer = closer
        self._drain = drain

    def write(self, data: bytes) -> None:
        """Send bytes through python-escpos; return once they left the host."""
        self.printer._raw(data)
        if self._drain is not None:
            # A serial write returns when the kernel has the bytes; at 9600 baud a ticket is
            # still on the wire for seconds, and a status query sent now would wait behind it.
            self._drain()

    def read(self, size: int) -> bytes:
        """Read from the device under the printer object."""
        return self._reader(size) if self._reader is not None else b""

    def discard_input(self) -> None:
        """Drop unread input."""
        if self._discard is not None:
            self._discard()

    def close(self) -> None:
        """Close the device; python-escpos' own close (and its `__del__`) then do nothing."""
        try:
            if self._closer is not None:
                self._closer()
            else:
                self.printer.close()
        finally:
            self.printer._device = False


# ---- openers ------------------------------------------------------------------------------

def _open_file(t: FileTransport, profile: str) -> EscposLink:
    path = Path(t.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    printer = File(devfile=str(path), profile=profile)
    handle = path.open("ab")  # append: python-escpos' File.open would truncate
    printer.device = handle

    def write_close() -> None:
        handle.close()

    return EscposLink(printer, name=f"file:{path}", has_sensors=False, closer=write_close)


def _open_network(t: NetworkTransport, profile: str, timeout: float) -> EscposLink:
    printer = Network(host=t.host, port=t.port, timeout=timeout, profile=profile)
    try:
        printer.open()
    except Exception as exc:
        raise PrinterUnavailable(f"network printer {t.host}:{t.port}: {exc}") from None
    sock: socket.socket = printer.device
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read(size: int) -> bytes:
        # select, not the socket timeout: that one is for writes into a busy printer
        ready, _, _ = select.select([sock], [], [], _READ_SLICE_S)
        if not ready:
            return b""
        data = sock.recv(size)
        if not data:
            raise ConnectionResetError("the printer closed the connection")
        return data

    def discard() -> None:
        sock.setblocking(False)
        try:
            while sock.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            sock.settimeout(timeout)

    def close() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes a thread stuck in send or recv
        sock.close()

    return EscposLink(printer, name=f"network:{t.host}:{t.port}", has_sensors=True,
                      reader=read, discard=discard, closer=close)


def _open_serial(t: SerialTransport, profile: str, timeout: float) -> EscposLink:
    # python-escpos' Serial only takes device paths; pyserial URLs (loop://, socket://)
    # need serial_for_url, and the port is then handed to the printer object.
    try:
        port = serial.serial_for_url(t.url, baudrate=t.baudrate,
                                     timeout=min(timeout, _READ_SLICE_S), write_timeout=None)
    except (ValueError, serial.SerialException) as exc:
        raise PrinterUnavailable(f"serial printer {t.url}: {exc}") from None
    printer = Serial(devfile=t.url, baudrate=t.baudrate, timeout=timeout, profile=profile)
    printer.device = port

    def close() -> None:
        with contextlib.suppress(Exception):
            port.cancel_write()  # unsticks a write blocked by flow control, where supported
        port.close()

    return EscposLink(printer, name=f"serial:{t.url}", has_sensors=True,
                      reader=port.read, discard=port.reset_input_buffer, closer=close,
                      drain=port.flush)


def _open_usb(t: UsbTransport, profile: str, timeout: float) -> EscposLink:
    if not Usb.is_usable():
        raise PrinterUnavailable("USB printing needs pyusb and libusb, which are not installed")
    ms = max(1, int(timeout * 1000))
    printer = Usb(idVendor=t.vendor_id, idProduct=t.product_id, timeout=ms, in_ep=t.in_ep,
                  out_ep=t.out_ep, profile=profile)
    try:
        printer.open()
    except Exception as exc:
        raise PrinterUnavailable(
            f"USB printer {t.vendor_id:04x}:{t.product_id:04x}: {exc}") from None

    def read(size: int) -> bytes:
        try:
            return bytes(printer.device.read(t.in_ep, size, int(_READ_SLICE_S * 1000)))
        except Exception:  # pyusb raises USBTimeoutError (a USBError) when nothing came
            return b""

    return EscposLink(printer, name=f"usb:{t.vendor_id:04x}:{t.product_id:04x}",
                      has_sensors=True, reader=read)


def open_link(transport: AnyTransport, *, profile: str = "default",
              timeout: float = 5.0) -> PrinterLink:
    """Open the printer a config transport names (blocking: call it under a deadline)."""
    if isinstance(transport, FileTransport):
        return _open_file(transport, profile)
    if isinstance(transport, NetworkTransport):
        return _open_network(transport, profile, timeout)
    if isinstance(transport, SerialTransport):
        return _open_serial(transport, profile, timeout)
    return _open_usb(transport, profile, timeout)


def write_budget(transport: AnyTransport, size: int, timeout: float) -> float:
    """Deadline for writing `size` bytes: the timeout plus the wire time of a serial line."""
    if isinstance(transport, SerialTransport):
        return timeout + size * 10 / transport.baudrate  # 8N1: 10 bits a byte
    return timeout


def read_exact(link: PrinterLink, size: int, wait: float) -> bytes:
    """Up to `size` bytes, reading until they all came or `wait` seconds passed."""
    if not link.has_sensors:
        return b""
    deadline = time.monotonic() + wait
    got = b""
    while len(got) < size and time.monotonic() < deadline:
        got += link.read(size - len(got))
    return got
