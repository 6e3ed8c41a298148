"""The virtual window caller (/window/<n>) in headless Chromium against a real server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support import PASSWORD
from web_support import Hall, chromium_missing

_MISSING = chromium_missing()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_MISSING is not None and not os.environ.get("ONEWINDOW_REQUIRE_CHROMIUM"),
                       reason=f"browser tests skipped: {_MISSING}"),
]


def login(page: Page, hall: Hall, username: str) -> None:
    """Log the browser context in through the API (the cookie lands in the context)."""
    r = page.context.request.post(f"{hall.url}/api/auth/login",
                                  data={"username": username, "password": PASSWORD})
    assert r.ok, r.text()


def open_caller(page: Page, hall: Hall, username: str, window: int) -> None:
    """Log in and open a window's caller, waiting for its first data."""
    login(page, hall, username)
    page.goto(f"/window/{window}")
    expect(page.get_by_test_id("conn")).to_have_text(re.compile("已连接"))


def sign_in(page: Page, role: str = "A") -> None:
    """Click the role's sign-in button and wait until the page shows the window open."""
    page.get_by_role("button", name=f"以{role}角签到").click()
    expect(page.get_by_test_id("window-status")).to_have_text("开放")


def shot(page: Page, shots: Path, name: str) -> None:
    """Save a screenshot as artifacts/web/caller-<name>.png."""
    page.screenshot(path=str(shots / f"caller-{name}.png"), full_page=False)


def test_anonymous_visitor_is_sent_to_login_and_back(page: Page, hall: Hall,
                                                     shots: Path) -> None:
    page.goto("/window/1")
    expect(page).to_have_url(re.compile(r"/login\?next=/window/1$"))
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    page.get_by_label("工号 / 用户名").fill("10001")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    shot(page, shots, "login-error")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/window/1$"))
    expect(page.get_by_role("heading", name="1号窗口")).to_be_visible()
    expect(page.get_by_test_id("duty")).to_have_text("无人在岗")
    expect(page.get_by_role("button", name="以A角签到")).to_be_enabled()
    expect(page.get_by_role("button", name=re.compile("^叫号"))).to_be_disabled()
    shot(page, shots, "signed-out")


def test_sign_in_as_a_and_call_shows_number_and_reason(page: Page, hall: Hall,
                                                      shots: Path) -> None:
    hall.issue("A", item_code="QY-002")
    open_caller(page, hall, "10001", 1)
    sign_in(page, "A")
    expect(page.get_by_test_id("duty")).to_contain_text("张晓燕（工号 10001，A角）")
    expect(page.get_by_test_id("waiting-qiye")).to_have_text("1")
    hall.clock.advance(minutes=7)
    page.get_by_role("button", name=re.compile("^叫号")).click()
    expect(page.get_by_test_id("ticket-number")).to_have_text("A001")
    expect(page.get_by_test_id("ticket-state")).to_have_text("已叫号")
    expect(page.get_by_test_id("call-reason")).to_contain_text("叫号依据：A001")
    expect(page.get_by_test_id("call-reason")).to_contain_text("等待")
    expect(page.get_by_test_id("ticket-waited")).to_have_text("7 分钟")
    expect(page.get_by_test_id("toast")).to_have_text("请 A001 号到 1 号窗口办理")
    guide = page.get_by_test_id("guide")
    expect(guide.get_by_test_id("guide-item")).to_have_text("有限责任公司设立登记")
    expect(guide.get_by_test_id("guide-promised")).to_have_text("1 个工作日")
    expect(guide.get_by_test_id("guide-fee")).to_contain_text("不收费")
    expect(guide).to_contain_text("公司章程（全体股东签字）")
    expect(page.get_by_test_id("waiting-qiye")).to_have_text("0")
    expect(page.get_by_role("button", name=re.compile("^叫号"))).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile("^重呼"))).to_be_enabled()
    expect(page.get_by_role("button", name=re.compile("^办结"))).to_be_disabled()
    shot(page, shots, "called")


