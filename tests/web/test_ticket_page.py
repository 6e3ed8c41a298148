"""排队进度 `/t/<token>`: the page a printed ticket's QR code opens on a citizen's phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from web_support import Hall, browser_marks, browser_page

pytestmark = [*browser_marks(), pytest.mark.dates]  # the phone's clock against the hall's

PHONE = {"width": 375, "height": 812}


@contextmanager
def phone(browser: Any, hall: Hall, path: str, *, lang: str = "zh") -> Iterator[Page]:
    """A 375x812 phone showing `path`, loaded; uncaught script errors fail the test."""
    with browser_page(browser, hall.url, PHONE, phone=True, lang=lang) as page:
        response = page.goto(path)
        assert response is not None and response.status == 200
        expect(page.locator("body")).to_have_attribute("data-ready", "yes")
        yield page


def act(client: httpx.Client, step: str, window: int = 1) -> None:
    r = client.post(f"/api/windows/{window}/{step}")
    assert r.status_code == 200, r.text


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_position_and_the_about_to_be_called_notice(browser: Any, hall: Hall,
                                                   shots: Path) -> None:
    tickets = [hall.issue("A") for _ in range(5)]
    mine = tickets[4]
    assert mine["status_path"] == f"/t/{mine['public_token']}"  # what the QR code holds
    with hall.at_window() as staff, phone(browser, hall, mine["status_path"]) as page:
        expect(page.get_by_test_id("number")).to_have_text("A005")
        expect(page.get_by_test_id("category")).to_have_text("企业开办")
        expect(page.get_by_test_id("state")).to_have_text("排队中")
        expect(page.get_by_test_id("ahead")).to_have_text("4 人")
        expect(page.get_by_test_id("wait")).to_have_text(re.compile(r"^约 \d+ 分钟$"))
        expect(page.get_by_test_id("soon")).to_be_hidden()
        expect(page.get_by_role("button", name="取消排队")).to_be_visible()
        no_sideways_scroll(page)
        page.screenshot(path=str(shots / "ticket-waiting.png"), full_page=True)
        # Two called: two ahead, fewer than three, so "soon" (live, no reload).
        act(staff, "call-next")
        act(staff, "no-show")
        act(staff, "call-next")
        expect(page.get_by_test_id("ahead")).to_have_text("2 人", timeout=3000)
        soon = page.get_by_test_id("soon")
        expect(soon).to_be_visible()
        expect(soon).to_contain_text("即将叫到您的号")
        expect(soon).to_contain_text("You will be called soon")
        api = httpx.get(f"{hall.url}/api/tickets/public/{mine['public_token']}").json()
        assert (api["people_ahead"], api["about_to_be_called"]) == (2, True)
        no_sideways_scroll(page)
        page.screenshot(path=str(shots / "ticket-soon.png"), full_page=True)
        # Called: the window, big.
        for _ in range(3):
            act(staff, "no-show")
            act(staff, "call-next")
        expect(page.get_by_test_id("state")).to_have_text("已叫号", timeout=3000)
        expect(page.get_by_test_id("called")).to_contain_text("请到 1 号窗口办理")
        expect(page.get_by_test_id("called")).to_contain_text("Please go to window 1")
        expect(page.get_by_test_id("soon")).to_be_hidden()
        expect(page.get_by_role("button", name="取消排队")).to_be_hidden()
        page.screenshot(path=str(shots / "ticket-called.png"), full_page=True)
        act(staff, "start")
        expect(page.get_by_test_id("called")).to_contain_text("正在 1 号窗口办理", timeout=3000)


def test_cancel_asks_first_then_gives_the_place_up(browser: Any, hall: Hall,
                                                  shots: Path) -> None:
    hall.issue("C")
    mine = hall.issue("C")
    with phone(browser, hall, mine["status_path"]) as page:
        expect(page.get_by_test_id("ahead")).to_have_text("1 人")
        expect(page.get_by_test_id("soon")).to_be_visible()
        page.get_by_role("button", name="取消排队").click()
        confirm = page.get_by_test_id("confirm")
        expect(confirm).to_be_visible()
        confirm.get_by_role("button", name="不取消").click()
        expect(confirm).to_be_hidden()
        page.get_by_role("button", name="取消排队").click()
        confirm.get_by_role("button", name="确定取消").click()
        expect(page.get_by_test_id("state")).to_have_text("已取消")
        expect(page.get_by_test_id("final")).to_contain_text("此号已取消")
        expect(page.get_by_role("button", name="取消排队")).to_be_hidden()
        page.screenshot(path=str(shots / "ticket-cancelled.png"), full_page=True)
    api = httpx.get(f"{hall.url}/api/tickets/public/{mine['public_token']}").json()
    assert api["state"] == "cancelled"


def test_a_missed_ticket_rejoins_the_queue(browser: Any, hall: Hall, shots: Path) -> None:
    mine = hall.issue("A")
    hall.issue("A")
    with hall.at_window() as staff:
        act(staff, "call-next")
        act(staff, "no-show")
    with phone(browser, hall, mine["status_path"]) as page:
        expect(page.get_by_test_id("state")).to_have_text("已过号")
        expect(page.get_by_test_id("final")).to_contain_text("可在规定时间内重新排队")
        expect(page.get_by_test_id("rejoin-until")).to_have_text("10:00")  # 09:30 + 30 min
        page.screenshot(path=str(shots / "ticket-missed.png"), full_page=True)
        hall.clock.advance(minutes=5)
        page.get_by_role("button", name="重新排队").click()
        expect(page.get_by_test_id("state")).to_have_text("排队中")
        expect(page.get_by_test_id("ahead")).to_have_text("1 人")  # at the back
        expect(page.get_by_role("button", name="重新排队")).to_be_hidden()


def test_a_refusal_is_shown_as_the_server_words_it(browser: Any, hall: Hall) -> None:
    mine = hall.issue("A")
    with hall.at_window() as staff:
        act(staff, "call-next")
        act(staff, "no-show")
    status_url = f"{hall.url}/api/tickets/public/{mine['public_token']}"
    with phone(browser, hall, mine["status_path"]) as page:
        expect(page.get_by_role("button", name="重新排队")).to_be_visible()
        # The phone read its status just before the grace ended and tapped before reading
        # it again (a page re-reading first hides the button, however slow the machine).
        stale = httpx.get(status_url).json()
        page.route(status_url, lambda route: route.fulfill(json=stale))
        hall.clock.advance(minutes=45)  # past the 30-minute grace: the server refuses
        page.get_by_role("button", name="重新排队").click()
        expect(page.get_by_test_id("error")).to_contain_text("过号已超过30分钟")
        expect(page.get_by_test_id("state")).to_have_text("已过号")


def test_a_phone_with_a_wrong_clock_shows_the_hall_s_time(browser: Any, hall: Hall) -> None:
    # The phone is two years and a half day off; the page counts from the server's answers.
    mine = hall.issue("A")
    with hall.at_window() as staff:
        act(staff, "call-next")
        act(staff, "no-show")
    with browser_page(browser, hall.url, PHONE, phone=True) as page:
        page.clock.set_system_time(hall.clock.now + timedelta(days=730, hours=12))
        page.goto(mine["status_path"])
        expect(page.locator("body")).to_have_attribute("data-ready", "yes")
        expect(page.get_by_test_id("state")).to_have_text("已过号")
        expect(page.get_by_role("button", name="重新排队")).to_be_visible()
        expect(page.get_by_test_id("updated")).to_contain_text("09:30:")


def test_english_phone_page(browser: Any, hall: Hall, shots: Path) -> None:
    hall.issue("B")
    mine = hall.issue("B")
    with phone(browser, hall, mine["status_path"], lang="en") as page:
        expect(page.get_by_test_id("state")).to_have_text("Waiting")
        expect(page.get_by_test_id("category")).to_have_text("Real Estate Registration")
        expect(page.get_by_test_id("ahead")).to_have_text("1")
        expect(page.get_by_test_id("soon")).to_contain_text("You will be called soon")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your place in the queue")
        no_sideways_scroll(page)
        page.screenshot(path=str(shots / "ticket-en.png"), full_page=True)
        page.get_by_role("button", name="中文").click()
        expect(page.get_by_test_id("state")).to_have_text("排队中")


def test_an_unknown_token_gets_a_friendly_404(page: Page, hall: Hall, shots: Path) -> None:
    page.set_viewport_size(PHONE)
    response = page.goto("/t/not-a-real-token-123")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("missing")).to_contain_text("号票不存在或已过期")
    expect(page.get_by_test_id("missing")).to_contain_text("No such ticket")
    page.screenshot(path=str(shots / "ticket-missing.png"), full_page=True)
