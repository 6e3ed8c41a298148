"""QR codes from kiosk camera frames: OpenCV's detector plus the fallback passes a camera needs.

A citizen holds a phone or a printed slip in front of a cheap USB camera: the code is often
small, tilted, a little blurred or low in contrast (a dim phone screen, glare on paper).
OpenCV's `QRCodeDetector` misses many such frames, and even some clean codes turned by 270
degrees. Each fallback pass here is kept because a test in `tests/camera/test_camera_qr.py`
has a frame that only it reads. Passes run cheapest first and stop at the first success; a
frame without a code (the usual case at a kiosk) pays for all of them, which is why a scanner
runs the costly upscaling passes only on some frames (`QUICK_PASSES`).

Nothing here judges content: a code that fails Reed-Solomon correction gives no text (never a
guess), and the domain decides whether a text is a check-in code, a ticket or a receipt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import cv2
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
"""A frame: BGR (OpenCV's camera order), BGRA or grayscale, 8 bits per channel."""

# Frames above this size are shrunk for the normal passes: a 1080p frame costs the detector
# about ten times a VGA one, and a code readable at all at 1080p is readable at 960 pixels.
WORK_MAX_SIDE: Final = 960
# The upscaling passes look at the frame at twice the working size (from the full-resolution
# frame when there is one), so a code of ~2 pixels per module gets ~4.
DETAIL_FACTOR: Final = 2


class _Views:
    """Preprocessed versions of one frame, each computed at most once."""

    def __init__(self, image: Image) -> None:
        self._full = _to_gray(image)
        height, width = self._full.shape
        scale = min(1.0, WORK_MAX_SIDE / max(height, width))
        self._work_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        self._cache: dict[str, Image] = {}

    def _get(self, key: str, make: Callable[[], Image]) -> Image:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def gray(self) -> Image:
        """Grayscale at working size."""
        return self._get("gray", lambda: _resize(self._full, self._work_size))

    @property
    def detail(self) -> Image:
        """Grayscale at DETAIL_FACTOR times the working size."""
        size = (self._work_size[0] * DETAIL_FACTOR, self._work_size[1] * DETAIL_FACTOR)
        return self._get("detail", lambda: _resize(self._full, size))

    # CLAHE and sharpening amplify sensor noise into a crowd of false finder-pattern
    # candidates: on a noisy frame without a code each such pass cost 3-5 times more until
    # a light blur went first (and read about as many codes).

    def contrast(self) -> Image:
        """Local contrast equalised (CLAHE): a dim screen or a code in a shadow."""
        return self._get("contrast", lambda: cast(
            Image, _TOOLS.clahe.apply(cv2.GaussianBlur(self.gray, (0, 0), 1.0))))

    def sharpened(self) -> Image:
        """Unsharp mask of the working image: a little motion or focus blur."""
        return self._get("sharpened", lambda: _unsharp(
            cast(Image, cv2.GaussianBlur(self.gray, (0, 0), 0.8)), sigma=2.0))

    def detail_sharpened(self) -> Image:
        """Unsharp mask of the upscaled image: a small code that is also soft."""
        return self._get("detail_sharpened", lambda: _unsharp(self.detail, sigma=3.0))


@dataclass(frozen=True, slots=True)
class _Pass:
    name: str
    run: Callable[[_Views], str]


class _Tools(threading.local):
    """OpenCV objects are not safe to share between threads: one set per thread."""

    def __init__(self) -> None:
        self.plain = cv2.QRCodeDetector()
        # A second detector that finds finder patterns differently (ArUco contour search):
        # it reads rotated, tilted and low-contrast codes the classic one misses.
        self.aruco = cv2.QRCodeDetectorAruco()
        self.clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))


_TOOLS = _Tools()


def _read(detector: Any, image: Image) -> str:
    try:
        text, _points, _straight = detector.detectAndDecode(image)
    except cv2.error as exc:  # odd geometry can trip an assertion inside OpenCV
        logger.debug("QR detector error: %s", exc)
        return ""
    return str(text)


_PASSES: Final[tuple[_Pass, ...]] = (
    _Pass("plain", lambda v: _read(_TOOLS.plain, v.gray)),
    _Pass("aruco", lambda v: _read(_TOOLS.aruco, v.gray)),
    _Pass("contrast", lambda v: _read(_TOOLS.aruco, v.contrast())),
    _Pass("sharpen", lambda v: _read(_TOOLS.aruco, v.sharpened())),
    _Pass("upscale", lambda v: _read(_TOOLS.aruco, v.detail)),
    _Pass("upscale_sharpen", lambda v: _read(_TOOLS.aruco, v.detail_sharpened())),
)
_BY_NAME: Final = {p.name: p for p in _PASSES}

PASSES: Final[tuple[str, ...]] = tuple(p.name for p in _PASSES)
"""Every pass, in the order `decode_qr` tries them."""
QUICK_PASSES: Final[tuple[str, ...]] = ("plain", "aruco", "contrast", "sharpen")
"""The passes at working size: about a quarter of the cost of all passes on a frame with no
code, which is most frames."""


@dataclass(frozen=True, slots=True)
class QrResult:
    """A decoded code and the pass that read it."""

    text: str
    pass_name: str


def find_qr(image: Image, *, passes: Sequence[str] = PASSES) -> QrResult | None:
    """Decode the first QR code found by the given passes, in their order; None if none."""
    chosen = [_pass(name) for name in passes]
    views = _Views(image)
    for p in chosen:
        text = p.run(views)
        if text:
            return QrResult(text, p.name)
    return None


def decode_qr(image: Image, *, passes: Sequence[str] = PASSES) -> str | None:
    """Return the raw text of a QR code in the frame, or None."""
    found = find_qr(image, passes=passes)
    return found.text if found else None


def _pass(name: str) -> _Pass:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown QR pass {name!r}; known: {', '.join(PASSES)}") from None


def _to_gray(image: Image) -> Image:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise TypeError("a frame is a numpy array of uint8")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cast(Image, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    if image.ndim == 3 and image.shape[2] == 4:
        return cast(Image, cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY))
    raise ValueError(f"a frame has 1, 3 or 4 channels, not shape {image.shape}")


def _resize(gray: Image, size: tuple[int, int]) -> Image:
    height, width = gray.shape
    if (width, height) == size:
        return gray
    shrinking = size[0] < width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cast(Image, cv2.resize(gray, size, interpolation=interpolation))


def _unsharp(gray: Image, *, sigma: float, amount: float = 1.5) -> Image:
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
    return cast(Image, cv2.addWeighted(gray, 1 + amount, blurred, -amount, 0))
