"""Fake cameras for the reader and scanner tests: frames numbered in their pixels, reads
that block until the test lets them through, opens that fail on cue."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from devices.camera.qr import Image
from devices.camera.reader import CameraUnavailable, Capture, Frame

WAIT = 10.0  # liveness bound for waits in tests; never reached when the code works


def numbered_image(index: int) -> Image:
    """A small BGR frame that carries its index in its first pixels."""
    image = np.zeros((6, 8, 3), dtype=np.uint8)
    image.reshape(-1)[:4] = np.frombuffer(index.to_bytes(4, "little"), dtype=np.uint8)
    return image


def image_index(image: Image) -> int:
    """The index written by `numbered_image`."""
    return int.from_bytes(image.reshape(-1)[:4].tobytes(), "little")


class GatedCapture:
    """Each read waits until the test releases a frame: the test decides how many frames
    the camera delivered while the consumer was busy. Frames are numbered from 0."""

    def __init__(self, make: Callable[[int], Image] = numbered_image) -> None:
        self._make = make
        self._gate = threading.Semaphore(0)
        self._cond = threading.Condition()
        self.reads_started = 0
        self.delivered = 0
        self.images: list[weakref.ref[Any]] = []
        self.released = threading.Event()
        self._finished = threading.Event()

    def allow(self, frames: int) -> None:
        """Let `frames` more reads return."""
        for _ in range(frames):
            self._gate.release()

    def wait_reads_started(self, count: int, timeout: float = WAIT) -> bool:
        """Wait until `count` reads have begun (so `count - 1` frames were handed over)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.reads_started >= count, timeout)

    def read(self) -> tuple[bool, Any]:
        with self._cond:
            self.reads_started += 1
            self._cond.notify_all()
        if not self._finished.is_set():
            self._gate.acquire()
        if self._finished.is_set():
            return False, None
        image = self._make(self.delivered)
        self.images.append(weakref.ref(image))
        self.delivered += 1
        return True, image

    def finish(self) -> None:
        """From now on reads return at once without a frame (the camera went away)."""
        self._finished.set()
        self._gate.release()

    def release(self) -> None:
        self.released.set()


class FreeCapture:
    """Delivers numbered frames as fast as asked, optionally only `limit` of them (then
    reads fail as an unplugged camera's do), optionally blocking after `block_after`."""

    def __init__(self, *, limit: int | None = None, block_after: int | None = None,
                 make: Callable[[int], Image] = numbered_image, pace: float = 0.001) -> None:
        self._make = make
        self._pace = pace
        self._limit = limit
        self._block_after = block_after
        self.unblock = threading.Event()
        self.blocked = threading.Event()
        self.released = threading.Event()
        self.reads = 0
        self.delivered = 0

    def read(self) -> tuple[bool, Any]:
        self.reads += 1
        if self._block_after is not None and self.delivered >= self._block_after:
            self.blocked.set()
            self.unblock.wait()
            return False, None
        if self._limit is not None and self.delivered >= self._limit:
            return False, None
        threading.Event().wait(self._pace)  # a camera paces its frames
        image = self._make(self.delivered)
        self.delivered += 1
        return True, image

    def release(self) -> None:
        self.released.set()


class ScriptedOpens:
    """A capture factory that returns (or raises) the scripted items in order."""

    def __init__(self, *items: Capture | Exception) -> None:
        self._items = list(items)
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> Capture:
        with self._lock:
            self.calls += 1
            if not self._items:
                raise CameraUnavailable("script exhausted")
            item = self._items.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


class Recorder:
    """Collects callback values and lets a test wait for a given history."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, value: Any) -> None:
        with self._cond:
            self.values.append(value)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.values), timeout)


class ScriptedFrames:
    """A frame source for the scanner: hands out pushed frames one by one, oldest first,
    so every frame is decoded; `drained` is set when the scanner asked past the last."""

    def __init__(self) -> None:
        self._frames: list[Frame] = []
        self._cond = threading.Condition()
        self.drained = threading.Event()

    def push(self, image: Image, captured: float) -> Frame:
        with self._cond:
            frame = Frame(len(self._frames) + 1, captured, image)
            self._frames.append(frame)
            self.drained.clear()
            self._cond.notify_all()
            return frame

    def latest(self) -> Frame | None:
        with self._cond:
            return self._frames[-1] if self._frames else None

    def wait_newer(self, seq: int, timeout: float) -> Frame | None:
        with self._cond:
            newer = [f for f in self._frames if f.seq > seq]
            if not newer:
                self.drained.set()
                self._cond.wait(min(timeout, 0.05))
                return None
            return newer[0]
