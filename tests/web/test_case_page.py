"""办件进度 `/c/<token>`: the page a receipt's QR code opens on a citizen's phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from web_support import Hall


def accepted_case(hall: Hall) -> dict[str, Any]:
    """A 受理 completion at window 1 (item QY-003 promises a few working days)."""
    hall.issue("A", item_code="QY-003")
    with hall.login("10001") as staff:
        for step, body in (("sign-in", {"role": "A"}), ("call-next", None), ("start", None),
                           ("complete", {"outcome": "accepted"})):
            r = staff.post(f"/api/windows/1/{step}", json=body)
            assert r.status_code == 200, r.text
        last: dict[str, Any] = staff.get("/api/windows/1").json()["last_case"]
    return last


def test_the_receipt_qr_opens_the_case_status(page: Any, hall: Hall, shots: Path) -> None:
    case = accepted_case(hall)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    response = page.goto(case["public_path"])
    assert response is not None and response.status == 200
    assert page.get_by_test_id("case-no").inner_text() == case["case_no"]
    assert "已受理" in page.get_by_test_id("status").inner_text()
    due = page.get_by_test_id("due").inner_text()
    assert "剩余 1 个工作日" in due and "1 working day left" in due
    assert "张晓燕 (10001)" in page.content()  # 首问负责人: name and 工号
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "case-phone.png"), full_page=True)

    hall.clock.advance(days=60)  # long past the promised date
    page.reload()
    overdue = page.get_by_test_id("due").inner_text()
    assert "已超期" in overdue and "overdue" in overdue
    page.screenshot(path=str(shots / "case-overdue.png"), full_page=True)


def test_an_unknown_code_gets_a_clear_page(page: Any, hall: Hall) -> None:
    response = page.goto("/c/not-a-real-token-123")
    assert response is not None and response.status == 404
    assert "办件不存在" in page.content() and "No such case" in page.content()
