"""Synthetic kiosk-camera frames with a QR code in them, for the tests and the QR benchmark.

There is no camera in CI, and a folder of photos would hide which condition breaks the
decoder. These frames are built from parameters a real kiosk sees (code size, rotation,
perspective tilt, contrast, blur, sensor noise) over a cluttered background, reproducibly
from a seed, so a failing case names its cause.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np
import segno

from devices.camera.qr import Image

FRAME_SIZE = (640, 480)
# Contents in the formats the hall uses: a ticket URL, a receipt URL, a check-in code.
TICKET_URL = "http://hall.example:8080/t/Xq3v9kPz2LwR8sT1AbCd"
RECEIPT_URL = "http://hall.example:8080/c/Rk7wQ2mZp9XbN4tLc8Vd"
CHECKIN_CODE = "7K3M-9QXR-2HFD-WT4B"
_SUPERSAMPLE = 4  # draw at 4x and shrink: module edges get the soft gray a lens gives them


def qr_modules(text: str, *, border: int = 4) -> Image:
    """The code as one pixel per module: 0 dark, 255 light, with a quiet zone of `border`."""
    # make_qr, not make: short texts would become Micro QR, which OpenCV cannot read.
    code = segno.make_qr(text)
    rows = [[0 if dark else 255 for dark in row] for row in code.matrix_iter(border=border)]
    return np.array(rows, dtype=np.uint8)


def background(size: tuple[int, int] = FRAME_SIZE, *, seed: int = 0) -> Image:
    """A gray frame with random boxes, discs and text: edges for the detector to reject."""
    rng = np.random.default_rng(seed)
    width, height = size
    img = np.full((height, width), 170, dtype=np.uint8)
    for _ in range(25):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        shade = int(rng.integers(0, 255))
        if rng.random() < 0.5:
            corner = (x + int(rng.integers(10, 120)), y + int(rng.integers(10, 80)))
            cv2.rectangle(img, (x, y), corner, shade, -1)
        else:
            cv2.circle(img, (x, y), int(rng.integers(5, 50)), shade, -1)
    cv2.putText(img, "WINDOW 3", (20, height - 20), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 30, 2)
    return img


def scene(
    text: str,
    *,
    size: float = 200,
    angle: float = 0.0,
    tilt: float = 0.0,
    center: tuple[float, float] | None = None,
    dark: int = 0,
    light: int = 255,
    seed: int = 0,
    modules: Image | None = None,
    base: Image | None = None,
) -> Image:
    """A grayscale frame with the code `size` pixels wide (quiet zone included).

    `angle` turns the code in degrees, `tilt` (0..1) narrows its top edge as a camera
    looking up at it would, `dark`/`light` are the gray levels of its modules. `modules`
    replaces the generated code (a damaged one); `base` replaces the background.
    """
    mods = qr_modules(text) if modules is None else modules
    frame = background(seed=seed) if base is None else base.copy()
    height, width = frame.shape
    cx, cy = center if center is not None else (width / 2, height / 2)
    n = mods.shape[0]
    half = size / 2
    corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
    corners[:2, 0] *= 1 - tilt
    a = np.deg2rad(angle)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = corners @ rotation.T + np.array([cx, cy])
    src = np.array([[0, 0], [n, 0], [n, n], [0, n]], dtype=np.float32)
    ss = _SUPERSAMPLE
    warp = np.diag([ss, ss, 1.0]) @ cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    big = (width * ss, height * ss)
    code = cv2.warpPerspective(mods, warp, big, flags=cv2.INTER_NEAREST, borderValue=0)
    mask = cv2.warpPerspective(np.full_like(mods, 255), warp, big, flags=cv2.INTER_NEAREST,
                               borderValue=0)
    code_f = cv2.resize(code, (width, height), interpolation=cv2.INTER_AREA) / 255.0
    mask_f = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA) / 255.0
    shaded = dark + (light - dark) * code_f
    out = frame * (1 - mask_f) + shaded * mask_f
    return cast(Image, np.clip(np.rint(out), 0, 255).astype(np.uint8))


def damage(modules: Image, fraction: float, *, seed: int = 0) -> Image:
    """Flip `fraction` of the modules outside the three finder patterns."""
    rng = np.random.default_rng(seed)
    out = modules.copy()
    n = out.shape[0]
    border = int(np.argmax(out.min(axis=1) == 0))  # first row with a dark module
    keep = np.zeros_like(out, dtype=bool)
    finder = 8  # 7 modules of pattern + 1 of separator
    lo, hi = border, n - border
    keep[lo:lo + finder, lo:lo + finder] = True
    keep[lo:lo + finder, hi - finder:hi] = True
    keep[hi - finder:hi, lo:lo + finder] = True
    inside = np.zeros_like(keep)
    inside[lo:hi, lo:hi] = True
    flip = (rng.random(out.shape) < fraction) & inside & ~keep
    out[flip] = 255 - out[flip]
    return out


def add_noise(image: Image, sigma: float, *, seed: int = 0) -> Image:
    """Gaussian sensor noise of `sigma` gray levels."""
    rng = np.random.default_rng(seed)
    return np.clip(image + rng.normal(0.0, sigma, image.shape), 0, 255).astype(np.uint8)


def gaussian_blur(image: Image, sigma: float) -> Image:
    """Out of focus."""
    return cast(Image, cv2.GaussianBlur(image, (0, 0), sigma))


def motion_blur(image: Image, length: int, angle: float = 0.0) -> Image:
    """A hand moving `length` pixels in direction `angle` (degrees) during the exposure."""
    kernel = np.zeros((length, length), dtype=np.float32)
    kernel[length // 2, :] = 1.0
    middle = (length - 1) / 2
    turn = cv2.getRotationMatrix2D((middle, middle), angle, 1.0)
    line = cv2.warpAffine(kernel, turn, (length, length))
    return cast(Image, cv2.filter2D(image, -1, line / line.sum()))


def to_bgr(gray: Image) -> Image:
    """The three-channel frame a camera delivers."""
    return cast(Image, cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
