"""`onewindow-kiosk --role pad`: which files it runs, and a headless run that prints the idle
view as JSON lines and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import DEMO_CONFIG

from kiosk.cli import main

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "pad-test-password-123"


def write_pad(tmp_path: Path, *, serial: bool = False, port: int = 1) -> Path:
    """A pad file (and the hall's secrets beside it) whose broker is unreachable."""
    devices = tmp_path / "hall" / "devices"
    devices.mkdir(parents=True)
    (tmp_path / "hall" / "secrets.yaml").write_text(f"schema_version: 1\npad-9: {PASSWORD}\n",
                                                    encoding="utf-8")
    text = (f"schema_version: 1\ntype: pad\nid: pad-9\nhall: demo\n"
            f"name: {{zh: 9号窗口 评价器, en: Window 9 rating pad}}\n"
            f"mqtt: {{host: 127.0.0.1, port: {port}, password: !secret pad-9}}\n"
            f"window: 9\nidle_timeout_s: 20\n")
    if serial:
        text += "serial: {url: /dev/ttyUSB3, baudrate: 9600}\n"
    path = devices / "pad-9.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_hardware_pad_file_is_left_to_the_agent(tmp_path: Path) -> None:
    path = write_pad(tmp_path, serial=True)
    with pytest.raises(SystemExit) as exc:
        main(["--role", "pad", "--config", str(path), "--headless"])
    assert "onewindow-agent" in str(exc.value) and "/dev/ttyUSB3" in str(exc.value)


def test_a_kiosk_file_cannot_run_as_a_pad_nor_a_pad_as_a_kiosk(tmp_path: Path) -> None:
    kiosk = DEMO_CONFIG.parent / "devices" / "kiosk-a1.yaml"
    env = {"ONEWINDOW_SECRET_KIOSK_A1": PASSWORD}
    os.environ.update(env)
    try:
        with pytest.raises(SystemExit) as exc:
            main(["--role", "pad", "--config", str(kiosk), "--headless"])
        assert "cannot run as --role pad" in str(exc.value)
    finally:
        os.environ.pop("ONEWINDOW_SECRET_KIOSK_A1")
    with pytest.raises(SystemExit) as exc:
        main(["--role", "kiosk", "--config", str(write_pad(tmp_path)), "--headless"])
    assert "cannot run as --role kiosk" in str(exc.value)


def test_headless_pad_prints_its_views_and_stops_on_sigterm(tmp_path: Path) -> None:
    path = write_pad(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "--config", str(path), "--headless",
         "--state-dir", str(tmp_path / "state")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["page"] == "idle" and first["window"] == 9 and first["online"] is False
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "state" / "pad-9.outbox.db").exists()
