"""Web page tests: a real uvicorn server on a free port (SQLite, demo hall, no bus, a fake
clock on a Monday morning) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from support import DEMO_CONFIG, MONDAY_MORNING, FakeClock, migrated_sqlite, seed_users
from web_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SHOTS,
    Hall,
    browser_page,
    chromium_missing,
    free_socket,
)

from hallserver.app import create_app
from hallserver.settings import Settings

START_TIMEOUT_S = 15

try:  # a deadline, not a timing: 5 s (Playwright's default) was short on a loaded machine
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
except ImportError:  # the browser tests skip themselves
    pass


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    """The demo hall served by uvicorn on a free loopback port."""
    clock = FakeClock(MONDAY_MORNING)
    app = create_app(Settings(config=DEMO_CONFIG, database_url=migrated_sqlite(tmp_path),
                              bus=False), clock=clock)
    seed_users(app.state.services)
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on",
                                          timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="uvicorn-web-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        assert thread.is_alive(), "uvicorn exited during start-up"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Hall(url=f"http://127.0.0.1:{port}", services=app.state.services, clock=clock)
    finally:
        app.state.services.live.close()  # open event streams end (as `hallserver serve` does)
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless (skipped only when absent and not required)."""
    reason = chromium_missing()
    if reason is not None:
        if os.environ.get("ONEWINDOW_REQUIRE_CHROMIUM"):
            pytest.fail(f"Chromium required but unavailable: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go (artifacts/web/, not committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def page(browser: Any, hall: Hall) -> Iterator[Any]:
    """A fresh browser context at desk-PC size; uncaught script errors fail the test."""
    with browser_page(browser, hall.url) as p:
        yield p
