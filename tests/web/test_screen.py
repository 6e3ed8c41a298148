"""The hall call screen (/screen) in headless Chromium against a real server, and the audio
of its calls (GET /api/screen/audio.wav)."""

from __future__ import annotations

import array
import io
import math
import re
import socket
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from harness.ports import stable_port
from playwright.sync_api import Page, expect
from support import (
    DEMO_CONFIG,
    DESK,
    MONDAY_MORNING,
    PASSWORD,
    FakeClock,
    migrated_sqlite,
    seed_users,
)
from web_support import Hall, browser_marks, browser_page

from hallserver.app import create_app
from hallserver.services import Services
from hallserver.settings import Settings

pytestmark = browser_marks()

FULL_HD = {"width": 1920, "height": 1080}


@contextmanager
def screen(browser: Any, url: str, *, lang: str = "zh", query: str = "") -> Iterator[Page]:
    """/screen at 1920x1080, loaded; uncaught script errors fail the test."""
    with browser_page(browser, url, FULL_HD) as page:
        sep = "&" if query else ""
        page.goto(f"/screen?{query}{sep}lang={lang}")
        expect(page.locator("body")).to_have_attribute("data-ready", "yes")
        yield page


def enable_sound(page: Page) -> None:
    """Click the "enable sound" overlay when the browser needs a gesture first."""
    overlay = page.get_by_test_id("unlock")
    page.wait_for_timeout(300)  # the page decides once the browser has listed its voices
    if overlay.is_visible():
        page.get_by_role("button", name=re.compile("点击启用语音")).click()
        expect(overlay).to_be_hidden()


def speech_rate(services: Services, wpm: int) -> None:
    """Save the live layout with the screen reading calls at `wpm` (as an admin would). The
    tests that wait for calls to be read aloud use the fastest rate: what they check is the
    order and count of readings, not how they sound."""
    with services.ctx.db.read() as session:
        cfg = services.ctx.layout.current(session)
    screen_cfg = cfg.screen.model_copy(update={"speech_rate": wpm})
    services.ctx.layout.save(cfg.model_copy(update={"screen": screen_cfg}),
                             source="test", actor="admin")


FAST = 450  # the fastest rate a hall may set


def call_next(client: httpx.Client, window: int = 1) -> dict[str, Any]:
    r = client.post(f"/api/windows/{window}/call-next")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["called"] is not None, body
    return body


def state(url: str) -> dict[str, Any]:
    r = httpx.get(f"{url}/api/screen/state", timeout=10)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_call_appears_within_a_second_with_its_words(browser: Any, hall: Hall,
                                                      shots: Path) -> None:
    for _ in range(3):
        hall.issue("A")
    hall.issue("C")
    speech_rate(hall.services, FAST)
    with hall.at_window() as desk, screen(browser, hall.url) as page:
        expect(page.get_by_test_id("hall")).to_have_text("示范区政务服务中心")
        expect(page.get_by_test_id("latest")).to_contain_text("暂无叫号")
        expect(page.get_by_test_id("waiting-qiye")).to_have_text("3 人")
        expect(page.get_by_test_id("window-1-number")).to_have_text("—")
        enable_sound(page)
        call_next(desk)  # the screen has no poll: only the pushed change can show it
        expect(page.get_by_test_id("latest-number")).to_have_text("A001")
        expect(page.get_by_test_id("latest-text")).to_have_text("请 A001 号到 1 号窗口办理")
        expect(page.get_by_test_id("latest-window")).to_have_text("1 号窗口")
        expect(page.get_by_test_id("window-1-number")).to_have_text("A001")
        expect(page.get_by_test_id("window-1")).to_have_class(re.compile("st-called"))
        expect(page.get_by_test_id("waiting-qiye")).to_have_text("2 人")
        expect(page.get_by_test_id("waiting-shebao")).to_have_text("1 人")
        expect(page.get_by_test_id("latest")).to_have_class(re.compile("flash"))
        expect(page.get_by_test_id("recent").locator("li")).to_have_count(1)
        page.screenshot(path=str(shots / "screen-called.png"))
        # Read aloud: headless Chromium has no voices, so the server's audio, twice.
        call_id = state(hall.url)["calls"][0]["id"]
        expect(page.get_by_test_id("announced")).to_have_text(f"{call_id}:server:2",
                                                              timeout=20_000)
        # A recall is read again and marked.
        r = desk.post("/api/windows/1/recall")
        assert r.status_code == 200, r.text
        expect(page.get_by_test_id("recent").locator("li")).to_have_count(2)
        expect(page.locator("#latest-recall")).to_be_visible()
        recall_id = state(hall.url)["calls"][0]["id"]
        expect(page.get_by_test_id("announced")).to_have_text(
            f"{call_id}:server:2 {recall_id}:server:2", timeout=20_000)


