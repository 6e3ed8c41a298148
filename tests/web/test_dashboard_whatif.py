"""The dashboard's what-if panel (潮汐窗口预演) in headless Chromium against a real server: the
server's suggestions and a manager's own change are shown with the numbers of the API's
answer (captured from the network), a refusal (409: another what-if runs) in Chinese and
English, screenshots at desk size in both languages and on a phone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from web_support import PHONE, Hall, browser_marks, browser_page, login

pytestmark = browser_marks()

WHAT_IF = "/api/advisor/what-if"
METRICS = ("p50", "p95", "within20")
PLANS = ("current", "proposal", "difference")
MINUS = "\u2212"


def open_panel(page: Page, hall: Hall, username: str = "manager") -> None:
    """Log in, open the dashboard, wait for its layout, open the (closed) what-if panel."""
    login(page, hall, username)
    page.goto("/dashboard")
    panel = page.get_by_test_id("whatif")
    expect(page.get_by_test_id("wi-window").locator("option")).not_to_have_count(0)
    expect(panel).not_to_have_attribute("open", "")
    expect(page.get_by_test_id("wi-suggest")).to_be_hidden()  # collapsed by default
    panel.locator("summary").click()
    expect(page.get_by_test_id("wi-suggest")).to_be_visible()


def dec1(value: float, signed: bool = False) -> str:
    """One decimal as the page writes it (JS toFixed: exact halves up), − for negatives."""
    text = str(Decimal(abs(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if text == "0.0":
        return text
    if value < 0:
        return MINUS + text
    return "+" + text if signed else text


def verdict(metric: str, est: dict[str, float | None]) -> str:
    """The page's highlight of a difference: its CI excludes 0 in the good or bad direction."""
    mean, ci = est["mean"], est["ci95"]
    if mean is None or ci is None:
        return "na"
    if abs(mean) <= ci:
        return "unclear"
    return "better" if (mean < 0) == (metric != "within20") else "worse"


def assert_numbers(page: Page, answer: dict[str, Any], lang: str = "zh") -> None:
    """Every cell of the comparison carries the API's mean and CI and shows them rounded."""
    units = {"zh": (" 分钟", "%", " 个百分点"), "en": (" min", "%", " pts")}[lang]
    for plan in PLANS:
        for metric in METRICS:
            est = answer[plan][metric]
            cell = page.get_by_test_id(f"wi-{plan}-{metric}")
            if est["mean"] is None:
                expect(cell).to_have_text("—")
                assert cell.get_attribute("data-value") == ""
                continue
            assert float(cell.get_attribute("data-value") or "nan") == est["mean"]
            if est["ci95"] is not None:
                assert float(cell.get_attribute("data-ci") or "nan") == est["ci95"]
            diff = plan == "difference"
            expect(cell.locator(".wi-mean")).to_have_text(dec1(est["mean"], signed=diff))
            expect(cell.locator(".wi-ci")).to_have_text(
                "" if est["ci95"] is None else f" ± {dec1(est['ci95'])}")
            unit = units[0] if metric != "within20" else units[2] if diff else units[1]
            expect(cell.locator(".wi-unit")).to_have_text(unit)  # (hidden on a phone)
            if diff:
                expect(cell).to_have_attribute("data-verdict", verdict(metric, est))


@pytest.fixture
def phone(browser: Any, hall: Hall) -> Iterator[Page]:
    """A phone-sized context."""
    with browser_page(browser, hall.url, PHONE, phone=True) as page:
        yield page


