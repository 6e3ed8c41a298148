"""差评整改 and the rating rules through the HTTP API (the bus is off: ratings are applied
through the same service call the bus adapter makes)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from support import FakeClock, login, take

from hallserver.store.models import RatingArmRow, RatingRow, TicketEventRow


def serve(client: TestClient, headers: dict[str, str], window: int = 1,
          outcome: str = "completed") -> str:
    """One ticket issued, called, served and completed at a window; its rating token."""
    number = take(client, {"category": "qiye"}).json()["number"]
    assert client.post(f"/api/windows/{window}/call-next", headers=headers).status_code == 200
    assert client.post(f"/api/windows/{window}/start", headers=headers).status_code == 200
    r = client.post(f"/api/windows/{window}/complete", json={"outcome": outcome},
                    headers=headers)
    assert r.status_code == 200, r.text
    services = services_of(client)
    with services.ctx.db.read() as session:
        arm = session.scalars(select(RatingArmRow).order_by(RatingArmRow.armed_at.desc())).first()
        assert arm is not None
        assert arm.window == window
        return str(arm.token), number


def services_of(client: TestClient) -> Any:
    return client.app.state.services  # type: ignore[attr-defined]


def rate(client: TestClient, token: str, level: int, reasons: list[str] | None = None,
         pad: str = "pad-1", window: int = 1) -> Any:
    services = services_of(client)
    with services.ctx.db.write() as session:
        return services.ratings.rate(session, pad_id=pad, pad_window=window, token=token,
                                     level=level, reasons=reasons or [], comment=None)


def staff(client: TestClient, window: int = 1) -> dict[str, str]:
    headers = login(client, f"{10000 + window}")
    assert client.post(f"/api/windows/{window}/sign-in", json={"role": "A"},
                       headers=headers).status_code == 200
    return headers


def test_followup_life_with_callback_rectification_and_the_citizens_answer(
        client: TestClient, clock: FakeClock) -> None:
    h = staff(client)
    token, _number = serve(client, h)
    clock.advance(seconds=20)
    result = rate(client, token, 2, ["wait-too-long"])
    assert result.accepted and result.followup is not None
    manager = login(client, "manager")
    case_no = result.followup
    case = client.get(f"/api/followups/{case_no}", headers=manager).json()
    # Opened Monday 2026-11-23: callback by the next working day, answer in 15 working days.
    assert (case["callback_by"], case["answer_by"]) == ("2026-11-24", "2026-12-14")
    assert case["status"] == "open" and not case["overdue"]
    assert [e["action"] for e in case["events"]] == ["opened"]
    alerts = client.get("/api/alerts", headers=manager).json()
    assert any(a["kind"] == "bad-rating" and a["ref"] == case_no for a in alerts)

    act = f"/api/followups/{case_no}/actions"
    r = client.post(act, json={"action": "close", "note": "done",
                               "citizen_answer": "satisfied"}, headers=manager)
    assert r.status_code == 409, r.text  # no callback yet
    r = client.post(act, json={"action": "callback", "note": "电话回访 13812345678"},
                    headers=manager)
    assert r.status_code == 422  # a callback records the citizen's answer
    r = client.post(act, json={"action": "callback", "note": "电话回访 13812345678",
                               "citizen_answer": "unsatisfied"}, headers=manager)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "called_back"
    r = client.post(act, json={"action": "rectify", "note": "高峰时段增开窗口"},
                    headers=manager)
    assert r.json()["status"] == "rectifying"
    clock.advance(days=1)
    manager = login(client, "manager")  # sessions last a working day
    r = client.post(act, json={"action": "close", "note": "再次回访",
                               "citizen_answer": "satisfied"}, headers=manager)
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["citizen_answer"]) == ("closed", "satisfied")
    assert [(e["action"], e["actor"]) for e in done["events"]] == [
        ("opened", "system"), ("callback", "manager"), ("rectify", "manager"),
        ("close", "manager")]
    assert "13812345678" not in r.text  # personal data masked in the record
    assert client.get("/api/followups", params={"open_only": True},
                      headers=manager).json() == []
    # Staff cannot read or act on follow-ups.
    assert client.get("/api/followups", headers=login(client, "10001")).status_code == 403


def test_overdue_cases_stand_out_and_alert(client: TestClient, clock: FakeClock) -> None:
    h = staff(client)
    token, _ = serve(client, h)
    clock.advance(seconds=5)
    first = rate(client, token, 1, ["attitude"]).followup
    clock.advance(seconds=30)
    token2, _ = serve(client, h)
    clock.advance(seconds=5)
    second = rate(client, token2, 2, ["fees"]).followup
    manager = login(client, "manager")
    act = f"/api/followups/{second}/actions"
    client.post(act, json={"action": "callback", "note": "ok", "citizen_answer": "accepted"},
                headers=manager)
    client.post(act, json={"action": "close", "note": "ok"}, headers=manager)
    clock.advance(days=30)  # past every deadline
    manager = login(client, "manager")
    overdue = client.get("/api/followups", params={"overdue_only": True},
                         headers=manager).json()
    assert [c["case_no"] for c in overdue] == [first]
    assert overdue[0]["overdue"] and overdue[0]["callback_overdue"]
    listed = client.get("/api/followups", headers=manager).json()
    assert [c["case_no"] for c in listed] == [first, second]  # overdue first
    services = services_of(client)
    assert services.followups.alert_overdue() == 1
    assert services.followups.alert_overdue() == 1  # counted, but raised once
    kinds = [a["kind"] for a in client.get("/api/alerts", headers=manager).json()]
    assert kinds.count("followup-overdue") == 1
    alert = next(a for a in client.get("/api/alerts", headers=manager).json()
                 if a["kind"] == "followup-overdue")
    r = client.post(f"/api/alerts/{alert['id']}/ack", headers=manager)
    assert r.json()["acknowledged_by"] == "manager"
    assert all(a["id"] != alert["id"]
               for a in client.get("/api/alerts", headers=manager).json())


def test_an_upheld_appeal_takes_the_rating_out_of_the_scores(client: TestClient,
                                                             clock: FakeClock) -> None:
    h = staff(client)
    good, _ = serve(client, h)
    clock.advance(seconds=5)
    assert rate(client, good, 5).accepted
    clock.advance(seconds=30)
    bad, _ = serve(client, h)
    clock.advance(seconds=5)
    case_no = rate(client, bad, 1, ["other"]).followup
    manager = login(client, "manager")
    day = {"day_from": "2026-11-23", "day_to": "2026-11-23"}
    assert client.get("/api/ratings/summary", params=day,
                      headers=manager).json()["satisfaction_rate"] == 0.5
    act = f"/api/followups/{case_no}/actions"
    r = client.post(act, json={"action": "appeal", "note": "评价与办件无关"}, headers=manager)
    assert r.json()["status"] == "appealed"
    r = client.post(act, json={"action": "appeal_upheld", "note": "核实为误评"},
                    headers=manager)
    assert r.json()["status"] == "closed"
    summary = client.get("/api/ratings/summary", params=day, headers=manager).json()
    assert summary["satisfaction_rate"] == 1.0
    assert summary["ratings"] == 2  # kept on record
    assert [x["excluded"] for x in client.get("/api/ratings", headers=manager).json()] == [
        True, False]


def test_the_provincial_default_is_applied_once_and_audited(client: TestClient,
                                                            clock: FakeClock) -> None:
    h = staff(client)
    rated, _ = serve(client, h)
    clock.advance(seconds=5)
    rate(client, rated, 4)
    _unrated, number = serve(client, h)
    manager = login(client, "manager")
    assert client.post("/api/ratings/apply-defaults", headers=manager).json() == {"applied": 0}
    clock.advance(days=1, minutes=1)
    manager = login(client, "manager")
    assert client.post("/api/ratings/apply-defaults", headers=manager).json() == {"applied": 1}
    assert client.post("/api/ratings/apply-defaults", headers=manager).json() == {"applied": 0}
    services = services_of(client)
    with services.ctx.db.read() as session:
        rows = session.scalars(select(RatingRow).order_by(RatingRow.id)).all()
        assert [(x.level, x.source) for x in rows] == [(4, "pad"), (3, "default")]
        events = session.scalars(select(TicketEventRow).where(
            TicketEventRow.action == "default_rating")).all()
        assert len(events) == 1
        assert events[0].actor == "system" and "基本满意" in (events[0].detail or "")
    # The defaulted transaction keeps its one rating: its token is refused now.
    assert number
    with services.ctx.db.read() as session:
        late = session.scalars(select(RatingArmRow).order_by(RatingArmRow.armed_at.desc())
                               ).first()
        assert late is not None
    refused = rate(client, late.token, 5)
    assert (refused.accepted, refused.code) == (False, "expired")


def test_uniform_top_ratings_are_flagged_for_review(client: TestClient,
                                                    clock: FakeClock) -> None:
    h = staff(client)
    services = services_of(client)
    with services.ctx.db.read() as session:
        needed = services.layout.current(session).ratings.uniform_min_ratings
    for _ in range(needed):
        token, _ = serve(client, h)
        clock.advance(seconds=10)
        assert rate(client, token, 5).accepted
    manager = login(client, "manager")
    reviews = client.get("/api/ratings/reviews", headers=manager).json()
    assert [(r["kind"], r["staff_id"]) for r in reviews] == [("uniform", "10001")]
    r = client.post(f"/api/ratings/reviews/{reviews[0]['id']}/resolve",
                    json={"resolution": "抽查录像，评价真实"}, headers=manager)
    assert r.json()["resolved_by"] == "manager"
    assert client.get("/api/ratings/reviews", headers=manager).json() == []


def test_refusals_read_as_chinese_sentences_and_me_lists_roster_windows(
        client: TestClient) -> None:
    h = staff(client)
    r = client.post("/api/windows/1/recall", headers=h)  # nothing called yet
    assert r.status_code == 409
    assert r.json()["detail"]["message"] == "1号窗口当前没有号票"
    client.post("/api/windows/1/pause", json={"reason": "会议"}, headers=h)
    r = client.post("/api/windows/1/call-next", headers=h)
    detail = r.json()["detail"]
    assert detail["message"] == "1号窗口当前暂停服务，不能叫号"
    assert detail["message_en"] == "window 1 is paused; cannot call next"
    me = client.get("/api/auth/me", headers=h).json()
    assert (me["role_a"], me["role_b"]) == ([1], [2])
    manager = client.get("/api/auth/me", headers=login(client, "manager")).json()
    assert (manager["role_a"], manager["role_b"]) == ([], [])
