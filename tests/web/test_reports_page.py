"""The reports page (/reports) in headless Chromium against a real server: who may open it,
the numbers equal the API's, the charts are drawn, CSV downloads, the English switch."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Page, expect
from report_support import simulate_day
from support import SHANGHAI
from web_support import PHONE, Hall, browser_marks, browser_page, fill_login_form, login

pytestmark = browser_marks()

START = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)



def shot(page: Page, shots: Path, name: str, *, full: bool = False) -> None:
    page.screenshot(path=str(shots / f"reports-{name}.png"), full_page=full)


def test_anonymous_goes_to_login_and_staff_are_refused(page: Page, hall: Hall) -> None:
    page.goto("/reports")
    expect(page).to_have_url(re.compile(r"/login\?next=/reports$"))
    fill_login_form(page, "manager")
    expect(page).to_have_url(re.compile(r"/reports"))
    expect(page.get_by_role("heading", name="统计报表")).to_be_visible()
    page.goto("about:blank")  # the report page would follow its own 401 to the login page
    page.context.clear_cookies()
    login(page, hall, "10001")
    r = page.goto("/reports")
    assert r is not None and r.status == 403
    expect(page.get_by_role("heading", name="无权查看统计报表")).to_be_visible()
    assert page.context.request.get(f"{hall.url}/api/reports").status == 403


def test_day_and_month_reports_show_the_api_numbers(page: Page, hall: Hall,
                                                    shots: Path) -> None:
    simulate_day(hall.services, hall.clock, START, minutes=240)
    hall.clock.now = datetime(2026, 11, 23, 16, 50, tzinfo=SHANGHAI)
    login(page, hall, "manager")
    api = page.context.request.get(f"{hall.url}/api/reports?period=day&date=2026-11-23").json()
    tables = {t["key"]: t for t in api["tables"]}
    summary = dict(zip([c["key"] for c in tables["summary"]["columns"]],
                       tables["summary"]["rows"][0], strict=True))

    page.goto("/reports?period=day&date=2026-11-23")
    expect(page.get_by_test_id("kpi-issued")).to_contain_text(str(summary["issued"]))
    expect(page.get_by_test_id("kpi-done")).to_contain_text(str(summary["done"]))
    expect(page.get_by_test_id("kpi-within_20")).to_contain_text(
        f"{summary['within_20'] * 100:.1f}%")
    expect(page.get_by_test_id("period-label")).to_contain_text("2026-11-23（星期一）")
    # The histogram has one bar per bin and its bars add up to the called tickets.
    bars = page.get_by_test_id("chart-wait_hist").locator("rect.bar")
    expect(bars).to_have_count(len(tables["wait_hist"]["rows"]))
    counts = [int(b.get_attribute("data-count") or 0) for b in bars.all()]
    assert counts == [r[1] for r in tables["wait_hist"]["rows"]]
    hour_rows = page.get_by_test_id("table-by_hour").locator("tbody tr")
    expect(hour_rows).to_have_count(len(tables["by_hour"]["rows"]))
    window_1 = page.get_by_test_id("table-rating_windows").locator("tbody tr").first
    expect(window_1).to_contain_text("1号窗口")
    shot(page, shots, "day")
    shot(page, shots, "day-full", full=True)

    with page.expect_download() as info:
        page.get_by_test_id("csv-by_category").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["字母", "业务类别", "取号"]
    issued = {r[0]: int(r[2]) for r in rows[1:]}
    assert sum(issued.values()) == summary["issued"]

    page.get_by_role("button", name="月报").click()
    expect(page).to_have_url(re.compile(r"period=month"))
    expect(page.get_by_test_id("period-label")).to_contain_text("2026年11月")
    ranking = page.get_by_test_id("table-ranking").locator("tbody tr")
    expect(ranking).to_have_count(24)
    expect(page.get_by_test_id("table-ranking").locator(".badge-red_flag").first).to_be_visible()
    shot(page, shots, "month")
    shot(page, shots, "month-full", full=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    expect(page.get_by_test_id("period-label")).to_contain_text("November 2026")
    expect(page.get_by_test_id("table-ranking")).to_contain_text("Red flag")
    href = page.get_by_test_id("xlsx").get_attribute("href") or ""
    assert "lang=en" in href and "period=month" in href
    shot(page, shots, "month-en")
    page.get_by_role("button", name="中文").click()


def test_phone_width_has_no_sideways_scroll(browser: object, hall: Hall, shots: Path) -> None:
    simulate_day(hall.services, hall.clock, START, minutes=60, windows={1: "10001"})
    with browser_page(browser, hall.url, PHONE) as page:
        login(page, hall, "manager")
        page.goto("/reports?period=day&date=2026-11-23")
        expect(page.get_by_test_id("kpi-issued")).not_to_contain_text("—")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page is {width}px wide"
        shot(page, shots, "phone")