def test_suggestions_show_the_api_numbers(page: Page, hall: Hall, shots: Path) -> None:
    open_panel(page, hall)
    expect(page.get_by_test_id("wi-intro")).to_contain_text("预演不会改变任何设置")
    expect(page.get_by_test_id("wi-intro").get_by_role("link", name="系统管理")) \
        .to_have_attribute("href", "/admin")
    with page.expect_response(lambda r: r.url.endswith(WHAT_IF)) as info:
        page.get_by_test_id("wi-suggest").click()
        # While it runs: a spinner, both buttons off (a request takes 1-3 s).
        expect(page.get_by_test_id("wi-status")).to_be_visible()
        expect(page.get_by_test_id("wi-suggest")).to_be_disabled()
        expect(page.get_by_test_id("wi-preview")).to_be_disabled()
    response = info.value
    assert response.status == 200
    assert json.loads(response.request.post_data or "{}") == {"changes": [], "seeds": 4}
    answer = response.json()
    expect(page.get_by_test_id("wi-status")).to_be_hidden()
    expect(page.get_by_test_id("wi-suggest")).to_be_enabled()
    assert answer["proposed_by_server"] is True

    changes = page.get_by_test_id("wi-changes").locator("li")
    if answer["changes"]:
        expect(changes).to_have_text([c["text"]["zh"] for c in answer["changes"]])
    else:
        expect(changes).to_have_text(["没有建议的调整"])
    expect(page.get_by_test_id("wi-note")).to_have_text(answer["note"]["zh"])
    assert_numbers(page, answer)
    expect(page.get_by_test_id("wi-meta")).to_have_text(
        f"模拟 {answer['seeds']} 天，用时 {dec1(answer['seconds'])} 秒")
    page.get_by_test_id("whatif").screenshot(path=str(shots / "dashboard-whatif-zh.png"))

    # The English switch relabels the answer without asking again.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_test_id("whatif").locator("summary")).to_contain_text(
        "What-if (tidal windows)")
    if answer["changes"]:
        expect(changes).to_have_text([c["text"]["en"] for c in answer["changes"]])
    expect(page.get_by_test_id("wi-note")).to_have_text(answer["note"]["en"])
    assert_numbers(page, answer, "en")
    page.get_by_test_id("whatif").screenshot(path=str(shots / "dashboard-whatif-en.png"))


def test_a_custom_change_previews_and_shows_its_text(page: Page, hall: Hall,
                                                     shots: Path) -> None:
    open_panel(page, hall)
    page.get_by_test_id("wi-seeds").select_option("2")
    page.get_by_test_id("wi-window").select_option("13")  # 综合受理, also 企业开办
    secondary = page.get_by_test_id("wi-secondary")
    expect(secondary.get_by_test_id("wi-sec-qiye")).to_be_checked()
    expect(secondary.get_by_test_id("wi-sec-zonghe")).to_be_disabled()  # its own primary
    # A tidal switch: 社保医保 called first from 09:00 to 11:30; the window's own category
    # joins the secondaries (checked for the manager, who may uncheck it).
    page.get_by_test_id("wi-primary").select_option("shebao")
    expect(secondary.get_by_test_id("wi-sec-shebao")).to_be_disabled()
    expect(secondary.get_by_test_id("wi-sec-zonghe")).to_be_checked()
    secondary.get_by_test_id("wi-sec-qiye").uncheck()
    page.get_by_test_id("wi-start").fill("09:00")
    page.get_by_test_id("wi-end").fill("11:30")
    with page.expect_response(lambda r: r.url.endswith(WHAT_IF)) as info:
        page.get_by_test_id("wi-preview").click()
    response = info.value
    assert response.status == 200, response.text()
    assert json.loads(response.request.post_data or "{}") == {
        "changes": [{"window": 13, "secondary": ["zonghe"], "primary": "shebao",
                     "start": "09:00", "end": "11:30"}],
        "seeds": 2}
    answer = response.json()
    assert answer["proposed_by_server"] is False and answer["seeds"] == 2
    [change] = answer["changes"]
    assert change["primary"] == "shebao" and change["after"] == ["zonghe"]
    expect(page.get_by_test_id("wi-changes").locator("li")).to_have_text([change["text"]["zh"]])
    assert "13号窗口" in change["text"]["zh"]
    expect(page.locator("#wi-out-title")).to_have_text("预演的调整")
    assert_numbers(page, answer)

    # The page's own check: a period needs both ends (nothing is sent).
    page.get_by_test_id("wi-end").fill("")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith(WHAT_IF) else None)
    page.get_by_test_id("wi-preview").click()
    error = page.get_by_test_id("wi-error")
    expect(error).to_contain_text("时段须同时填写开始和结束")
    expect(error).to_contain_text("give both the start and the end")
    assert requests == []


