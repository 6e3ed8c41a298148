"""The kiosk camera as "the latest frame": a reader thread, one slot, reopen on failure.

`VideoCapture.read()` called at a consumer's pace returns frames from the driver's buffer,
seconds old when decoding is slow; a queue between reader and consumer does the same in
Python. So a thread reads as fast as the camera delivers and keeps only the newest frame,
numbered, and consumers ask for "newer than the one I had".

Cameras fail in two ways: `read()` returns no frame (unplugged, end of a stream) or blocks
(some USB drivers, network streams). A supervisor thread owns the state: it runs each opened
capture in its own worker thread, declares the camera offline when no frame came for
`stall_timeout`, and reopens with exponential backoff, never two captures of one device at
once (the old worker must have released its device first). A blocked `read()` cannot be
interrupted (releasing a capture while another thread reads it is a data race inside
OpenCV), so `stop()` waits a bounded time and leaves a blocked worker behind as a daemon
thread that releases its capture when `read()` returns.

The kiosk shows "camera unavailable, type the code" from `online` / `on_online`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np

from devices.camera.qr import Image
from devices.config.links import Camera

logger = logging.getLogger(__name__)


class Capture(Protocol):
    """What the reader needs of a `cv2.VideoCapture`."""

    def read(self) -> tuple[bool, Any]:
        """Block until the next frame; (False, None) when there is none."""
        ...

    def release(self) -> None:
        """Free the device."""
        ...


CaptureFactory = Callable[[], Capture]
"""Opens the device and returns an open capture, or raises (CameraUnavailable or any)."""


class CameraUnavailable(Exception):
    """The camera could not be opened."""


def open_camera(source: int | str, width: int, height: int) -> Capture:
    """Open a camera index, device path or stream URL with OpenCV at the wanted size."""
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        cap.release()
        raise CameraUnavailable(f"cannot open camera {describe_source(source)}")
    # Set after opening: passed as open parameters, a size makes the file and stream
    # backends refuse to open. A camera that cannot do the size picks its nearest.
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    return cap


def describe_source(source: int | str) -> str:
    """The source for logs: a stream URL loses its user name and password."""
    if isinstance(source, int):
        return f"#{source}"
    parts = urlsplit(source)
    if parts.scheme and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"***@{host}"))
    return source


def camera_factory(camera: Camera) -> CaptureFactory:
    """A factory that opens the configured camera."""
    return lambda: open_camera(camera.device, camera.width, camera.height)


@dataclass(frozen=True, slots=True)
class Frame:
    """One camera frame. `image` is read-only: every consumer shares the same array."""

    seq: int
    """1 for the first frame since start(), growing by one per frame read."""
    captured: float
    """`time.monotonic()` when the frame arrived."""
    image: Image


class _Attempt:
    """One opened capture and the worker thread reading it."""

    def __init__(self) -> None:
        self.abandon = threading.Event()  # set: the worker stops after its current read
        self.done = False  # the worker has released the capture (guarded by the reader lock)
        self.thread: threading.Thread | None = None


class FrameReader:
    """Reads a camera in the background and keeps only its latest frame."""

    def __init__(
        self,
        open_capture: CaptureFactory,
        *,
        on_online: Callable[[bool], None] | None = None,
        stall_timeout: float = 3.0,
        max_read_failures: int = 3,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        name: str = "camera",
    ) -> None:
        if stall_timeout <= 0 or backoff_initial <= 0 or backoff_max < backoff_initial:
            raise ValueError("timeouts must be positive and backoff_max >= backoff_initial")
        if max_read_failures < 1:
            raise ValueError("max_read_failures must be at least 1")
        self._open_capture = open_capture
        self._on_online = on_online
        self._stall_timeout = stall_timeout
        self._max_read_failures = max_read_failures
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._name = name
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._seq = 0
        self._online = False
        self._opens = 0
        self._stopping = threading.Event()
        self._attempt: _Attempt | None = None
        self._last_failure: str | None = None  # only the worker thread touches it
        self._supervisor: threading.Thread | None = None

    @classmethod
    def for_camera(cls, camera: Camera, **options: Any) -> FrameReader:
        """A reader of the configured camera; options as in the constructor."""
        return cls(camera_factory(camera), **options)

    # ---- consumers ----------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """True while frames arrive; False before the first one and after a failure."""
        with self._cond:
            return self._online

    @property
    def opens(self) -> int:
        """How many times a capture was opened successfully (1 + reopens)."""
        with self._cond:
            return self._opens

    def latest(self) -> Frame | None:
        """The newest frame, or None before the first one."""
        with self._cond:
            return self._latest

    def wait_newer(self, seq: int, timeout: float) -> Frame | None:
        """The newest frame if its seq is above `seq`, waiting up to `timeout`; else None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._latest is None or self._latest.seq <= seq:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return None
                self._cond.wait(remaining)
            return self._latest

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start reading; the camera opens in the background."""
        if self._supervisor is not None:
            raise RuntimeError("a FrameReader starts once")
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"{self._name}-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop reading within about `timeout` seconds.

        Returns False when a worker is still blocked in `read()`: it is left behind and
        releases its capture when the read returns.
        """
        self._stopping.set()
        with self._cond:
            attempt = self._attempt
            if attempt is not None:
                attempt.abandon.set()
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        threads = [t for t in (self._supervisor, attempt.thread if attempt else None)
                   if t is not None and t is not threading.current_thread()]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            logger.warning("%s: still blocked after stop (%s); left as daemon threads",
                           self._name, ", ".join(stuck))
        return not stuck

    def __enter__(self) -> FrameReader:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ---- supervisor thread --------------------------------------------------------------

    def _supervise(self) -> None:
        backoff = self._backoff_initial
        try:
            while not self._stopping.is_set():
                got_frames = self._run_attempt()
                self._set_online(False)
                if got_frames:
                    backoff = self._backoff_initial
                if self._stopping.wait(backoff):
                    break
                backoff = min(backoff * 2, self._backoff_max)
        finally:
            self._set_online(False)

    def _run_attempt(self) -> bool:
        """Open and read one capture until it fails, stalls or stop; True if it gave frames."""
        attempt = _Attempt()
        attempt.thread = threading.Thread(
            target=self._work, args=(attempt,), name=f"{self._name}-read", daemon=True)
        with self._cond:
            # Checked under the lock stop() takes: stop() either sees this attempt or we
            # see it stopping.
            if self._stopping.is_set():
                return False
            self._attempt = attempt
            first_seq = self._seq
        attempt.thread.start()
        try:
            return self._watch(attempt, first_seq)
        finally:
            attempt.abandon.set()

    def _watch(self, attempt: _Attempt, first_seq: int) -> bool:
        last_progress = time.monotonic()
        seen_seq = first_seq
        while True:
            with self._cond:
                if self._seq != seen_seq:
                    seen_seq = self._seq
                    last_progress = time.monotonic()
                ended = self._stopping.is_set() or attempt.done
                remaining = last_progress + self._stall_timeout - time.monotonic()
            if seen_seq > first_seq and not self._stopping.is_set():
                # Also when the capture died right after its first frames: the history
                # then says frames came (online, offline) however short the blip.
                self._set_online(True)
            if ended:
                return seen_seq > first_seq
            if remaining <= 0:
                break
            with self._cond:
                if not (self._stopping.is_set() or attempt.done) and self._seq == seen_seq:
                    self._cond.wait(remaining)
        logger.warning("%s: no frame for %.1f s; reopening once the capture lets go",
                       self._name, self._stall_timeout)
        attempt.abandon.set()
        self._set_online(False)
        with self._cond:
            # Never open the device again while the blocked worker still holds it.
            while not attempt.done and not self._stopping.is_set():
                self._cond.wait()
        return seen_seq > first_seq

    def _set_online(self, online: bool) -> None:
        with self._cond:
            if self._online == online:
                return
            self._online = online
        logger.info("%s %s", self._name, "online" if online else "offline")
        if self._on_online is not None:
            try:
                self._on_online(online)
            except Exception:
                logger.exception("%s: on_online callback failed", self._name)

    # ---- worker thread ------------------------------------------------------------------

    def _work(self, attempt: _Attempt) -> None:
        cap: Capture | None = None
        try:
            cap = self._open_capture()
            with self._cond:
                self._opens += 1
            failures = 0
            while not attempt.abandon.is_set():
                ok, image = cap.read()
                if attempt.abandon.is_set():
                    break
                if ok and isinstance(image, np.ndarray) and image.size:
                    failures = 0
                    self._last_failure = None
                    self._publish(image)
                    continue
                failures += 1
                if failures >= self._max_read_failures:
                    self._log_failure(f"{failures} reads without a frame")
                    break
        except Exception as exc:
            self._log_failure(str(exc))
        finally:
            if cap is not None:
                try:
                    cap.release()
                except Exception:
                    logger.exception("%s: release failed", self._name)
            with self._cond:
                attempt.done = True
                self._cond.notify_all()

    def _log_failure(self, message: str) -> None:
        # An unplugged camera fails the same way at every reopen: warn once, then debug.
        level = logging.DEBUG if message == self._last_failure else logging.WARNING
        self._last_failure = message
        logger.log(level, "%s: %s", self._name, message)

    def _publish(self, image: Image) -> None:
        image.flags.writeable = False
        captured = time.monotonic()
        with self._cond:
            self._seq += 1
            self._latest = Frame(self._seq, captured, image)
            self._cond.notify_all()
