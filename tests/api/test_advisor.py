"""Tidal-window what-if over HTTP: managers preview skill changes of today's layout (new
secondary skills, or a tidal switch of the category called first, all day or for a period) or
ask for proposals, and get p50/p95 and the share within 20 minutes, with CIs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from support import DEMO_CONFIG, MONDAY_MORNING, FakeClock, login, seed_users

from hallserver.app import create_app
from hallserver.settings import Settings
from hallserver.sim import whatif


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('advisor')}/hall.db"
    app = create_app(Settings(config=DEMO_CONFIG, database_url=url, bus=False),
                     clock=FakeClock(MONDAY_MORNING))
    seed_users(app.state.services)
    with TestClient(app) as client:
        yield client, login(client, "manager")


def _metrics_ok(plan: dict) -> None:
    for m in ("p50", "p95", "within20"):
        assert plan[m]["mean"] is not None and plan[m]["ci95"] is not None
    assert 0 <= plan["within20"]["mean"] <= 100
    assert plan["p50"]["mean"] <= plan["p95"]["mean"]


def test_what_if_of_given_changes(env) -> None:
    client, h = env
    r = client.post("/api/advisor/what-if", headers=h, json={
        "changes": [{"window": 1, "secondary": ["shuiwu", "shebao"]}], "seeds": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["proposed_by_server"] is False
    change = body["changes"][0]
    assert len(body["changes"]) == 1
    assert {k: change[k] for k in ("window", "before", "after")} == {
        "window": 1, "before": ["shuiwu"], "after": ["shuiwu", "shebao"]}  # first version
    assert change["primary"] == change["before_primary"] == "qiye"
    assert change["start"] is None and change["end"] is None
    assert change["text"]["zh"] == "1号窗口 全天 兼办社保医保"
    assert body["seeds"] == 2
    _metrics_ok(body["current"])
    _metrics_ok(body["proposal"])
    diff = body["difference"]["p95"]["mean"]
    assert diff == pytest.approx(body["proposal"]["p95"]["mean"] - body["current"]["p95"]["mean"],
                                 abs=0.02)
    assert body["note"]["zh"] and body["note"]["en"]
    assert body["seconds"] < 30


def test_no_change_means_no_difference(env) -> None:
    client, h = env
    r = client.post("/api/advisor/what-if", headers=h, json={
        "changes": [{"window": 1, "secondary": ["shuiwu"]}], "seeds": 2})  # as configured
    body = r.json()
    assert body["difference"]["p95"]["mean"] == 0
    assert body["current"] == body["proposal"]


def test_empty_body_asks_for_proposals(env, monkeypatch: pytest.MonkeyPatch) -> None:
    client, h = env
    r = client.post("/api/advisor/what-if", headers=h, json={"seeds": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["proposed_by_server"] is True
    for c in body["changes"]:  # proposals add a skill or switch the category called first
        assert set(c["after"]) - set(c["before"]) or c["primary"] != c["before_primary"]
        assert c["text"]["zh"].startswith(f"{c['window']}号窗口")
    assert body["seconds"] < 30


def test_a_timed_tidal_switch(env) -> None:
    client, h = env
    r = client.post("/api/advisor/what-if", headers=h, json={"changes": [
        {"window": 1, "primary": "shebao", "secondary": ["qiye", "shuiwu"],
         "start": "09:00", "end": "12:00"}], "seeds": 2})
    assert r.status_code == 200, r.text
    change = r.json()["changes"][0]
    assert change["before_primary"] == "qiye" and change["primary"] == "shebao"
    assert change["after"] == ["qiye", "shuiwu"] and change["before"] == ["shuiwu"]
    assert (change["start"], change["end"]) == ("09:00", "12:00")
    assert change["text"]["zh"] == "1号窗口 09:00-12:00 先办社保医保，再办企业开办、税务"
    assert "Social Security" in change["text"]["en"]
    # the same switch all afternoon only: a different day for the citizens of the morning
    r2 = client.post("/api/advisor/what-if", headers=h, json={"changes": [
        {"window": 1, "primary": "shebao", "secondary": ["qiye"], "start": "13:30",
         "end": "17:00"}, {"window": 1, "secondary": ["shuiwu", "zonghe"], "start": "09:00",
                           "end": "12:00"}], "seeds": 2})
    assert r2.status_code == 200, r2.text
    assert len(r2.json()["changes"]) == 2


@pytest.mark.parametrize(("change", "code"), [
    ({"window": 999, "secondary": []}, "invalid_request"),
    ({"window": 1, "secondary": ["nope"]}, "invalid_request"),
    ({"window": 1, "secondary": ["qiye"]}, "invalid_request"),  # its primary
    ({"window": 1, "secondary": ["shebao", "shebao"]}, "invalid_request"),
    ({"window": 1, "primary": "nope", "secondary": []}, "invalid_request"),
    ({"window": 1, "primary": "shebao", "secondary": ["shebao"]}, "invalid_request"),
    ({"window": 1, "secondary": [], "start": "09:00"}, "invalid_request"),  # no end
    ({"window": 1, "secondary": [], "start": "12:00", "end": "09:00"}, "invalid_request"),
    ({"window": 1, "secondary": [], "start": "25:00", "end": "26:00"}, "invalid_request"),
    ({"window": 1, "secondary": [], "start": "9h", "end": "12:00"}, "invalid_request"),
])
def test_bad_changes_get_a_clear_error(env, change: dict, code: str) -> None:
    client, h = env
    r = client.post("/api/advisor/what-if", headers=h, json={"changes": [change], "seeds": 2})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["code"] == code and detail["message"] and detail["message_en"]


def test_overlapping_changes_of_a_window_are_refused(env) -> None:
    client, h = env
    r = client.post("/api/advisor/what-if", headers=h, json={"changes": [
        {"window": 1, "primary": "shebao", "secondary": ["qiye"], "start": "09:00",
         "end": "12:00"}, {"window": 1, "secondary": ["zonghe"]}], "seeds": 2})
    assert r.status_code == 422
    assert r.json()["detail"]["code"] == "invalid_request"


def test_bounded_seeds(env) -> None:
    client, h = env
    r = client.post("/api/advisor/what-if", headers=h, json={"seeds": 50})
    assert r.status_code == 422


def test_one_what_if_at_a_time(env) -> None:
    client, h = env
    held = whatif._RUNNING.acquire()
    try:
        r = client.post("/api/advisor/what-if", headers=h, json={"seeds": 2})
    finally:
        if held:
            whatif._RUNNING.release()
    assert r.status_code == 409
    assert r.json()["detail"]["code"] == "conflict"


def test_staff_may_not_run_it(env) -> None:
    client, _h = env
    r = client.post("/api/advisor/what-if", headers=login(client, "10001"), json={"seeds": 2})
    assert r.status_code == 403
