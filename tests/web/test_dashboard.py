"""The manager dashboard (/dashboard) in headless Chromium against a real server: its numbers
equal the API's at the same (frozen) moment, an alert appears live when a queue passes its
threshold, anonymous and staff users are kept out, screenshots at desk and phone sizes."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from web_support import PHONE, Hall, browser_marks, browser_page, fill_login_form, login

from devices.protocol.messages import DeviceStatus, PaperState, Presence, PrinterStatus
from devices.protocol.topics import DeviceType
from hallserver.services.devices import DeviceInfo

pytestmark = browser_marks()



def open_dashboard(page: Page, hall: Hall, username: str = "manager") -> None:
    """Log in, open the dashboard and wait for its first data and the live stream."""
    login(page, hall, username)
    page.goto("/dashboard")
    expect(page.get_by_test_id("updated")).to_have_attribute("data-at", re.compile(".+"))
    expect(page.get_by_test_id("conn")).to_have_attribute("data-state", "live")


def api(page: Page, path: str) -> Any:
    """The API's JSON as the page's session sees it."""
    r = page.context.request.get(path)
    assert r.ok, r.text()
    return r.json()


def value_of(locator: Locator) -> float | None:
    """The API number a page element carries in data-value (None when empty)."""
    raw = locator.get_attribute("data-value")
    return None if raw in (None, "") else float(raw)


def js_minutes(value: float) -> str:
    """Whole minutes as the page rounds them (Math.round: halves go up)."""
    return str(math.floor(value + 0.5))


def add_devices(hall: Hall) -> None:
    """A few devices on a live bus: online, offline for ten minutes, out of paper, low."""
    registry = hall.services.devices
    for info in (DeviceInfo("kiosk-1f-01", DeviceType.KIOSK, zone="a"),
                 DeviceInfo("printer-kiosk-1f-01", DeviceType.PRINTER, zone="a"),
                 DeviceInfo("pad-3", DeviceType.PAD, window=3, zone="a"),
                 DeviceInfo("led-1", DeviceType.LED, window=1, zone="a"),
                 DeviceInfo("printer-2", DeviceType.PRINTER, window=2, zone="a")):
        registry.known[info.id] = info
        registry.presence(info.id, DeviceStatus(state=Presence.ONLINE, epoch=1))
    registry.link = lambda: True
    registry.presence("pad-3", DeviceStatus(state=Presence.OFFLINE, epoch=1))
    registry.printer_status("printer-kiosk-1f-01", PrinterStatus(paper=PaperState.OUT))
    registry.printer_status("printer-2", PrinterStatus(paper=PaperState.NEAR_END))


def busy_morning(hall: Hall) -> None:
    """A Monday morning in the demo hall: queues in every category, most windows staffed,
    some calling and serving, one paused, one away, some idle while people wait."""
    for category, n in {"A": 8, "B": 5, "C": 12, "D": 6, "E": 3, "F": 11, "G": 2}.items():
        for _ in range(n):
            hall.issue(category)
    clients: dict[int, httpx.Client] = {}
    staff = {n: (f"1{n:04d}", "A") for n in range(1, 17)}
    staff[14] = ("10025", "B")
    staff[20] = ("10020", "A")
    for n, (who, role) in staff.items():
        with hall.login(who) as c:
            assert c.post(f"/api/windows/{n}/sign-in", json={"role": role}).status_code == 200
            clients[n] = httpx.Client(base_url=hall.url, cookies=c.cookies, timeout=10)
    try:
        hall.clock.advance(minutes=6)
        for n in (1, 2, 5, 6, 7, 10, 15):
            assert clients[n].post(f"/api/windows/{n}/call-next").status_code == 200
        for n in (1, 5, 15):
            assert clients[n].post(f"/api/windows/{n}/start").status_code == 200
        hall.clock.advance(minutes=4)
        assert clients[1].post("/api/windows/1/complete",
                               json={"outcome": "completed"}).status_code == 200
        assert clients[3].post("/api/windows/3/pause",
                               json={"reason": "会议或培训"}).status_code == 200
        assert clients[8].post("/api/windows/8/away").status_code == 200
        hall.clock.advance(minutes=17, seconds=30)
    finally:
        for c in clients.values():
            c.close()
    add_devices(hall)
    hall.clock.advance(minutes=3)
    hall.services.monitor.check()


@pytest.fixture
def phone(browser: Any, hall: Hall) -> Iterator[Page]:
    """A phone-sized context."""
    with browser_page(browser, hall.url, PHONE, phone=True) as page:
        yield page


# ---- numbers --------------------------------------------------------------------------------


def test_numbers_equal_the_api_at_the_same_moment(page: Page, hall: Hall) -> None:
    busy_morning(hall)
    open_dashboard(page, hall)
    # The clock is frozen: these answers describe the moment the page shows.
    overview = api(page, "/api/monitor/overview")
    queues = api(page, "/api/queues")
    windows = api(page, "/api/windows")
    alerts = api(page, "/api/alerts?open_only=false&limit=200")
    devices = api(page, "/api/devices")
    assert page.get_by_test_id("updated").get_attribute("data-at") == overview["at"]

    s = overview["summary"]
    assert s["issued"] == 47 and s["waiting"] == sum(q["waiting"] for q in queues)
    for testid, key in (("sum-issued", "issued"), ("sum-served", "served"),
                        ("sum-waiting", "waiting"), ("sum-at", "at_windows")):
        expect(page.get_by_test_id(testid)).to_have_text(str(s[key]))
    assert value_of(page.get_by_test_id("sum-avg")) == s["avg_wait_min"]
    expect(page.get_by_test_id("sum-avg")).to_have_text(f"{js_minutes(s['avg_wait_min'])} 分钟")
    share = s["share_within_goal"]
    expect(page.get_by_test_id("sum-share")).to_have_text(f"{math.floor(share * 100 + 0.5)}%")

    levels = {c["category"]: c for c in overview["categories"]}
    for q in queues:
        code = q["category"]
        expect(page.get_by_test_id(f"q-waiting-{code}")).to_have_text(str(q["waiting"]))
        longest = page.get_by_test_id(f"q-longest-{code}")
        assert value_of(longest) == q["longest_wait_min"]
        expect(longest).to_have_text(f"{js_minutes(q['longest_wait_min'])} 分钟")
        predicted = q["predicted_wait_min"]
        expect(page.get_by_test_id(f"q-predicted-{code}")).to_have_text(
            "无窗口" if predicted is None else f"{predicted} 分钟")
        lv = levels[code]["share_within_goal"]
        expect(page.get_by_test_id(f"q-share-{code}")).to_have_text(
            "—" if lv is None else f"{math.floor(lv * 100 + 0.5)}%")
        expect(page.get_by_test_id(f"q-open-{code}")).to_have_text(str(len(q["open_windows"])))
        expect(page.get_by_test_id(f"q-issued-{code}")).to_have_text(
            f"{q['issued_today']} / {q['daily_cap']}")
    # Some share is neither 0 nor 1 and some queue is over its threshold: a real check.
    assert any(c["share_within_goal"] not in (None, 0.0, 1.0) for c in overview["categories"])
    assert any(q["warnings"] for q in queues)

    loads = {w["number"]: w for w in overview["windows"]}
    for w in windows:
        n = w["number"]
        card = page.get_by_test_id(f"window-{n}")
        status = {"open": "服务中", "paused": "暂停", "away": "离岗",
                  "closed": "未签到"}[w["status"]]
        expect(card.get_by_test_id(f"w-status-{n}")).to_have_text(status)
        if w["staff"]:
            expect(card.get_by_test_id(f"w-duty-{n}")).to_contain_text(
                f"{w['staff']['role']}角 {w['staff']['name']}")
        if w["current"]:
            expect(card.get_by_test_id(f"w-ticket-{n}")).to_have_text(w["current"]["number"])
            minutes = (loads[n]["serving_min"] if w["current"]["state"] == "serving"
                       else loads[n]["at_window_min"])
            assert value_of(card.get_by_test_id(f"w-serving-{n}")) == minutes
        if loads[n]["idle_while_waiting_min"] is not None:
            assert value_of(card.get_by_test_id(f"w-idlewait-{n}")) \
                == loads[n]["idle_while_waiting_min"]
        else:
            expect(card.get_by_test_id(f"w-idlewait-{n}")).to_have_count(0)
        assert value_of(card.get_by_test_id(f"w-served-{n}")) == loads[n]["served_today"]
    expect(page.get_by_test_id("w-pause-3")).to_have_text("暂停：会议或培训")
    assert loads[15]["serving_min"] == 24.5  # started at 09:36, now 10:00:30
    assert any(w["idle_while_waiting_min"] for w in overview["windows"])

    open_ids = sorted(a["id"] for a in alerts if a["acknowledged_at"] is None)
    shown = page.get_by_test_id("alerts").locator("li.alert")
    expect(shown).to_have_count(len(open_ids))
    assert sorted(int(i) for i in shown.evaluate_all("els => els.map(e => e.dataset.id)")) \
        == open_ids
    expect(page.get_by_test_id("alert-count")).to_have_text(str(len(open_ids)))
    kinds = {a["kind"] for a in alerts}
    assert {"queue-waiting", "window-idle", "window-unstaffed", "device-offline",
            "paper-out"} <= kinds
    # Most severe first.
    levels_shown = shown.evaluate_all("els => els.map(e => e.className)")
    ranks = [0 if "level-alarm" in c else 1 for c in levels_shown]
    assert ranks == sorted(ranks)

    for kind in ("printer", "pad", "kiosk"):
        of_kind = [d for d in devices if d["type"] == kind]
        expect(page.get_by_test_id(f"d-online-{kind}")).to_have_text(
            f"{sum(1 for d in of_kind if d['online'])} / {len(of_kind)}")
    expect(page.get_by_test_id("device-pad-3")).to_contain_text("离线")
    expect(page.get_by_test_id("device-printer-kiosk-1f-01")).to_contain_text("缺纸")
    expect(page.get_by_test_id("device-printer-2")).to_contain_text("纸将用尽")


# ---- alerts live ------------------------------------------------------------------------------


def test_alert_appears_live_when_a_queue_passes_its_threshold(page: Page, hall: Hall,
                                                               shots: Path) -> None:
    with hall.services.ctx.db.read() as s:
        cfg = hall.services.layout.current(s)
    category = cfg.category("F")  # 公积金, the smallest threshold
    open_dashboard(page, hall)
    page.evaluate("window.__sameDocument = true")
    alerts = page.get_by_test_id("alerts")
    waiting_alert = alerts.locator("li[data-kind='queue-waiting']")
    for _ in range(category.warn_waiting - 1):
        hall.issue("F")
    hall.services.monitor.check()
    expect(page.get_by_test_id(f"q-waiting-{category.code}")).to_have_text(
        str(category.warn_waiting - 1))
    expect(waiting_alert).to_have_count(0)

    hall.issue("F")  # reaches the threshold
    expect(page.get_by_test_id(f"q-waiting-{category.code}")).to_have_text(
        str(category.warn_waiting))
    expect(page.locator(f"tr[data-category='{category.code}']")).to_have_class(
        re.compile("warned"))
    hall.services.monitor.check()  # (the server's own timer may have run it already)
    expect(waiting_alert).to_have_count(1, timeout=3000)  # pushed, no reload
    alert_id = int(waiting_alert.get_attribute("data-id") or 0)
    expect(waiting_alert).to_contain_text(
        f"F类（公积金）等候 {category.warn_waiting} 人，达到提醒线 {category.warn_waiting} 人")
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=str(shots / "dashboard-alert.png"))

    waiting_alert.get_by_role("button", name="确认").click()
    expect(waiting_alert).to_have_count(0)
    history = page.get_by_test_id("alert-history")
    expect(history.locator(f"[data-testid='handled-{alert_id}']")).to_contain_text(
        "已确认：manager")
    [acked] = [a for a in hall.services.alerts.list(open_only=False)
               if a.id == alert_id]
    assert acked.acknowledged_by == "manager" and acked.acknowledged_at is not None


# ---- who may look -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_back(page: Page, hall: Hall) -> None:
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard$"))
    fill_login_form(page, "manager")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="大厅管理看板")).to_be_visible()
    expect(page.get_by_test_id("sum-issued")).to_have_text("0")


def test_staff_get_a_refusal_page_and_no_data(page: Page, hall: Hall, shots: Path) -> None:
    login(page, hall, "10001")
    response = page.goto("/dashboard")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="无权访问管理看板")).to_be_visible()
    page.screenshot(path=str(shots / "dashboard-forbidden.png"))
    for path in ("/api/monitor/overview", "/api/alerts", "/api/devices"):
        assert page.context.request.get(path).status == 403
    page.context.clear_cookies()
    assert page.context.request.get("/api/monitor/overview").status == 401


def test_admin_may_look(page: Page, hall: Hall) -> None:
    open_dashboard(page, hall, "admin")
    expect(page.get_by_role("link", name="系统管理")).to_be_visible()


# ---- screenshots ---------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
def test_screenshots_desk_sizes_in_both_languages(page: Page, hall: Hall, shots: Path,
                                                  width: int, height: int) -> None:
    busy_morning(hall)
    page.set_viewport_size({"width": width, "height": height})
    open_dashboard(page, hall)
    expect(page.get_by_test_id("alerts").locator("li.alert").first).to_be_visible()
    page.screenshot(path=str(shots / f"dashboard-{width}x{height}-zh.png"))
    no_sideways_scroll(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Hall dashboard")).to_be_visible()
    expect(page.get_by_test_id("alerts")).to_contain_text("Acknowledge")
    page.screenshot(path=str(shots / f"dashboard-{width}x{height}-en.png"))
    no_sideways_scroll(page)


def test_phone_is_one_column(phone: Page, hall: Hall, shots: Path) -> None:
    busy_morning(hall)
    open_dashboard(phone, hall)
    no_sideways_scroll(phone)
    boxes = [phone.locator(sel).bounding_box() for sel in (".alerts", ".queues", ".windows",
                                                            ".devices")]
    assert all(b is not None for b in boxes)
    for upper, lower in itertools.pairwise(boxes):  # alerts first, one column
        assert upper and lower and lower["y"] >= upper["y"] + upper["height"] - 1
        assert abs(lower["x"] - upper["x"]) < 1
    phone.screenshot(path=str(shots / "dashboard-phone-zh.png"))
    phone.screenshot(path=str(shots / "dashboard-phone-zh-full.png"), full_page=True)


def no_sideways_scroll(page: Page) -> None:
    """The page is never wider than the screen."""
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth")
