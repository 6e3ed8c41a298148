"""Every kiosk and terminal screen rendered headless by the real Kivy app (one subprocess:
Kivy allows one window per process), then checked here: the PNGs exist at the right size,
are not blank, differ between languages and modes, the ticket's QR code reads back, and
simulated taps reached the controller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from kiosk_ui_support import TICKET_URL
from PIL import Image
from scenarios import SHOTS
from shot_runner import REPO, TIME_LIMIT_S, render_report

OUT = REPO / "artifacts" / "kiosk"
SCRIPT = Path(__file__).with_name("render_shots.py")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return render_report(SCRIPT, OUT, tmp_path_factory.mktemp("kiosk_ui"))


def pixels(name: str) -> np.ndarray:
    return np.asarray(Image.open(OUT / f"{name}.png").convert("RGB"), dtype=np.int16)


def test_every_screen_is_saved_at_its_size_on_the_page_it_is_about(
        report: dict[str, Any]) -> None:
    shots = report["shots"]
    assert sorted(shots) == sorted(s.name for s in SHOTS)
    for shot in SHOTS:
        info = shots[shot.name]
        with Image.open(OUT / shot.file) as image:
            assert image.size == shot.size, shot.name
        assert info["page"] == shot.page, shot.name
        assert info["role"] == shot.role
        assert (info["language"], info["elderly"]) == (shot.language, shot.elderly)


def test_nothing_is_clipped_outside_its_button_or_the_window_and_no_buttons_overlap(
        report: dict[str, Any]) -> None:
    faults = {name: info["faults"] for name, info in report["shots"].items() if info["faults"]}
    assert not faults


def test_no_screenshot_is_blank(report: dict[str, Any]) -> None:
    for shot in SHOTS:
        image = pixels(shot.name)
        assert image.std() > 20, f"{shot.name} looks blank"
        colours = np.unique(image.reshape(-1, 3)[::97], axis=0)
        assert len(colours) > 20, f"{shot.name} has almost no detail"


def _pairs(a: str, b: str) -> list[tuple[str, str]]:
    by_base: dict[str, set[str]] = defaultdict(set)
    for shot in SHOTS:
        base, _, mode = shot.name.rpartition("-")
        by_base[base].add(mode)
    return [(f"{base}-{a}", f"{base}-{b}") for base, modes in by_base.items()
            if {a, b} <= modes]


def test_chinese_and_english_screens_differ(report: dict[str, Any]) -> None:
    pairs = _pairs("zh", "en")
    assert len(pairs) >= 15
    for zh, en in pairs:
        assert np.abs(pixels(zh) - pixels(en)).mean() > 1.0, (zh, en)


def test_large_type_mode_differs_and_is_high_contrast(report: dict[str, Any]) -> None:
    pairs = _pairs("zh", "elderly")
    assert len(pairs) >= 8
    for normal, elderly in pairs:
        a, b = pixels(normal), pixels(elderly)
        assert np.abs(a - b).mean() > 5.0, (normal, elderly)
        # The header is black in large-type mode, the blue brand colour otherwise.
        assert tuple(b[3, 3]) == (0, 0, 0), elderly
        assert tuple(a[3, 3]) != (0, 0, 0), normal


def test_the_ticket_qr_code_on_screen_reads_back_as_the_status_url(
        report: dict[str, Any]) -> None:
    detector = cv2.QRCodeDetector()
    names = [s.name for s in SHOTS if s.page == "ticket"]
    assert len(names) >= 6
    for name in names:
        assert report["shots"][name]["qr_url"] == TICKET_URL
        image = cv2.imread(str(OUT / f"{name}.png"))
        text, _points, _ = detector.detectAndDecode(image)
        assert text == TICKET_URL, name


def test_taps_reach_the_controller_and_its_answers_reach_the_screen(
        report: dict[str, Any]) -> None:
    checks = report["checks"]
    failed = [c for c in checks if not c["ok"]]
    assert not failed, failed
    names = {c["name"] for c in checks}
    for expected in ("category tile opens ITEMS", "取号 emits a ticket-request",
                     "a reply from another thread is drawn", "帮办 pages staff",
                     "确认 emits a check-in", "取号 is off while paused",
                     "取号 is off for a full category", "补打回执 asks for a reprint",
                     "two Chinese characters draw differently (no boxes)"):
        assert expected in names



def test_run_app_opens_the_window_draws_the_view_and_ticks(tmp_path: Path) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_LOG_MODE": "PYTHON", "KIVY_HOME": str(tmp_path / "kivy"),
           "KIVY_NO_FILELOG": "1"}
    env.pop("DISPLAY", None)
    done = subprocess.run([sys.executable, str(SCRIPT.with_name("run_app_check.py"))],
                          env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=TIME_LIMIT_S, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["size"] == [1920, 1080]
    assert seen["page"] == "home"
    assert {"scan-ticket", "scan-case", "check-in", "helper", "language"} <= set(seen["buttons"])
    assert seen["ticks"] >= 2  # the controller ticked while the app ran
