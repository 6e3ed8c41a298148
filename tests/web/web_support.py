"""Helpers of the web page tests: the running hall, the browser's whereabouts."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import DESK as DESK_LOGIN
from support import PASSWORD, FakeClock

from hallserver.services import Services

# Debian's headless shell (chromium-headless-shell, the old headless mode: no browser UI
# process, a third less time per test than `chromium --headless`), else the full browser;
# ONEWINDOW_CHROMIUM picks another.
HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
CHROMIUM = Path(os.environ.get("ONEWINDOW_CHROMIUM") or (
    HEADLESS_SHELL if HEADLESS_SHELL.exists() else "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "web"
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Chromium logs every 4xx answer (refusals are part of the tests) and a refused connection
# (a server restarting) as console errors.
LOAD_ERRORS = ("Failed to load resource", "net::ERR_CONNECTION_REFUSED",
               "net::ERR_EMPTY_RESPONSE", "net::ERR_INCOMPLETE_CHUNKED_ENCODING")


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt install chromium-headless-shell)"
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        return "playwright is not installed (pip install -e .[test])"
    return None


def browser_marks() -> list[pytest.MarkDecorator]:
    """`pytestmark` of a browser test module: slow, and skipped when Chromium or Playwright is
    missing (unless ONEWINDOW_REQUIRE_CHROMIUM is set: then the `browser` fixture fails)."""
    missing = chromium_missing()
    return [pytest.mark.slow,
            pytest.mark.skipif(missing is not None
                               and not os.environ.get("ONEWINDOW_REQUIRE_CHROMIUM"),
                               reason=f"browser tests skipped: {missing}")]


def login(page: Any, hall: Hall, username: str) -> None:
    """Log the browser context in through the API (the cookie lands in the context)."""
    r = page.context.request.post(f"{hall.url}/api/auth/login",
                                  data={"username": username, "password": PASSWORD})
    assert r.ok, r.text()


def fill_login_form(page: Any, username: str, password: str = PASSWORD) -> None:
    """On the login page: type the 工号 and password and press 登录."""
    page.get_by_label("工号 / 用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@dataclass
class Hall:
    """A running hall server: its base URL, services (for setup) and clock."""

    url: str
    services: Services
    clock: FakeClock
    _desk: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def login(self, username: str) -> Iterator[httpx.Client]:
        """An HTTP client logged in as `username` (cookie session)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            r = client.post("/api/auth/login",
                            json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            yield client

    @contextmanager
    def at_window(self, window: int = 1, username: str = "10001") -> Iterator[httpx.Client]:
        """An HTTP client of a staff member signed in at a window (as role A)."""
        with self.login(username) as client:
            r = client.post(f"/api/windows/{window}/sign-in", json={"role": "A"})
            assert r.status_code == 200, r.text
            yield client

    def desk(self) -> dict[str, str]:
        """Bearer headers of the service desk's login (ticket issue needs a login)."""
        if not self._desk:
            r = httpx.post(f"{self.url}/api/auth/login",
                           json={"username": DESK_LOGIN, "password": PASSWORD}, timeout=10)
            assert r.status_code == 200, r.text
            self._desk["Authorization"] = f"Bearer {r.json()['token']}"
        return self._desk

    def issue(self, category: str = "A", **extra: Any) -> dict[str, Any]:
        """Take a number at the service desk."""
        r = httpx.post(f"{self.url}/api/tickets", json={"category": category, **extra},
                       headers=self.desk(), timeout=10)
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body


@contextmanager
def browser_page(browser: Any, url: str, viewport: dict[str, int] = DESK, *,
                 phone: bool = False, lang: str = "zh") -> Iterator[Any]:
    """A page in a fresh browser context (Shanghai time, zh-CN; `phone`: touch, 2x pixels;
    `lang="en"`: the English switch already on); uncaught script errors and console errors
    other than failed loads fail the test."""
    extra: dict[str, Any] = ({"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
                             if phone else {})
    context = browser.new_context(viewport=viewport, base_url=url, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", **extra)
    context.set_default_timeout(10_000)
    if lang == "en":
        context.add_init_script("localStorage.setItem('onewindow.lang', 'en')")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error"
            and not any(s in m.text for s in LOAD_ERRORS) else None)
    try:
        yield page
    finally:
        page.unroute_all(behavior="ignoreErrors")  # routes a test added may still be answering
        context.close()
    assert not errors, "\n".join(errors)


def free_socket() -> socket.socket:
    """A listening loopback socket on a free port (handed to uvicorn: no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


