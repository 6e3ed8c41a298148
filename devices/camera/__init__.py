"""The kiosk camera: latest-frame reader, QR decoding and a scanner that reports each code once.

Kept apart from the UI so it runs and is tested without a window; the kiosk shows the
reader's frames and listens to the scanner.
"""

from devices.camera.qr import PASSES, QUICK_PASSES, QrResult, decode_qr, find_qr
from devices.camera.reader import (
    CameraUnavailable,
    Capture,
    CaptureFactory,
    Frame,
    FrameReader,
    camera_factory,
    open_camera,
)
from devices.camera.scanner import FrameSource, QrScanner

__all__ = [
    "PASSES",
    "QUICK_PASSES",
    "CameraUnavailable",
    "Capture",
    "CaptureFactory",
    "Frame",
    "FrameReader",
    "FrameSource",
    "QrResult",
    "QrScanner",
    "camera_factory",
    "decode_qr",
    "find_qr",
    "open_camera",
]
