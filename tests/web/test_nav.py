"""The manager pages' shared header (lib/nav.js, staff.css): every page links to the others
its user may open, marks the current one, opens 综合屏 in a new tab, follows the English
switch, and logs out back to the login page."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from web_support import Hall, browser_marks, login

pytestmark = browser_marks()


def nav(page: Page) -> Locator:
    return page.locator("nav#topnav")


def labels(page: Page) -> list[str]:
    return [t.strip() for t in nav(page).get_by_role("link").all_inner_texts()]


def test_a_manager_moves_between_dashboard_and_reports(page: Page, hall: Hall,
                                                       shots: Path) -> None:
    login(page, hall, "manager")
    page.goto("/dashboard")
    expect(nav(page).get_by_role("link", name="管理看板")).to_have_attribute("aria-current",
                                                                          "page")
    assert labels(page) == ["管理看板", "统计报表", "综合屏"]  # no 系统管理 for a manager
    screen = nav(page).get_by_role("link", name="综合屏")
    expect(screen).to_have_attribute("target", "_blank")
    expect(screen).to_have_attribute("href", "/screen")
    expect(page.get_by_test_id("conn")).to_have_attribute("data-state", "live")
    page.locator("header").screenshot(path=str(shots / "nav-dashboard-manager.png"))

    nav(page).get_by_role("link", name="统计报表").click()
    expect(page).to_have_url(re.compile(r"/reports"))
    current = nav(page).locator('[aria-current="page"]')
    expect(current).to_have_text("统计报表")
    assert labels(page) == ["管理看板", "统计报表", "综合屏"]

    page.get_by_role("button", name="English").click()
    expect(current).to_have_text("Reports")
    assert labels(page) == ["Dashboard", "Reports", "Call screen"]
    page.locator("header").screenshot(path=str(shots / "nav-reports-en.png"))
    nav(page).get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(nav(page).locator('[aria-current="page"]')).to_have_text("Dashboard")


def test_an_admin_sees_administration_and_the_screen_opens_in_a_new_tab(
        page: Page, hall: Hall, shots: Path) -> None:
    login(page, hall, "admin")
    page.goto("/reports")
    expect(nav(page).get_by_role("link", name="系统管理")).to_be_visible()
    assert labels(page) == ["管理看板", "统计报表", "系统管理", "综合屏"]
    nav(page).get_by_role("link", name="系统管理").click()
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 1 版")
    expect(nav(page).locator('[aria-current="page"]')).to_have_text("系统管理")
    expect(page.get_by_test_id("conn")).to_have_attribute("data-state", "live")
    page.locator("header").screenshot(path=str(shots / "nav-admin.png"))

    with page.context.expect_page() as opened:
        nav(page).get_by_role("link", name="综合屏").click()
    screen = opened.value
    expect(screen).to_have_url(re.compile(r"/screen$"))
    expect(screen.locator("body")).to_have_attribute("data-ready", "yes")
    screen.close()
    expect(page).to_have_url(re.compile(r"/admin$"))  # the admin page stays where it was


def test_the_admin_tab_row_and_save_bar_stay_in_view(page: Page, hall: Hall) -> None:
    login(page, hall, "admin")
    page.goto("/admin")
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 1 版")
    page.mouse.wheel(0, 2000)
    page.wait_for_timeout(200)
    tabs = page.get_by_role("tablist").bounding_box()
    bar = page.locator(".savebar").bounding_box()
    assert tabs is not None and bar is not None
    assert tabs["y"] == 0
    assert abs(bar["y"] - (tabs["y"] + tabs["height"])) <= 2, (tabs, bar)


def test_log_out_goes_to_the_login_page_and_back(page: Page, hall: Hall) -> None:
    login(page, hall, "manager")
    page.goto("/reports")
    expect(page.get_by_role("heading", name="统计报表")).to_be_visible()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/reports$"))
    r = page.context.request.get("/api/auth/me")
    assert r.status == 401
