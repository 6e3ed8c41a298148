"""The county layout (firmware_configs/county, #20): Saturday mornings with their own roster,
Wednesday evenings, summer hours, a 1-hour 不动产 promise and natural-day 公积金 limits,
deadlines in statutory working days. Run through the HTTP API on the hall's own clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support import ROOT, SHANGHAI, FakeClock, login, seed_users, take

from hallserver.app import create_app
from hallserver.config.loader import load_hall
from hallserver.settings import Settings

COUNTY = ROOT / "firmware_configs" / "county" / "hall.yaml"


@pytest.fixture
def county(tmp_path: Path) -> Iterator[tuple[TestClient, FakeClock]]:
    clock = FakeClock(datetime(2026, 12, 12, 9, 30, tzinfo=SHANGHAI))  # a Saturday
    app = create_app(Settings(config=COUNTY, database_url=f"sqlite:///{tmp_path}/county.db",
                              bus=False, rate_limits=False), clock=clock)
    seed_users(app.state.services)
    with TestClient(app) as client:
        yield client, clock


def at(clock: FakeClock, day: int, hour: int, minute: int = 0, month: int = 12) -> None:
    clock.now = datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_the_county_layout_is_valid_and_says_what_it_runs() -> None:
    cfg = load_hall(COUNTY)
    assert cfg.roster_warnings() == []
    assert 6 in cfg.service_days.open_weekdays
    assert {i.code: i.promised_unit.value for i in cfg.items}["BDC-001"] == "hours"


def test_a_county_saturday(county: tuple[TestClient, FakeClock]) -> None:
    client, clock = county
    assert take(client, {"category": "A"}).status_code == 201  # Saturday 09:30
    refused = take(client, {"category": "B"})  # 不动产: nobody on Saturday's roster
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "nobody_today"
    at(clock, 12, 11, 45)  # issuing stops 30 min before Saturday's 12:00 close
    assert take(client, {"category": "A"}).json()["detail"]["code"] == "issuing_closed"
    at(clock, 13, 10)  # Sunday
    assert take(client, {"category": "A"}).json()["detail"]["code"] == "not_service_day"
    at(clock, 16, 18, 15)  # Wednesday evening: 延时服务 until 19:00
    assert take(client, {"category": "B"}).status_code == 201
    at(clock, 17, 18, 15)  # Thursday evening: closed at 17:00
    assert take(client, {"category": "B"}).json()["detail"]["code"] == "issuing_closed"
    at(clock, 14, 13, 45, month=7)  # a summer Tuesday: lunch until 14:00
    assert client.get("/api/monitor/overview",
                      headers=login(client, "manager")).json()["in_opening_hours"] is False


def test_a_one_hour_promise_is_due_in_an_hour_of_service(
        county: tuple[TestClient, FakeClock]) -> None:
    client, clock = county
    at(clock, 11, 16, 25)  # Friday: the last numbers (issuing stops at 16:30)
    assert take(client, {"item_code": "BDC-001"}).status_code == 201
    staff = login(client, "20005")
    assert client.post("/api/windows/5/sign-in", json={"role": "A"},
                       headers=staff).status_code == 200
    for action in ("call-next", "start"):
        r = client.post(f"/api/windows/5/{action}", headers=staff)
        assert r.status_code == 200, r.text
    r = client.post("/api/windows/5/complete", json={"outcome": "accepted"}, headers=staff)
    assert r.status_code == 200, r.text
    path = r.json()["last_case"]["public_path"]
    case = client.get(f"/api/cases/public/{path.rsplit('/', 1)[1]}").json()
    # 35 minutes on Friday; Saturday's service is no working day: 25 minutes on Monday.
    assert datetime.fromisoformat(case["promised_by"]) == \
        datetime(2026, 12, 14, 9, 25, tzinfo=SHANGHAI)
