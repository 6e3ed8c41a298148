"""Turn the camera's frames into "a code was presented" events, once per presentation.

A citizen holds a code in front of the camera for a second or more, i.e. dozens of frames,
and the decoder reads some of them and misses others. The kiosk wants one check-in, so a
text is reported when it was not seen during the last `repeat_after` seconds (measured on
frame capture times, so a slow decode cannot stretch or shrink the window): held for a
minute it is reported once, taken away and shown again later it is reported again.

Decoding costs CPU the kiosk's UI also needs, so it runs only while a screen asks for it
(`pause`/`resume`), at most `max_rate` frames a second, and the costly upscaling passes
only on every `thorough_every`-th frame (a frame without a code, the usual case, pays for
every pass it gets).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Protocol

from devices.camera.qr import PASSES, QUICK_PASSES, Image, decode_qr
from devices.camera.reader import Frame

logger = logging.getLogger(__name__)


class FrameSource(Protocol):
    """What the scanner needs of a `FrameReader`."""

    def latest(self) -> Frame | None:
        """The newest frame, or None."""
        ...

    def wait_newer(self, seq: int, timeout: float) -> Frame | None:
        """The newest frame if newer than `seq`, waiting up to `timeout`."""
        ...


class Decoder(Protocol):
    """`decode_qr`'s signature."""

    def __call__(self, image: Image, *, passes: Sequence[str]) -> str | None:
        """The text of a code in the image, or None."""
        ...


class QrScanner:
    """Decodes the latest frames in a thread and reports each presented code once."""

    def __init__(
        self,
        frames: FrameSource,
        on_code: Callable[[str], None],
        *,
        repeat_after: float = 3.0,
        max_rate: float = 8.0,
        thorough_every: int = 3,
        decode: Decoder = decode_qr,
        paused: bool = False,
        name: str = "qr-scanner",
    ) -> None:
        if repeat_after < 0 or max_rate <= 0 or thorough_every < 1:
            raise ValueError("repeat_after >= 0, max_rate > 0 and thorough_every >= 1")
        self._frames = frames
        self._on_code = on_code
        self._repeat_after = repeat_after
        self._min_interval = 1.0 / max_rate
        self._thorough_every = thorough_every
        self._decode = decode
        self._name = name
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._paused = paused
        self._skip_through = 0  # frames up to this seq were captured before resume()
        self._last_seen: dict[str, float] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._decoded = 0

    # ---- control ------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True while the scanner decodes nothing."""
        with self._lock:
            return self._paused

    @property
    def frames_decoded(self) -> int:
        """Frames run through the decoder so far."""
        with self._lock:
            return self._decoded

    def pause(self) -> None:
        """Stop decoding; no report starts after this returns except one already decided."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        """Decode again, from frames captured after this call."""
        latest = self._frames.latest()
        with self._lock:
            self._skip_through = latest.seq if latest is not None else self._skip_through
            self._paused = False
            self._wake.notify_all()

    def forget(self) -> None:
        """Forget the codes seen: the next presentation of any code is reported."""
        with self._lock:
            self._last_seen.clear()

    def start(self) -> None:
        """Start the decoding thread."""
        if self._thread is not None:
            raise RuntimeError("a QrScanner starts once")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop within `timeout` (one decode at most); False if the thread is still busy."""
        self._stopping.set()
        with self._lock:
            self._wake.notify_all()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("%s: still decoding after stop", self._name)
        return not thread.is_alive()

    def __enter__(self) -> QrScanner:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ---- thread -------------------------------------------------------------------------

    def _run(self) -> None:
        seq = 0
        while not self._stopping.is_set():
            with self._lock:
                while self._paused and not self._stopping.is_set():
                    self._wake.wait()
                seq = max(seq, self._skip_through)
            if self._stopping.is_set():
                return
            frame = self._frames.wait_newer(seq, timeout=0.5)
            if frame is None:
                continue
            seq = frame.seq
            started = time.monotonic()
            with self._lock:
                self._decoded += 1
                thorough = self._decoded % self._thorough_every == 0
            try:
                text = self._decode(frame.image,
                                    passes=PASSES if thorough else QUICK_PASSES)
            except Exception:
                logger.exception("%s: decoding failed", self._name)
                text = None
            if text:
                self._seen(text, frame.captured)
            rest = self._min_interval - (time.monotonic() - started)
            if rest > 0:
                self._stopping.wait(rest)

    def _seen(self, text: str, captured: float) -> None:
        with self._lock:
            last = self._last_seen.get(text)
            self._last_seen[text] = captured if last is None else max(last, captured)
            if len(self._last_seen) > 64:  # a queue of citizens, not an unbounded memory
                cutoff = captured - self._repeat_after
                self._last_seen = {t: at for t, at in self._last_seen.items() if at >= cutoff}
            report = (not self._paused and not self._stopping.is_set()
                      and (last is None or captured - last > self._repeat_after))
        if report:
            logger.info("%s: code read (%d characters)", self._name, len(text))
            try:
                self._on_code(text)
            except Exception:
                logger.exception("%s: on_code callback failed", self._name)