def test_a_busy_server_is_shown_in_both_languages(page: Page, hall: Hall, shots: Path) -> None:
    busy = {"detail": {"code": "conflict", "message": "另一个推演正在进行，请稍后再试",
                       "message_en": "another what-if is running; try again in a moment"}}

    def refuse(route: Route) -> None:
        route.fulfill(status=409, content_type="application/json", body=json.dumps(busy))

    page.route(f"**{WHAT_IF}", refuse)
    open_panel(page, hall)
    page.get_by_test_id("wi-suggest").click()
    error = page.get_by_test_id("wi-error")
    expect(error).to_have_attribute("data-status", "409")
    expect(error.locator("strong")).to_have_text("另一个推演正在进行，请稍后再试")
    expect(error.locator(".wi-other")).to_have_text(
        "another what-if is running; try again in a moment")
    expect(page.get_by_test_id("wi-suggest")).to_be_enabled()  # ready to try again
    page.get_by_role("button", name="English").click()
    expect(error.locator("strong")).to_have_text(
        "another what-if is running; try again in a moment")
    expect(error.locator(".wi-other")).to_have_text("另一个推演正在进行，请稍后再试")


def canned_answer() -> dict[str, Any]:
    """An answer with a clear gain, an unclear one and one not measurable (for the look)."""
    est = lambda m, c: {"mean": m, "ci95": c}  # noqa: E731
    return {
        "proposed_by_server": True,
        "changes": [{"window": 15, "before": ["gongjijin", "shuiwu"],
                     "after": ["gongjijin", "shuiwu", "huzheng"],
                     "before_primary": "budongchan", "primary": "budongchan",
                     "start": "09:00", "end": "12:00",
                     "text": {"zh": "15号窗口 09:00–12:00 兼办公安户政",
                              "en": "window 15 09:00-12:00: also serves Household "
                                    "Registration & ID Cards"}}],
        "seeds": 4, "tickets_per_day": 682.5,
        "current": {"p50": est(8.25, 5.11), "p95": est(30.22, 12.27),
                    "within20": est(83.61, 14.26)},
        "proposal": {"p50": est(7.1, 4.2), "p95": est(24.5, 9.8), "within20": est(88.0, None)},
        "difference": {"p50": est(-1.15, 1.4), "p95": est(-5.72, 2.1),
                       "within20": est(4.39, None)},
        "seconds": 2.48,
        "note": {"zh": "按今日布局模拟 4 天（每天约 682 张号），同一批办事群众比较两种方案",
                 "en": "today's layout simulated on 4 days (about 682 tickets each), both "
                       "plans on the same citizens"},
    }


def test_phone_is_one_column(phone: Page, hall: Hall, shots: Path) -> None:
    answer = canned_answer()
    phone.route(f"**{WHAT_IF}", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    open_panel(phone, hall)
    phone.get_by_test_id("wi-suggest").click()
    expect(phone.get_by_test_id("wi-difference-p95")).to_have_attribute("data-verdict", "better")
    expect(phone.get_by_test_id("wi-difference-p95")).to_contain_text("更好")
    expect(phone.get_by_test_id("wi-difference-p50")).to_have_attribute("data-verdict",
                                                                        "unclear")
    expect(phone.get_by_test_id("wi-difference-within20")).to_have_attribute("data-verdict",
                                                                             "na")
    assert_numbers(phone, answer)
    form = phone.get_by_test_id("wi-form").bounding_box()
    result = phone.get_by_test_id("wi-result").bounding_box()
    assert form and result and result["y"] >= form["y"] + form["height"] - 1  # one column
    assert phone.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    phone.get_by_test_id("whatif").screenshot(path=str(shots / "dashboard-whatif-phone.png"))
