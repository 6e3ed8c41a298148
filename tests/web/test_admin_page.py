"""The administration page (/admin) in headless Chromium against a real server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from web_support import PHONE, Hall, browser_marks, browser_page, fill_login_form, login

from devices.protocol.topics import DeviceType
from hallserver.services.devices import DeviceInfo

pytestmark = browser_marks()



def open_admin(page: Page, hall: Hall) -> None:
    login(page, hall, "admin")
    page.goto("/admin")
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 1 版")


def shot(page: Page, shots: Path, name: str, full: bool = False) -> None:
    page.screenshot(path=str(shots / f"admin-{name}.png"), full_page=full)


def test_anonymous_goes_to_login_and_comes_back(page: Page, hall: Hall) -> None:
    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/login\?next=/admin$"))
    fill_login_form(page, "admin")
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", name="系统管理")).to_be_visible()


@pytest.mark.parametrize("username", ["10001", "manager"])
def test_staff_and_managers_cannot_open_it(page: Page, hall: Hall, shots: Path,
                                          username: str) -> None:
    login(page, hall, username)
    response = page.goto("/admin")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="无权访问系统管理")).to_be_visible()
    expect(page.get_by_text("Administration is for the admin role only")).to_be_visible()
    if username == "manager":
        shot(page, shots, "forbidden")
    api = page.context.request.get(f"{hall.url}/api/admin/layout")
    assert api.status == 403


def test_admin_changes_window_skills_and_the_next_call_follows(page: Page, hall: Hall,
                                                              shots: Path) -> None:
    hall.issue("A")  # qiye: window 3's primary today
    hall.clock.advance(minutes=10)
    c = hall.issue("C")  # shebao: not served at window 3 yet
    open_admin(page, hall)
    row = page.get_by_test_id("win-3")
    expect(page.get_by_test_id("dirty")).to_have_text("无修改")
    row.get_by_label("主办类别").select_option("shebao")
    row.get_by_role("checkbox", name="兼办 E 税务").uncheck()
    row.get_by_role("checkbox", name="兼办 D 公安户政").check()
    expect(page.get_by_test_id("dirty")).to_have_text("有未保存的修改")
    shot(page, shots, "layout-edited")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_test_id("toast")).to_have_text("已保存为第 2 版")
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 2 版 · admin 保存于")
    expect(page.get_by_test_id("dirty")).to_have_text("无修改")
    shot(page, shots, "layout-saved")
    window = next(w for w in httpx.get(f"{hall.url}/api/layout").json()["windows"]
                  if w["number"] == 3)
    assert (window["primary"], window["secondary"]) == ("shebao", ["huzheng"])
    with hall.login("10003") as staff:
        assert staff.post("/api/windows/3/sign-in", json={"role": "A"}).status_code == 200
        called = staff.post("/api/windows/3/call-next")
        assert called.status_code == 200, called.text
        assert called.json()["called"]["number"] == c["number"]


def test_validation_error_is_shown_in_chinese_and_english(page: Page, hall: Hall,
                                                         shots: Path) -> None:
    open_admin(page, hall)
    page.get_by_role("button", name="业务类别").click()
    prefix = page.get_by_test_id("cat-budongchan").get_by_label("前缀")
    prefix.fill("A")
    page.get_by_role("button", name="保存为新版本").click()
    errors = page.get_by_test_id("layout-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("业务类别 第2行（budongchan） › 号码前缀：号码前缀重复：'A'")
    expect(errors).to_contain_text("categories[1] (budongchan) › prefix: duplicate ticket "
                                   "prefix 'A'")
    expect(page.get_by_test_id("banner")).to_contain_text("布局未保存")
    expect(page.get_by_test_id("banner")).to_contain_text("layout not saved")
    expect(prefix).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 1 版")
    shot(page, shots, "error")
    page.get_by_role("button", name="English").click()
    expect(errors).to_contain_text("Layout not saved; fix these problems:")
    expect(page.get_by_test_id("banner")).to_contain_text("layout not saved")
    shot(page, shots, "error-en")
    # A field error on another section: the link brings the field into view.
    page.get_by_role("button", name="中文").click()
    prefix.fill("B")
    page.get_by_role("button", name="窗口与技能").click()
    page.get_by_test_id("win-5").get_by_label("窗口号").fill("五")
    page.get_by_role("button", name="保存为新版本").click()
    expect(errors).to_contain_text("窗口 第5行（五） › 窗口号：应为整数")
    assert httpx.get(f"{hall.url}/api/layout").json()["windows"][4]["number"] == 5


def test_stale_version_is_refused_and_explained(page: Page, hall: Hall) -> None:
    open_admin(page, hall)
    page.get_by_test_id("win-2").get_by_label("快办").check()  # an edit in progress ...
    with hall.login("admin") as other:  # ... while another admin saves
        body = other.get("/api/admin/layout").json()
        body["document"]["windows"][0]["express"] = True
        r = other.put("/api/admin/layout", json={"version": 1, "document": body["document"]})
        assert r.status_code == 200, r.text
    # The live push tells the page; an edited draft is kept and warned about.
    expect(page.get_by_test_id("stale")).to_contain_text("第 2 版")
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 1 版")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_test_id("banner")).to_contain_text("布局已被他人修改")
    page.get_by_role("button", name="放弃修改").click()
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 2 版")
    expect(page.get_by_test_id("stale")).to_be_hidden()
    expect(page.get_by_test_id("win-1").get_by_label("快办")).to_be_checked()
    expect(page.get_by_test_id("win-2").get_by_label("快办")).not_to_be_checked()


def test_a_page_without_edits_follows_new_versions_live(page: Page, hall: Hall) -> None:
    open_admin(page, hall)
    with hall.login("admin") as other:
        body = other.get("/api/admin/layout").json()
        body["document"]["windows"][3]["secondary"] = ["shuiwu"]
        assert other.put("/api/admin/layout", json={"version": 1, "document": body[
            "document"]}).status_code == 200
    # Well within the 30 s safety refresh: the layout event of the live push.
    expect(page.get_by_test_id("layout-version")).to_contain_text("第 2 版", timeout=5000)
    expect(page.get_by_test_id("toast")).to_have_text("已载入第 2 版")
    expect(page.get_by_test_id("win-4").get_by_role("checkbox", name="兼办 G 综合受理")) \
        .not_to_be_checked()


def test_accounts_create_reset_disable(page: Page, hall: Hall, shots: Path) -> None:
    open_admin(page, hall)
    page.get_by_role("tab", name="人员账号").click()
    form = page.locator("#user-form")
    form.get_by_label("用户名 / 工号").fill("duty2")
    form.get_by_label("显示名称").fill("值班主任二")
    form.get_by_label("角色").select_option("manager")
    form.get_by_label("初始密码（至少 8 位）").fill("Duty-2026-pw")
    form.get_by_role("button", name="创建").click()
    expect(page.get_by_test_id("toast")).to_have_text("已创建账号 duty2")
    row = page.get_by_test_id("user-duty2")
    expect(row).to_contain_text("大厅主任")
    row.get_by_role("button", name="停用").click()
    expect(row).to_contain_text("已停用")
    me = page.get_by_test_id("user-admin")
    expect(me).to_contain_text("（本人）")
    expect(me.get_by_role("button", name="停用")).to_be_disabled()
    staff = page.get_by_test_id("user-10002")
    staff.get_by_role("button", name="重置密码").click()
    staff.get_by_label("为 10002 设置新密码（至少 8 位）：").fill("short")
    staff.get_by_role("button", name="重置密码").click()
    expect(page.get_by_test_id("banner")).to_be_visible()
    shot(page, shots, "users")
    r = httpx.post(f"{hall.url}/api/auth/login", json={"username": "duty2",
                                                        "password": "Duty-2026-pw"})
    assert r.status_code == 401  # disabled


def test_devices_and_audit_tabs(page: Page, hall: Hall, shots: Path) -> None:
    registry = hall.services.devices
    for info in (DeviceInfo("kiosk-a1", DeviceType.KIOSK, zone="a"),
                 DeviceInfo("pad-3", DeviceType.PAD, window=3, zone="a"),
                 DeviceInfo("printer-k1", DeviceType.PRINTER, zone="a")):
        registry.known[info.id] = info
    registry.sync_known()
    open_admin(page, hall)
    page.get_by_role("tab", name="设备").click()
    devices = page.get_by_test_id("devices")
    expect(devices.get_by_test_id("device-pad-3")).to_contain_text("3号窗口")
    expect(devices.get_by_test_id("device-pad-3")).to_contain_text("评价器")
    expect(page.get_by_text("hallserver devices provision")).to_be_visible()
    shot(page, shots, "devices")
    with hall.login("admin") as other:
        body = other.get("/api/admin/layout").json()
        body["document"]["windows"][2]["secondary"] = ["shuiwu", "zonghe"]
        assert other.put("/api/admin/layout", json={"version": 1, "document": body[
            "document"]}).status_code == 200
    wrong = httpx.post(f"{hall.url}/api/auth/login",  # a phone number typed as the username
                       json={"username": "13812345678", "password": "wrong"}, timeout=10)
    assert wrong.status_code == 401
    page.get_by_role("tab", name="操作记录").click()
    audit = page.get_by_test_id("audit")
    expect(audit).to_contain_text("保存布局")
    expect(audit).to_contain_text("窗口: 3 (兼办)")
    expect(audit).to_contain_text("config-file")
    expect(audit).to_contain_text("登录失败")
    expect(audit).to_contain_text("138****5678")
    expect(audit).not_to_contain_text("13812345678")
    shot(page, shots, "audit")


def test_fits_a_phone(browser: object, hall: Hall, shots: Path) -> None:
    with browser_page(browser, hall.url, PHONE) as page:
        open_admin(page, hall)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width  # wide tables scroll inside their own box
        shot(page, shots, "phone")
