"""Every rating pad page rendered headless by the real Kivy app (one subprocess: Kivy allows
one window per process) into artifacts/pad/, then checked here: sizes and pages, layout
(inside the window, no overlaps, touch targets of at least 60 px, no scrolling), the level
colours on screen, languages and large type, and simulated taps reaching the controller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pad_scenarios import SHOTS
from pad_ui_support import PHOTO
from PIL import Image
from shot_runner import REPO, TIME_LIMIT_S, render_report

from kiosk.ui.pad.faces import LEVEL_COLOURS

OUT = REPO / "artifacts" / "pad"
SCRIPT = Path(__file__).with_name("render_pad_shots.py")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("pad_ui")
    return render_report(SCRIPT, OUT, tmp, [str(tmp / "photos")],
                         pythonpath=[SCRIPT.parent, REPO])


def pixels(name: str) -> np.ndarray:
    return np.asarray(Image.open(OUT / f"{name}.png").convert("RGB"), dtype=np.int16)


def test_every_page_is_saved_at_its_size(report: dict[str, Any]) -> None:
    shots = report["shots"]
    assert sorted(shots) == sorted(s.name for s in SHOTS)
    assert {s.page for s in SHOTS} == {"idle", "armed", "reasons", "thanks", "refused"}
    for shot in SHOTS:
        info = shots[shot.name]
        with Image.open(OUT / shot.file) as image:
            assert image.size == shot.size, shot.name
        assert info["page"] == shot.page, shot.name
        assert (info["language"], info["elderly"]) == (shot.language, shot.elderly), shot.name


def test_layout_has_no_faults_and_every_page_fits_without_scrolling(
        report: dict[str, Any]) -> None:
    faults = {n: s["faults"] for n, s in report["shots"].items() if s["faults"]}
    assert not faults
    scrolling = [n for n, s in report["shots"].items() if s["scrolls"]]
    assert not scrolling


def test_touch_targets_are_at_least_60_px_and_inside_the_window(
        report: dict[str, Any]) -> None:
    for shot in SHOTS:
        width, height = shot.size
        buttons = report["shots"][shot.name]["buttons"]
        assert {"language", "elderly", "helper"} <= set(buttons), shot.name
        for name, (x0, y0, x1, y1) in buttons.items():
            assert x1 - x0 >= 60 and y1 - y0 >= 60, (shot.name, name)
            assert x0 >= -1 and y0 >= -1 and x1 <= width + 1 and y1 <= height + 1, \
                (shot.name, name)


def test_five_level_buttons_in_their_colours(report: dict[str, Any]) -> None:
    armed = [s for s in SHOTS if s.page == "armed"]
    assert len(armed) >= 5
    for shot in armed:
        image = pixels(shot.name)
        buttons = report["shots"][shot.name]["buttons"]
        assert sorted(k for k in buttons if k.startswith("level:")) == \
            [f"level:{n}" for n in range(1, 6)]
        for level, (colour, _text) in LEVEL_COLOURS.items():
            x0, y0, x1, y1 = buttons[f"level:{level}"]
            x, y = int(x1 - 0.08 * (x1 - x0)), int(shot.size[1] - (y0 + y1) / 2)
            want = np.array([round(c * 255) for c in colour[:3]])
            assert np.abs(image[y, x] - want).max() <= 3, (shot.name, level, image[y, x])


def test_reasons_page_offers_every_reason_and_submit_is_off_without_one(
        report: dict[str, Any]) -> None:
    for shot in (s for s in SHOTS if s.page == "reasons"):
        reasons = [k for k in report["shots"][shot.name]["buttons"] if k.startswith("reason:")]
        assert len(reasons) == 10, shot.name
        assert {"submit", "back"} <= set(report["shots"][shot.name]["buttons"])
    checks = {c["name"]: c["ok"] for c in report["checks"]}
    assert checks["submit is off without a reason"]


def test_no_screenshot_is_blank_and_languages_and_large_type_differ(
        report: dict[str, Any]) -> None:
    for shot in SHOTS:
        image = pixels(shot.name)
        assert image.std() > 20, shot.name
    for base in ("idle", "armed", "reasons", "thanks", "refused"):
        zh, en, big = pixels(f"{base}-zh"), pixels(f"{base}-en"), pixels(f"{base}-elderly")
        assert np.abs(zh - en).mean() > 1.0, base
        assert np.abs(zh - big).mean() > 5.0, base
        assert tuple(big[3, 3]) == (0, 0, 0), base  # high-contrast header
        assert tuple(zh[3, 3]) != (0, 0, 0), base


def test_the_offline_screens_say_so(report: dict[str, Any]) -> None:
    assert not report["shots"]["idle-offline-zh"]["online"]
    assert report["shots"]["idle-zh"]["online"]
    # The red offline strip under the header.
    strip = pixels("idle-offline-zh")[130:150, 40:1240]
    red = (strip[..., 0] > 150) & (strip[..., 1] < 80) & (strip[..., 2] < 80)
    assert red.mean() > 0.5
    assert not report["shots"]["thanks-offline-zh"]["online"]


def test_idle_shows_the_cached_staff_photo(report: dict[str, Any]) -> None:
    images = report["shots"]["idle-zh"]["images"]
    assert any(i.endswith(f"{PHOTO}.jpg") for i in images), images
    assert report["shots"]["armed-zh"]["images"], "who served is shown with the photo"


def test_taps_reach_the_controller(report: dict[str, Any]) -> None:
    failed = [c for c in report["checks"] if not c["ok"]]
    assert not failed, failed
    names = {c["name"] for c in report["checks"]}
    for expected in ("two Chinese characters draw differently (no boxes)",
                     "the default font is the CJK font", "an arm from another thread is drawn",
                     "不满意 opens the reasons", "提交 posts level 2 with its reason",
                     "tapping level 5 posts level 5 once", "tapping level 3 posts level 3 once",
                     "呼叫工作人员 pages staff", "idle shows the cached photo"):
        assert expected in names



@pytest.mark.parametrize(("size", "expected"), [(None, [1280, 800]),
                                                ("800x1280", [800, 1280])])
def test_the_command_opens_the_pad_window(tmp_path: Path, size: str | None,
                                          expected: list[int]) -> None:
    hall = tmp_path / "hall"
    (hall / "devices").mkdir(parents=True)
    (hall / "secrets.yaml").write_text("schema_version: 1\npad-9: pad-test-password-123\n",
                                       encoding="utf-8")
    config = hall / "devices" / "pad-9.yaml"
    config.write_text("schema_version: 1\ntype: pad\nid: pad-9\nhall: demo\n"
                      "name: {zh: 9号窗口 评价器, en: Window 9 rating pad}\n"
                      "mqtt: {host: 127.0.0.1, port: 1, password: !secret pad-9}\n"
                      "window: 9\n", encoding="utf-8")
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_LOG_MODE": "PYTHON", "KIVY_HOME": str(tmp_path / "kivy"),
           "KIVY_NO_FILELOG": "1"}
    env.pop("DISPLAY", None)
    args = [sys.executable, str(SCRIPT.with_name("run_pad_check.py")), str(config),
            str(tmp_path / "state"), *([size] if size else [])]
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=TIME_LIMIT_S, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0 and seen["size"] == expected
    assert seen["page"] == "idle" and seen["window"] == 9
    assert {"language", "elderly", "helper"} <= set(seen["buttons"])
