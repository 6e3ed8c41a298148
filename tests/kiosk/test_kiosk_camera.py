"""The kiosk's camera wiring: codes shown to a (file-backed) camera reach the controller only
on the pages that take a code."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
from kiosk_support import make, ready

from devices.camera.synth import scene, to_bgr
from devices.config.links import Camera
from kiosk.model import Page
from kiosk.runtime import CameraScanner

CODE = "7K3M-0Q9T-XW2P-5RBA"


def _wait(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_code_held_to_the_camera_checks_in_once_and_only_on_the_check_in_page(
        tmp_path: Path) -> None:
    for i in range(8):
        frame = to_bgr(scene(CODE, size=220, seed=i))
        assert cv2.imwrite(str(tmp_path / f"f_{i:03d}.png"), frame)
    ctl, link, _printer, _clock = make()
    ctl.clock = time.monotonic  # the real clock: the scanner runs on threads
    ready(ctl)
    ctl.open_category("qiye")  # not a page that takes a code
    camera = CameraScanner(Camera(device=str(tmp_path / "f_%03d.png")), ctl)
    camera.start()
    try:
        assert _wait(lambda: ctl.view.camera_online), "the camera came online"
        time.sleep(1.0)
        assert "check-in" not in link.names()
        assert camera.scanner.paused
        ctl.open_check_in()
        assert _wait(lambda: "check-in" in link.names()), "the code was read"
        assert link.last("check-in").code == CODE
        assert ctl.view.page is Page.ISSUING
        time.sleep(1.0)
        assert link.names().count("check-in") == 1  # held in view: one check-in
    finally:
        camera.stop()
