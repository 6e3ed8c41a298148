"""`hallserver demo` as a newcomer meets it: the banner comes once the hall answers, its
"Try it" commands work as printed (window 1 and staff 10001 are left free by the
simulation), the commands it prints exist, device chatter goes to the log file, and Ctrl-C
stops it with every simulated device recorded offline."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.ports import stable_port

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 180  # a full hall of simulated devices on a busy 2-core CI machine
STOP_TIMEOUT_S = 60  # generous: this checks that it stops, not how fast (that is measured)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed"),
]


class Demo:
    """A `hallserver demo` process with its console output collected line by line."""

    def __init__(self, data_dir: Path) -> None:
        self.port = stable_port()
        self.mqtt_port = stable_port()
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hallserver.cli", "demo", "--port", str(self.port),
             "--mqtt-port", str(self.mqtt_port), "--data-dir", str(data_dir)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.out, True),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err, False),
                         daemon=True).start()

    def _read(self, stream: object, into: list[str], notify: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)
            if notify:
                self._lines.put(line)

    def wait_for(self, marker: str, timeout: float) -> str:
        """Stdout up to and including the line holding `marker`."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no {marker!r} within {timeout}s; stdout:\n{''.join(self.out)}"
                            f"\nstderr:\n{''.join(self.err)[-4000:]}")
            if marker in line:
                return "".join(self.out)
            if self.proc.poll() is not None:
                pytest.fail(f"demo exited ({self.proc.returncode}):\n{''.join(self.err)}")

    def stop(self) -> int:
        """Ctrl-C, then wait for the process to end; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("the demo did not stop on Ctrl-C")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path / "var")
    try:
        yield d
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


def _section(banner: str, first: str, last: str) -> str:
    """The banner's lines after the one starting with `first`, before the one with `last`."""
    lines = banner.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(last))
    return "\n".join(lines[start + 1:end]) + "\n"


def _replies(stdout: str) -> list[dict[str, Any]]:
    """The JSON bodies curl printed one after another (sign-in, ticket, call-next)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := stdout.find("{", at)) != -1:
        body, at = decoder.raw_decode(stdout, at)
        found.append(body)
    assert len(found) == 3, stdout
    return found


def test_demo_banner_try_it_and_ctrl_c(demo: Demo) -> None:
    banner = demo.wait_for("Stop 停止", READY_TIMEOUT_S)

    # The banner comes when the hall answers, not before.
    with urllib.request.urlopen(f"http://127.0.0.1:{demo.port}/healthz", timeout=10) as r:
        assert r.status == 200

    # Its "Try it" commands, run exactly as printed.
    commands = _section(banner, "Try it", "Log")
    assert "/api/windows/1/sign-in" in commands and '"username":"10001"' in commands
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", commands],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert '"detail"' not in done.stdout, done.stdout  # no refusal (it was a 409 before)
    _signed_in, taken, call = _replies(done.stdout)
    with urllib.request.urlopen(f"http://127.0.0.1:{demo.port}/api/windows", timeout=10) as r:
        windows = {w["number"]: w for w in json.load(r)}
    assert windows[1]["staff"]["id"] == "10001"
    if call["called"] is not None:  # window 1 called a ticket (usually the one just taken)
        assert call["message"].startswith("请 "), call
        assert windows[1]["current"]["state"] == "called"
    else:
        # The live simulated hall called the number in the moment between taking and calling
        # (the README says so): then it is another window's now, and nothing else waited.
        assert call["message_en"] == "nothing waiting for this window", call
        elsewhere = [n for n, w in windows.items()
                     if w["current"] and w["current"]["number"] == taken["number"]]
        assert elsewhere and elsewhere != [1], (taken, windows)

    # The commands it prints for the real apps exist as printed.
    for line in banner.splitlines():
        if "onewindow-kiosk" in line:
            program = re.search(r"(\S*onewindow-kiosk)\s", line)
            assert program is not None, line
            path = Path(program.group(1))
            assert (REPO / path).is_file() or shutil.which(str(path)), line

    # Device chatter went to the log file the banner names, not to the console.
    log_file = demo.data_dir / "demo.log"
    assert str(log_file) in banner
    console = "".join(demo.err)
    assert " online (epoch" not in console and "📢" not in console, console[-2000:]

    assert demo.stop() == 0
    log = log_file.read_text(encoding="utf-8")
    assert "device caller-2 online" in log
    assert "hall server disconnected from the broker" in log
    assert "lost the broker" not in log  # our own disconnect is no warning

    # What was committed stays, and every simulated device was recorded offline.
    db = sqlite3.connect(demo.data_dir / "demo.db")
    try:
        tickets = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
        online = db.execute("SELECT device_id FROM devices WHERE online").fetchall()
    finally:
        db.close()
    assert tickets >= 1
    assert online == [], online
