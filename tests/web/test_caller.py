"""The virtual window caller (/window/<n>) in headless Chromium against a real server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, Route, expect
from sqlalchemy import select
from support import PASSWORD
from web_support import PHONE, Hall, browser_marks, browser_page, fill_login_form, login

from devices.protocol.topics import DeviceType
from hallserver.services.devices import DeviceInfo
from hallserver.store.models import TicketRow

pytestmark = browser_marks()



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
    fill_login_form(page, "10001", "wrong-password")
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
    heights = page.evaluate("() => [document.documentElement.scrollHeight, innerHeight]")
    assert heights[0] <= heights[1], heights  # a desk PC sees it all; the guide scrolls inside
    shot(page, shots, "called")




def button(page: Page, label: str) -> Locator:
    """An action button by its Chinese label (its name also holds the shortcut key)."""
    return page.get_by_role("button", name=re.compile(f"^{label}"))


def window_info(hall: Hall, number: int) -> dict[str, Any]:
    """The window as the API reports it now."""
    r = httpx.get(f"{hall.url}/api/windows/{number}", timeout=10)
    assert r.status_code == 200, r.text
    info: dict[str, Any] = r.json()
    return info


def called_ticket(page: Page, hall: Hall, number: str = "A001") -> None:
    """Staff 10001 signed in at window 1 as A with `number` called."""
    open_caller(page, hall, "10001", 1)
    sign_in(page, "A")
    button(page, "叫号").click()
    expect(page.get_by_test_id("ticket-number")).to_have_text(number)


def test_recall_start_and_accept_return_the_window_to_idle(page: Page, hall: Hall,
                                                           shots: Path) -> None:
    hall.issue("A", item_code="QY-001")
    called_ticket(page, hall)
    button(page, "重呼").click()
    expect(page.get_by_test_id("ticket-recalls")).to_have_text("1 次")
    button(page, "重呼").click()
    expect(page.get_by_test_id("ticket-recalls")).to_have_text("2 次")
    button(page, "开始办理").click()
    expect(page.get_by_test_id("ticket-state")).to_have_text("办理中")
    for label in ("叫号", "重呼", "开始办理", "过号", "签退"):
        expect(button(page, label)).to_be_disabled()
    expect(button(page, "办结")).to_be_enabled()
    shot(page, shots, "serving")
    hall.clock.advance(minutes=9)
    button(page, "办结").click()
    dialog = page.locator("#dlg-complete")
    expect(dialog).to_be_visible()
    dialog.get_by_label("受理（出具收件回执）").check()
    dialog.get_by_label("备注").fill("材料齐全，三个工作日内出件")
    shot(page, shots, "complete-dialog")
    dialog.get_by_role("button", name="确认").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("ticket")).to_have_attribute("data-state", "idle")
    expect(page.get_by_test_id("toast")).to_have_text("A001 已受理")
    expect(button(page, "叫号")).to_be_enabled()
    # As the signed-in page sees the window (the public view carries no case).
    info = page.context.request.get(f"{hall.url}/api/windows/1").json()
    assert info["current"] is None
    assert window_info(hall, 1)["last_case"] is None
    box = page.get_by_test_id("last-case")
    expect(box.get_by_test_id("case-no")).to_have_text(info["last_case"]["case_no"])
    shot(page, shots, "idle-after-accept")
    box.get_by_role("button", name="补打回执").click()
    expect(page.get_by_test_id("toast")).to_have_text("已发送补打回执：本窗口无打印机")
    with hall.services.ctx.db.read() as s:
        row = s.scalar(select(TicketRow).where(TicketRow.number == "A001"))
        assert row is not None
        assert (row.state, row.outcome, row.notes) == ("done", "accepted",
                                                       "材料齐全，三个工作日内出件")


def test_no_show_frees_the_window(page: Page, hall: Hall) -> None:
    hall.issue("A")
    hall.issue("A")
    called_ticket(page, hall)
    expect(page.get_by_test_id("guide-item")).to_have_count(0)  # no item chosen at the kiosk
    button(page, "过号").click()
    expect(page.get_by_test_id("ticket")).to_have_attribute("data-state", "idle")
    expect(page.get_by_test_id("toast")).to_have_text("A001 已过号")
    r = httpx.get(f"{hall.url}/api/queues/qiye", timeout=10)
    assert [e["number"] for e in r.json()] == ["A002"]
    button(page, "叫号").click()
    expect(page.get_by_test_id("ticket-number")).to_have_text("A002")


def test_transfer_to_another_category(page: Page, hall: Hall, shots: Path) -> None:
    hall.issue("A", item_code="QY-004")
    called_ticket(page, hall)
    expect(page.get_by_test_id("waiting-shuiwu")).to_have_text("0")
    button(page, "转移").click()
    dialog = page.locator("#dlg-transfer")
    expect(dialog).to_be_visible()
    categories = dialog.locator("#transfer-category option")
    expect(categories).to_have_count(6)  # every category but the ticket's own
    expect(dialog.locator("#transfer-window option")).to_have_count(23)  # every other window
    dialog.locator("#transfer-category").select_option("shuiwu")
    shot(page, shots, "transfer-dialog")
    dialog.get_by_role("button", name="确认转移").click()
    expect(page.get_by_test_id("toast")).to_have_text("A001 已转往 E 税务")
    expect(page.get_by_test_id("ticket")).to_have_attribute("data-state", "idle")
    expect(page.get_by_test_id("waiting-shuiwu")).to_have_text("1")  # window 1 also serves E
    r = httpx.get(f"{hall.url}/api/queues/shuiwu", timeout=10)
    assert [e["number"] for e in r.json()] == ["A001"]


def test_transfer_to_a_window(page: Page, hall: Hall) -> None:
    hall.issue("A")
    called_ticket(page, hall)
    button(page, "转移").click()
    dialog = page.locator("#dlg-transfer")
    dialog.get_by_role("radio", name="指定窗口").check()
    expect(dialog.locator("#transfer-category")).to_be_disabled()
    dialog.locator("#transfer-window").select_option("3")
    dialog.get_by_role("button", name="确认转移").click()
    expect(page.get_by_test_id("toast")).to_have_text("A001 已转往 3号窗口")
    r = httpx.get(f"{hall.url}/api/queues/qiye", timeout=10)
    assert [(e["number"], e["target_window"]) for e in r.json()] == [("A001", 3)]


def test_pause_with_a_reason_away_and_resume(page: Page, hall: Hall, shots: Path) -> None:
    open_caller(page, hall, "10001", 1)
    sign_in(page, "A")
    button(page, "暂停").click()
    dialog = page.locator("#dlg-pause")
    dialog.get_by_label("其他").check()
    dialog.get_by_role("button", name="确认暂停").click()
    expect(dialog.locator("#pause-error")).to_have_text("请填写暂停原因")  # 其他 needs words
    dialog.get_by_label("系统故障").check()
    expect(dialog.locator("#pause-error")).to_be_hidden()
    dialog.get_by_label("补充说明").fill("网络中断")
    shot(page, shots, "pause-dialog")
    dialog.get_by_role("button", name="确认暂停").click()
    status = page.get_by_test_id("window-status")
    expect(status).to_have_text("暂停：系统故障：网络中断")
    public = window_info(hall, 1)  # anonymous: the preset's code, not the staff's words
    assert (public["pause_reason"], public["pause_code"]) == (None, "system")
    as_staff = page.context.request.get(f"{hall.url}/api/windows/1").json()
    assert as_staff["pause_reason"] == "系统故障：网络中断"
    expect(button(page, "叫号")).to_be_disabled()
    expect(button(page, "暂停")).to_be_disabled()
    shot(page, shots, "paused")
    button(page, "离岗").click()
    expect(status).to_have_text("离岗")
    button(page, "恢复").click()
    expect(status).to_have_text("开放")
    expect(button(page, "叫号")).to_be_enabled()
    assert window_info(hall, 1)["status"] == "open"


def test_refused_action_shows_the_servers_message_and_keeps_the_page(
        page: Page, hall: Hall, shots: Path) -> None:
    hall.issue("A")
    # Time stands still in the page and its live stream is cut: no timed poll and no pushed
    # change, the page reads only after its own actions, so it still shows the state from
    # before the manager's change below (with the stream, the change raced the click).
    page.route("**/api/events", lambda route: route.abort())
    page.clock.install(time=datetime.now(UTC))
    page.clock.pause_at(datetime.now(UTC) + timedelta(minutes=1))
    open_caller(page, hall, "10001", 1)
    sign_in(page, "A")
    with hall.login("manager") as manager:  # a manager clears the window meanwhile
        r = manager.post("/api/windows/1/sign-out")
        assert r.status_code == 200, r.text
    expect(button(page, "叫号")).to_be_enabled()  # still the old state
    button(page, "叫号").click()
    banner = page.get_by_test_id("error")
    expect(banner).to_contain_text("您未在1号窗口签到，不能操作该窗口")
    expect(banner).to_contain_text("you are not signed in at window 1")
    expect(page.get_by_test_id("window-status")).to_have_text("未签到")  # read again after
    expect(page.get_by_role("heading", name="1号窗口")).to_be_visible()
    shot(page, shots, "error")
    page.get_by_role("button", name="关闭").first.click()
    expect(banner).to_be_hidden()


def test_signed_in_elsewhere_is_refused(page: Page, hall: Hall) -> None:
    with hall.login("10002") as staff:
        assert staff.post("/api/windows/3/sign-in", json={"role": "B"}).status_code == 200
    open_caller(page, hall, "10002", 2)
    page.get_by_role("button", name="以A角签到").click()
    expect(page.get_by_test_id("error")).to_contain_text("您已在3号窗口签到，请先签退")
    expect(page.get_by_test_id("window-status")).to_have_text("未签到")


def test_staff_without_roster_rights_get_a_clear_refusal(page: Page, hall: Hall,
                                                         shots: Path) -> None:
    open_caller(page, hall, "10005", 1)  # 陈静: A at window 5, B at 6 and 10
    # The roster (from /api/auth/me) offers no role here: no sign-in buttons, a clear hint.
    expect(page.locator("#signin-hint")).to_have_text(
        "排班表中您不是本窗口的A角或B角，不能在此签到。")
    expect(page.get_by_role("button", name=re.compile("角签到"))).to_have_count(0)

    # A page that does not know the roster (an older server) offers both buttons: the
    # server itself refuses, and the page shows its words.
    def without_roster(route: Route) -> None:
        body = route.fetch().json()
        body.pop("role_a", None)
        body.pop("role_b", None)
        route.fulfill(json=body)

    page.route(re.compile(r".*/api/auth/me$"), without_roster)
    page.reload()
    page.get_by_role("button", name="以A角签到").click()
    expect(page.get_by_test_id("error")).to_contain_text("工号 10005 不是 1 号窗口的A角")
    shot(page, shots, "roster-refused")
    page.get_by_role("button", name="以B角签到").click()
    expect(page.get_by_test_id("error")).to_contain_text("工号 10005 不是 1 号窗口的B角")
    assert window_info(hall, 1)["staff"] is None
    expect(button(page, "叫号")).to_be_disabled()


def test_someone_elses_window_is_view_only(page: Page, hall: Hall) -> None:
    with hall.login("10004") as staff:  # 刘洋 is B at window 1
        assert staff.post("/api/windows/1/sign-in", json={"role": "B"}).status_code == 200
    open_caller(page, hall, "10001", 1)
    expect(page.get_by_test_id("duty")).to_have_text("在岗：刘洋（工号 10004，B角）")
    expect(page.locator("#signin-hint")).to_contain_text("本窗口已由 刘洋（工号 10004）签到")
    # 10001 is A here by the roster: only that button, and disabled while 刘洋 holds it.
    expect(page.get_by_role("button", name="以A角签到")).to_be_disabled()
    expect(page.get_by_role("button", name="以B角签到")).to_be_hidden()
    for label in ("叫号", "暂停", "签退"):
        expect(button(page, label)).to_be_disabled()


def test_f1_calls_and_question_mark_shows_the_shortcuts(page: Page, hall: Hall,
                                                        shots: Path) -> None:
    hall.issue("A")
    open_caller(page, hall, "10001", 1)
    sign_in(page, "A")
    page.keyboard.press("?")
    help_box = page.locator("#dlg-help")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("F1")
    shot(page, shots, "help")
    page.keyboard.press("F1")  # shortcuts are off while a dialog is open
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()
    assert window_info(hall, 1)["current"] is None
    page.keyboard.press("F1")
    expect(page.get_by_test_id("ticket-number")).to_have_text("A001")
    page.keyboard.press("F3")
    expect(page.get_by_test_id("ticket-state")).to_have_text("办理中")
    page.keyboard.press("F4")
    expect(page.locator("#dlg-complete")).to_be_visible()


def test_english_switch_changes_the_labels_and_is_remembered(page: Page, hall: Hall,
                                                             shots: Path) -> None:
    hall.issue("A", item_code="QY-001")
    called_ticket(page, hall)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Window 1")).to_be_visible()
    expect(button(page, "Call next")).to_be_visible()
    expect(button(page, "Recall")).to_be_enabled()
    expect(page.get_by_test_id("window-status")).to_have_text("Open")
    expect(page.get_by_test_id("ticket-state")).to_have_text("Called")
    expect(page.get_by_test_id("call-reason")).to_contain_text("Why this ticket: A001")
    expect(page.get_by_test_id("call-reason")).not_to_contain_text("等待")
    expect(page.get_by_test_id("guide-item")).to_have_text(
        "Registration of an Individual Business")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, shots, "english")
    page.reload()
    expect(page.get_by_role("button", name="中文")).to_be_visible()
    expect(page.get_by_test_id("ticket-state")).to_have_text("Called")
    page.get_by_role("button", name="中文").click()
    expect(button(page, "叫号")).to_be_visible()


def test_helper_requests_are_listed_and_answered(page: Page, hall: Hall, shots: Path) -> None:
    registry = hall.services.devices
    with hall.services.ctx.db.write() as s:
        registry.add_helper_request(s, DeviceInfo(id="kiosk-1f-01", type=DeviceType.KIOSK),
                                    "r-1", "elderly", None)
    open_caller(page, hall, "10001", 1)
    helpers = page.get_by_test_id("helpers")
    expect(helpers).to_contain_text("取号机 kiosk-1f-01")
    expect(helpers).to_contain_text("老年人帮办")
    shot(page, shots, "helper")
    helpers.get_by_role("button", name="响应").click()
    expect(page.get_by_test_id("toast")).to_have_text("已响应帮办请求，请前往 kiosk-1f-01")
    expect(helpers.locator("li")).to_have_count(0)
    [answered] = registry.helper_requests(open_only=False)
    assert answered.answered_by == "10001"


def test_last_case_and_receipt_reprint_when_the_server_reports_them(
        page: Page, hall: Hall, shots: Path) -> None:
    # Every receipt state is drawn, whatever the server says now: add one to its answer.
    last_case = {"case_no": "SL20261123-0001", "public_path": "/c/abc", "receipt": "failed"}
    reprints: list[str] = []

    def with_case(route: Route) -> None:
        body = route.fetch().json()
        route.fulfill(json={**body, "last_case": last_case})

    def reprint(route: Route) -> None:
        reprints.append(route.request.url)
        route.fulfill(json={"case_no": last_case["case_no"], "receipt": "queued"})

    page.route(re.compile(r".*/api/windows/1$"), with_case)
    page.route(re.compile(r".*/api/cases/.*/print-receipt$"), reprint)
    open_caller(page, hall, "10001", 1)
    box = page.get_by_test_id("last-case")
    expect(box.get_by_test_id("case-no")).to_have_text("SL20261123-0001")
    expect(box.get_by_role("button", name="补打回执")).to_be_disabled()  # not signed in yet
    sign_in(page, "A")
    expect(box.get_by_test_id("case-receipt")).to_have_text("打印失败，请补打")
    shot(page, shots, "last-case")
    box.get_by_role("button", name="补打回执").click()
    expect(page.get_by_test_id("toast")).to_have_text("已发送补打回执：排队打印中")
    assert reprints == [f"{hall.url}/api/cases/SL20261123-0001/print-receipt"]


def test_reprint_refusal_is_shown(page: Page, hall: Hall) -> None:
    def with_case(route: Route) -> None:
        body = route.fetch().json()
        route.fulfill(json={**body, "last_case": {"case_no": "X1", "receipt": "printed"}})

    page.route(re.compile(r".*/api/windows/1$"), with_case)
    open_caller(page, hall, "10001", 1)
    sign_in(page, "A")
    page.get_by_role("button", name="补打回执").click()
    # The real server refuses an unknown case (or, before it has the route, answers 404).
    expect(page.get_by_test_id("error")).to_contain_text(re.compile("办件不存在|请求失败（404）"))
    expect(page.get_by_test_id("case-no")).to_have_text("X1")


def test_phone_layout_has_no_sideways_scrolling(browser: Any, hall: Hall, shots: Path) -> None:
    hall.issue("A", item_code="QY-002")
    with browser_page(browser, hall.url, PHONE, phone=True) as page:
        called_ticket(page, hall)
        width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], width
        call = button(page, "叫号").bounding_box()
        assert call is not None and call["height"] >= 44  # a thumb can hit it
        page.screenshot(path=str(shots / "caller-phone.png"), full_page=True)


def test_unknown_window_is_404(page: Page, hall: Hall) -> None:
    login(page, hall, "10001")
    response = page.goto("/window/99")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading")).to_have_text("没有99号窗口")


def test_sign_in_offers_only_the_roster_roles(page: Page, hall: Hall) -> None:
    # /api/auth/me lists the roster windows: 10005 is A at 5, B at 6 and 10.
    open_caller(page, hall, "10005", 6)
    expect(page.get_by_role("button", name="以B角签到")).to_be_visible()
    expect(page.get_by_role("button", name="以A角签到")).to_be_hidden()
    page.goto("/window/1")
    expect(page.locator("#signin-hint")).to_have_text(
        "排班表中您不是本窗口的A角或B角，不能在此签到。")
    expect(page.get_by_role("button", name=re.compile("角签到"))).to_have_count(0)


def test_ended_session_goes_back_to_login(page: Page, hall: Hall) -> None:
    open_caller(page, hall, "10001", 1)
    page.context.clear_cookies()
    hall.issue("A")  # a change: the page reads at once (not at its 15 s poll) and is refused
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fwindow%2F1$"))


def test_lost_connection_is_shown_and_recovers(page: Page, hall: Hall) -> None:
    open_caller(page, hall, "10001", 1)
    page.route(re.compile(r".*/api/queues$"), lambda route: route.abort())
    hall.issue("A")  # the live stream says so; the page's read fails
    conn = page.get_by_test_id("conn")
    expect(conn).to_have_text("● 连接中断，正在重试")
    page.unroute(re.compile(r".*/api/queues$"))
    hall.issue("A")
    expect(conn).to_have_text("● 已连接")


def test_guide_picker_shows_other_items_and_survives_polls(page: Page, hall: Hall) -> None:
    hall.issue("A", item_code="QY-001")
    called_ticket(page, hall)
    picker = page.locator("#guide-item")
    expect(picker).to_have_value("QY-001")
    expect(picker.locator("option")).to_have_count(11)  # a prompt + the 10 items of 企业开办
    picker.select_option("QY-008")
    expect(page.get_by_test_id("guide-item")).to_have_text("食品经营许可证核发")
    expect(page.get_by_test_id("guide-promised")).to_have_text("3 个工作日")
    updated = page.locator("#updated")
    before = updated.text_content()
    page.wait_for_timeout(1100)  # the time shown has seconds: the next read shows another
    hall.issue("A")  # a change pushed by the server: the page reads again
    expect(updated).not_to_have_text(before or "")  # at least one read since
    expect(picker).to_have_value("QY-008")
    expect(page.get_by_test_id("guide-item")).to_have_text("食品经营许可证核发")
    button(page, "开始办理").click()  # same ticket: the choice stays
    expect(page.get_by_test_id("ticket-state")).to_have_text("办理中")
    expect(picker).to_have_value("QY-008")


def test_footer_says_how_the_page_keeps_up(page: Page, hall: Hall) -> None:
    """The footer tells the truth: live updates on every change plus a read every 15 s
    (it said "every 2 s"); when the stream is down, only the 15 s reads."""
    open_caller(page, hall, "10001", 1)
    refresh = page.get_by_test_id("refresh")
    expect(refresh).to_have_text("实时更新：有变动立即刷新，另每15秒核对一次")
    page.get_by_role("button", name="English").click()
    expect(refresh).to_have_text("Live: refreshes on every change, and re-reads every 15 s")
    hall.services.live.close()  # the server ends every stream (as when it stops)
    expect(refresh).to_have_text("Live updates down: re-reads every 15 s")