def test_calls_in_a_row_are_read_one_after_another(browser: Any, hall: Hall) -> None:
    for _ in range(2):
        hall.issue("A")
    speech_rate(hall.services, FAST)
    with hall.at_window(1) as one, hall.at_window(2, "10002") as two, \
            screen(browser, hall.url) as page:
        enable_sound(page)
        call_next(one, 1)
        call_next(two, 2)
        expect(page.get_by_test_id("latest-number")).to_have_text("A002", timeout=1000)
        expect(page.get_by_test_id("latest-window")).to_have_text("2 号窗口")
        ids = [c["id"] for c in reversed(state(hall.url)["calls"])]
        expect(page.get_by_test_id("announced")).to_have_text(
            " ".join(f"{i}:server:2" for i in ids), timeout=30_000)


def test_english_screen_and_idle_hall(browser: Any, hall: Hall, shots: Path) -> None:
    for _ in range(4):
        hall.issue("B")
    hall.issue("E")
    with hall.at_window(15, "10015") as desk:
        call_next(desk, 15)
    with screen(browser, hall.url, lang="en") as page:
        expect(page.get_by_test_id("latest-text")).to_have_text(
            "Ticket B001, please go to window 15")
        expect(page.get_by_test_id("latest-window")).to_have_text("Window 15")
        expect(page.get_by_test_id("waiting-budongchan")).to_have_text("3")
        expect(page.get_by_test_id("window-15")).to_contain_text("Priority Lane")
        expect(page.get_by_test_id("window-2")).to_contain_text("Closed")
        # What was called before the screen came up is shown, not read.
        page.wait_for_timeout(1500)
        expect(page.get_by_test_id("announced")).to_have_text("")
        page.screenshot(path=str(shots / "screen-en.png"))
        layout = page.evaluate("""() => ({
            scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
            clipped: [...document.querySelectorAll('.sc-win, .sc-queue, .sc-latest')]
              .filter(e => e.scrollHeight > e.clientHeight + 1).length,
        })""")
        assert layout["scroll"] == [1920, 1080], layout
        assert layout["clipped"] == 0, layout


def test_zone_screen_and_notice(browser: Any, hall: Hall, shots: Path) -> None:
    with screen(browser, hall.url, query="zone=b") as page:
        expect(page.get_by_test_id("windows").locator("li")).to_have_count(10)  # 15..24
        expect(page.get_by_test_id("queues").locator("li")).to_have_count(3)
        expect(page.locator("#zone")).to_have_text("二楼 B区（不动产·税务·公积金）")
        expect(page.get_by_test_id("notice")).to_contain_text("请留意叫号")
        page.screenshot(path=str(shots / "screen-zone-b.png"))


def test_unlock_overlay_when_sound_needs_a_click(browser: Any, hall: Hall,
                                                shots: Path) -> None:
    context = browser.new_context(viewport=FULL_HD, base_url=hall.url)
    page = context.new_page()
    # As a browser without the kiosk flag: sound refused until the first click.
    page.add_init_script("""
        window.AudioContext = class { constructor() { this.state = 'suspended'; }
                                      close() { return Promise.resolve(); } };
        Object.defineProperty(navigator, 'userActivation',
                              { get: () => ({ hasBeenActive: false }) });
    """)
    try:
        page.goto("/screen")
        overlay = page.get_by_test_id("unlock")
        expect(overlay).to_be_visible()
        expect(overlay).to_contain_text("点击启用语音")
        expect(overlay).to_contain_text("Click to enable sound")
        page.screenshot(path=str(shots / "screen-unlock.png"))
        overlay.get_by_role("button").click()
        expect(overlay).to_be_hidden()
    finally:
        context.close()


# ---- recovery after a server restart ---------------------------------------------------------


class RestartableHall:
    """A hall server that can be stopped and started again on the same port and database."""

    def __init__(self, db_url: str, clock: FakeClock) -> None:
        self.db_url = db_url
        self.clock = clock
        self.port = stable_port()  # restarted on it: see harness/ports.py
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.sock: socket.socket | None = None

    def start(self) -> None:
        app = create_app(Settings(config=DEMO_CONFIG, database_url=self.db_url, bus=False),
                         clock=self.clock)
        seed_users(app.state.services)
        speech_rate(app.state.services, FAST)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                               timeout_graceful_shutdown=1))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name="uvicorn-screen-test", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive(), "uvicorn exited during start-up"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        self.server, self.thread, self.sock = server, thread, sock

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None and self.sock is not None
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "uvicorn did not stop"
        self.sock.close()
        self.server = self.thread = self.sock = None


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[RestartableHall]:
    served = RestartableHall(migrated_sqlite(tmp_path), FakeClock(MONDAY_MORNING))
    served.start()
    try:
        yield served
    finally:
        if served.server is not None:
            served.stop()


def login_headers(url: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_the_screen_recovers_after_the_server_restarts(browser: Any,
                                                        restartable: RestartableHall,
                                                        shots: Path) -> None:
    url = restartable.url
    desk = login_headers(url, DESK)
    for _ in range(3):
        assert httpx.post(f"{url}/api/tickets", json={"category": "A"},
                          headers=desk).status_code == 201
    with screen(browser, url) as page:
        enable_sound(page)
        restartable.stop()
        expect(page.get_by_test_id("conn")).to_be_visible(timeout=10_000)
        expect(page.get_by_test_id("conn")).to_have_text("连接中断，正在重连…")
        page.screenshot(path=str(shots / "screen-reconnecting.png"))
        restartable.start()
        expect(page.get_by_test_id("conn")).to_be_hidden(timeout=20_000)
        hall = Hall(url=url, services=None, clock=restartable.clock)  # type: ignore[arg-type]
        with hall.at_window() as desk:
            call_next(desk)
        # The new server's stream: the call shows (and is read) without a reload.
        expect(page.get_by_test_id("latest-number")).to_have_text("A001", timeout=2000)
        call_id = state(url)["calls"][0]["id"]
        expect(page.get_by_test_id("announced")).to_have_text(f"{call_id}:server:2",
                                                              timeout=20_000)


# ---- server audio ----------------------------------------------------------------------------


def _wav(body: bytes) -> tuple[float, float]:
    """(seconds, RMS of the samples in 0..1) of a 16-bit mono WAV."""
    with wave.open(io.BytesIO(body)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        frames = w.readframes(w.getnframes())
        seconds = w.getnframes() / w.getframerate()
    samples = array.array("h", frames)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
    return seconds, rms


def test_call_audio_is_a_plausible_mandarin_wav(hall: Hall) -> None:
    hall.issue("A")
    with hall.at_window() as desk:
        call_next(desk)
    call = state(hall.url)["calls"][0]
    assert call["speech"] == "请A零零一号，到一号窗口办理"
    started = time.monotonic()
    r = httpx.get(f"{hall.url}/api/screen/audio.wav", params={"call": call["id"]}, timeout=10)
    first_ms = (time.monotonic() - started) * 1000
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    seconds, rms = _wav(r.content)
    # 12 syllables at ~150 words a minute: about 3 s; silence would have an RMS near 0.
    assert 1.5 < seconds < 8, seconds
    assert rms > 0.02, rms
    again = httpx.get(f"{hall.url}/api/screen/audio.wav", params={"call": call["id"]},
                      timeout=10)
    assert again.content == r.content
    print(f"audio {seconds:.2f} s, rms {rms:.3f}, first request {first_ms:.0f} ms")

    # 语速: the hall's speech_rate. Twice the words per minute, about half the audio (the
    # pauses do not shrink quite as much); the screen is told the rate for the browser voice.
    speech_rate(hall.services, 300)
    fast = httpx.get(f"{hall.url}/api/screen/audio.wav", params={"call": call["id"]},
                     timeout=10)
    assert fast.status_code == 200, fast.text
    fast_seconds, fast_rms = _wav(fast.content)
    assert 0.4 < fast_seconds / seconds < 0.75, (fast_seconds, seconds)
    assert fast_rms > 0.02, fast_rms
    assert state(hall.url)["settings"]["speech_rate"] == 300


def test_audio_only_for_real_calls_of_today(hall: Hall) -> None:
    hall.issue("A")
    with hall.at_window() as desk:
        call_next(desk)
    call_id = state(hall.url)["calls"][0]["id"]
    missing = httpx.get(f"{hall.url}/api/screen/audio.wav", params={"call": call_id + 1},
                        timeout=10)
    assert missing.status_code == 404
    assert missing.json()["detail"]["code"] == "not_found"
    for bad in ("abc", "0", "-1", "请A零零一号"):
        r = httpx.get(f"{hall.url}/api/screen/audio.wav", params={"call": bad}, timeout=10)
        assert r.status_code == 422, (bad, r.text)
    # The ticket's issue event is not a call.
    r = httpx.get(f"{hall.url}/api/screen/audio.wav", params={"call": 1}, timeout=10)
    assert r.status_code == 404
    hall.clock.advance(days=1)  # Tuesday: Monday's calls are not spoken any more
    r = httpx.get(f"{hall.url}/api/screen/audio.wav", params={"call": call_id}, timeout=10)
    assert r.status_code == 404
    assert state(hall.url)["calls"] == []
