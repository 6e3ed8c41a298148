"""The dashboard's overview (GET /api/monitor/overview) and the hall monitor's alerts:
numbers against a hand-made morning, one alert per episode, resolution by itself, managers'
acknowledgements kept, device conditions, a restart that does not repeat alerts."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import FakeClock, login, take

from devices.protocol.messages import DeviceStatus, PaperState, Presence, PrinterStatus
from devices.protocol.topics import DeviceType
from hallserver.services import Services
from hallserver.services.devices import DeviceInfo
from hallserver.services.displays import DisplayService
from hallserver.services.monitor import AUTO_RESOLVED, MonitorService


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def overview(client: TestClient) -> dict[str, Any]:
    r = client.get("/api/monitor/overview", headers=login(client, "manager"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def signed_in(client: TestClient, window: int, staff: str | None = None) -> dict[str, str]:
    headers = login(client, staff or f"{10000 + window}")
    r = client.post(f"/api/windows/{window}/sign-in", json={"role": "A"}, headers=headers)
    assert r.status_code == 200, r.text
    return headers


def issue(client: TestClient, category: str, n: int = 1) -> list[str]:
    out = []
    for _ in range(n):
        r = take(client, {"category": category})
        assert r.status_code == 201, r.text
        out.append(r.json()["number"])
    return out


def act(client: TestClient, headers: dict[str, str], window: int, action: str,
        body: dict[str, Any] | None = None) -> Any:
    r = client.post(f"/api/windows/{window}/{action}", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def alerts_of(client: TestClient, kind: str) -> list[dict[str, Any]]:
    r = client.get("/api/alerts?open_only=false", headers=login(client, "manager"))
    assert r.status_code == 200
    return [a for a in r.json() if a["kind"] == kind]


# ---- numbers ------------------------------------------------------------------------------


def test_share_within_goal_average_wait_and_window_times(client: TestClient,
                                                         clock: FakeClock) -> None:
    issue(client, "A", 3)  # 09:30
    w1 = signed_in(client, 1)
    clock.advance(minutes=10)  # 09:40
    act(client, w1, 1, "call-next")  # A001 waited 10 min
    clock.advance(minutes=1)
    act(client, w1, 1, "recall")  # a recall does not move the first call
    act(client, w1, 1, "start")
    clock.advance(minutes=4)  # 09:45
    ov = overview(client)
    [load] = [w for w in ov["windows"] if w["number"] == 1]
    assert load["serving_min"] == 4.0 and load["at_window_min"] == 5.0
    assert load["idle_min"] is None and load["idle_while_waiting_min"] is None
    act(client, w1, 1, "complete", {"outcome": "completed"})
    clock.advance(minutes=15)  # 10:00
    act(client, w1, 1, "call-next")  # A002 waited 30 min; A003 still waiting, 30 min
    clock.advance(seconds=30)

    ov = overview(client)
    [qiye] = [c for c in ov["categories"] if c["category"] == "qiye"]
    assert qiye == {"category": "qiye", "called": 2, "within_goal": 1, "late_uncalled": 1,
                    "share_within_goal": 0.333}
    assert ov["summary"] == {"issued": 3, "served": 1, "waiting": 1, "at_windows": 1,
                             "called": 2, "avg_wait_min": 20.0, "share_within_goal": 0.333}
    [load] = [w for w in ov["windows"] if w["number"] == 1]
    assert load["at_window_min"] == 0.5 and load["serving_min"] is None
    assert load["served_today"] == 1 and load["eligible_waiting"] == 1
    others = [c for c in ov["categories"] if c["category"] != "qiye"]
    assert all(c["share_within_goal"] is None for c in others)
    assert ov["goal_min"] == 20 and ov["in_opening_hours"] is True
    # The waiting count is the queue list's own.
    queues = client.get("/api/queues").json()
    assert ov["summary"]["waiting"] == sum(q["waiting"] for q in queues)


def test_dashboard_and_report_count_the_wait_to_the_first_call(client: TestClient,
                                                                 clock: FakeClock) -> None:
    """A ticket called after 5 minutes, given back when its window signs out and called
    again 30 minutes later waited 5 minutes, on the dashboard and in the report alike."""
    [number] = issue(client, "A")  # 09:30
    w1 = signed_in(client, 1)
    clock.advance(minutes=5)
    assert act(client, w1, 1, "call-next")["called"]["number"] == number
    act(client, w1, 1, "sign-out")  # the called ticket goes back to the queue, keeping its place
    clock.advance(minutes=30)
    w1 = signed_in(client, 1)
    assert act(client, w1, 1, "call-next")["called"]["number"] == number  # 35 min after issue

    ov = overview(client)
    [qiye] = [c for c in ov["categories"] if c["category"] == "qiye"]
    assert (qiye["called"], qiye["within_goal"], qiye["share_within_goal"]) == (1, 1, 1.0)
    assert ov["summary"]["avg_wait_min"] == 5.0
    report = client.get("/api/reports", params={"period": "day"},
                        headers=login(client, "manager")).json()
    tables = {t["key"]: t for t in report["tables"]}
    summary = dict(zip([c["key"] for c in tables["summary"]["columns"]],
                       tables["summary"]["rows"][0], strict=True))
    assert summary["avg_wait"] == 5.0
    [hour] = [dict(zip([c["key"] for c in tables["by_hour"]["columns"]], row, strict=True))
              for row in tables["by_hour"]["rows"] if row[1]]
    assert (hour["within_20"], hour["counted_20"]) == (1, 1)


def test_a_ticket_cancelled_after_the_goal_counts_as_late(client: TestClient,
                                                          clock: FakeClock) -> None:
    early, late = (take(client, {"category": "B"}).json()["public_token"]
                   for _ in range(2))
    clock.advance(minutes=5)
    assert client.post(f"/api/tickets/public/{early}/cancel").status_code == 200
    clock.advance(minutes=16)
    assert client.post(f"/api/tickets/public/{late}/cancel").status_code == 200
    [b] = [c for c in overview(client)["categories"] if c["category"] == "budongchan"]
    assert (b["called"], b["late_uncalled"], b["share_within_goal"]) == (0, 1, 0.0)


def test_idle_while_tickets_it_could_serve_wait(client: TestClient, clock: FakeClock) -> None:
    signed_in(client, 1)  # 1号窗口: qiye, secondary shuiwu
    clock.advance(minutes=5)
    issue(client, "C")  # shebao: not window 1's
    ov = overview(client)
    [load] = [w for w in ov["windows"] if w["number"] == 1]
    assert load["idle_min"] == 5.0 and load["eligible_waiting"] == 0
    assert load["idle_while_waiting_min"] is None
    issue(client, "E")  # shuiwu (secondary) at 09:35
    clock.advance(minutes=6)
    ov = overview(client)
    [load] = [w for w in ov["windows"] if w["number"] == 1]
    assert load["eligible_waiting"] == 1 and load["idle_while_waiting_min"] == 6.0
    assert {"kind": "window-idle", "subject": "w1"} in [
        {"kind": c["kind"], "subject": c["subject"]} for c in ov["conditions"]]


def test_unstaffed_counts_from_the_session_start_or_the_last_sign_out(
        client: TestClient, clock: FakeClock) -> None:
    ov = overview(client)  # 09:30, the morning session began at 09:00
    [load] = [w for w in ov["windows"] if w["number"] == 2]
    assert load["unstaffed_min"] == 30.0 and not load["staffed"]
    w2 = signed_in(client, 2)
    clock.advance(minutes=5)
    act(client, w2, 2, "sign-out")
    clock.advance(minutes=7)
    [load] = [w for w in overview(client)["windows"] if w["number"] == 2]
    assert load["unstaffed_min"] == 7.0
    clock.advance(hours=2, minutes=40)  # 12:22, lunch: nobody is expected
    ov = overview(client)
    assert ov["in_opening_hours"] is False
    assert all(w["unstaffed_min"] is None for w in ov["windows"])
    assert not [c for c in ov["conditions"] if c["kind"] == "window-unstaffed"]


def test_a_window_nobody_is_rostered_to_is_not_expected_to_be_staffed(
        client: TestClient, clock: FakeClock) -> None:
    """Unstaffed counts for windows with an A角 or B角 in the roster (空岗); a window the
    roster leaves out is one the hall keeps closed: no unstaffed minutes, no alert."""
    admin = login(client, "admin")
    body = client.get("/api/admin/layout", headers=admin).json()
    document = body["document"]
    for person in document["staff"]:
        person["role_a"] = [n for n in person["role_a"] if n != 2]
        person["role_b"] = [n for n in person["role_b"] if n != 2]
    r = client.put("/api/admin/layout", json={"version": body["version"], "document": document},
                   headers=admin)
    assert r.status_code == 200, r.text
    clock.advance(minutes=20)  # 09:50: every window unstaffed for 50 minutes
    ov = overview(client)
    loads = {w["number"]: w for w in ov["windows"]}
    assert loads[2]["unstaffed_min"] is None and not loads[2]["staffed"]
    assert loads[1]["unstaffed_min"] == 50.0
    unstaffed = {c["subject"] for c in ov["conditions"] if c["kind"] == "window-unstaffed"}
    assert "w1" in unstaffed and "w2" not in unstaffed


# ---- alerts ---------------------------------------------------------------------------------


def test_a_queue_alert_is_raised_once_resolves_itself_and_recurs(client: TestClient,
                                                                clock: FakeClock) -> None:
    monitor = services_of(client).monitor
    issue(client, "F", 9)  # 公积金 warns at 10 waiting
    monitor.check()
    assert alerts_of(client, "queue-waiting") == []
    issue(client, "F")
    first = monitor.check()
    [alert] = alerts_of(client, "queue-waiting")
    assert alert["id"] in first.raised and alert["acknowledged_at"] is None
    assert alert["message"] == "F类（公积金）等候 10 人，达到提醒线 10 人"
    assert alert["level"] == "warn"
    assert alert["id"] not in monitor.check().raised  # still holding: nothing new

    w23 = signed_in(client, 23)  # 公积金 is window 23's primary
    act(client, w23, 23, "call-next")
    ended = monitor.check()
    [alert] = alerts_of(client, "queue-waiting")
    assert alert["id"] in ended.resolved
    assert alert["acknowledged_by"] == AUTO_RESOLVED and alert["acknowledged_at"]

    issue(client, "F")  # the same second: a new episode still gets its own alert
    again = monitor.check()
    alerts = alerts_of(client, "queue-waiting")
    assert len(alerts) == 2 and alerts[0]["id"] in again.raised
    assert alerts[0]["acknowledged_at"] is None


def test_a_managers_acknowledgement_is_kept_when_the_condition_ends(
        client: TestClient, clock: FakeClock) -> None:
    monitor = services_of(client).monitor
    issue(client, "G", 10)
    monitor.check()
    [alert] = alerts_of(client, "queue-waiting")
    r = client.post(f"/api/alerts/{alert['id']}/ack", headers=login(client, "manager"))
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "manager"
    w13 = signed_in(client, 13)  # 综合受理 is window 13's primary
    act(client, w13, 13, "call-next")
    clock.advance(minutes=1)
    assert alert["id"] not in monitor.check().resolved  # (window 13's unstaffed alert is)
    [alert] = alerts_of(client, "queue-waiting")
    assert alert["acknowledged_by"] == "manager"
    issue(client, "G")
    assert monitor.check().raised
    assert len(alerts_of(client, "queue-waiting")) == 2


def test_a_restart_adopts_open_alerts_instead_of_repeating_them(client: TestClient,
                                                                clock: FakeClock) -> None:
    services = services_of(client)
    first = services.monitor.check()  # 09:30: windows unstaffed since 09:00
    assert first.raised
    unstaffed = alerts_of(client, "window-unstaffed")
    assert len(unstaffed) == 24
    assert unstaffed[0]["message"].endswith("无人在岗已 30 分钟")
    restarted = MonitorService(services.ctx, services.queues, services.alerts,
                               services.devices)
    assert restarted.check().raised == []
    signed_in(client, 5)
    ended = restarted.check()
    [w5] = [a for a in alerts_of(client, "window-unstaffed") if a["ref"].startswith("w5@")]
    assert ended.resolved == [w5["id"]] and w5["acknowledged_by"] == AUTO_RESOLVED


@pytest.fixture
def devices(client: TestClient) -> Services:
    """Three devices on a live bus: a kiosk, its printer and a window's pad."""
    services = services_of(client)
    registry = services.devices
    for info in (DeviceInfo("kiosk-1f-01", DeviceType.KIOSK, zone="a"),
                 DeviceInfo("printer-kiosk-1f-01", DeviceType.PRINTER, zone="a"),
                 DeviceInfo("pad-1", DeviceType.PAD, window=1, zone="a")):
        registry.known[info.id] = info
    registry.link = lambda: True
    registry.presence("kiosk-1f-01", DeviceStatus(state=Presence.ONLINE, epoch=1))
    registry.presence("printer-kiosk-1f-01", DeviceStatus(state=Presence.ONLINE, epoch=1))
    return services


def test_device_offline_paper_out_and_fault(client: TestClient, clock: FakeClock,
                                            devices: Services) -> None:
    registry, monitor = devices.devices, devices.monitor
    registry.presence("kiosk-1f-01", DeviceStatus(state=Presence.OFFLINE, epoch=1))
    clock.advance(seconds=119)  # device_offline_after_s is 120
    monitor.check()
    # pad-1 never connected: offline from the first check that saw it.
    assert alerts_of(client, "device-offline") == []
    clock.advance(seconds=1)
    monitor.check()
    [offline] = alerts_of(client, "device-offline")
    assert offline["ref"].startswith("kiosk-1f-01@") and offline["level"] == "alarm"
    assert offline["message"] == "取号机 kiosk-1f-01离线已 2 分钟"
    clock.advance(seconds=120)
    monitor.check()
    assert {a["ref"].split("@")[0] for a in alerts_of(client, "device-offline")} \
        == {"kiosk-1f-01", "pad-1"}

    registry.printer_status("printer-kiosk-1f-01", PrinterStatus(paper=PaperState.OUT,
                                                                 cover_open=True))
    monitor.check()
    [paper] = alerts_of(client, "paper-out")
    [fault] = alerts_of(client, "device-fault")
    assert paper["message"] == "打印机 printer-kiosk-1f-01缺纸"
    assert fault["message"] == "打印机 printer-kiosk-1f-01故障：纸仓盖打开"

    registry.link = lambda: False  # the bus is down: nothing known, nothing resolved
    assert monitor.check().resolved == []
    registry.link = lambda: True
    registry.printer_status("printer-kiosk-1f-01", PrinterStatus(paper=PaperState.OK))
    registry.presence("kiosk-1f-01", DeviceStatus(state=Presence.ONLINE, epoch=2))
    ended = monitor.check()
    assert sorted(ended.resolved) == sorted(
        [offline["id"], paper["id"], fault["id"]])


def test_only_managers_see_the_overview(client: TestClient) -> None:
    assert client.get("/api/monitor/overview").status_code == 401
    staff = login(client, "10001")
    r = client.get("/api/monitor/overview", headers=staff)
    assert r.status_code == 403 and r.json()["detail"]["code"] == "forbidden"
    assert client.get("/api/monitor/overview", headers=login(client, "admin")).status_code == 200


def test_saturday_follows_its_own_roster(client: TestClient, clock: FakeClock) -> None:
    """A hall open Saturday mornings where only 企业开办's two people work Saturdays (#20
    item 4): no unstaffed alerts for the others' windows, and the categories nobody serves
    that day refuse numbers (the kiosk state says which) instead of issuing them."""
    admin = login(client, "admin")
    body = client.get("/api/admin/layout", headers=admin).json()
    document = body["document"]
    document["service_days"]["open_weekdays"] = [1, 2, 3, 4, 5, 6]
    document["opening_hours"]["weekdays"] = {"6": [{"start": "09:00", "end": "12:00"}]}
    for person in document["staff"]:
        saturday = person["id"] in ("10001", "10002")  # windows 1-3: 企业开办 (A)
        person["weekdays"] = [1, 2, 3, 4, 5, 6] if saturday else [1, 2, 3, 4, 5]
    [wang] = [p for p in document["staff"] if p["id"] == "10002"]
    wang["absences"] = [{"start": "2026-11-28", "end": "2026-11-28", "note": "年假"}]
    r = client.put("/api/admin/layout", json={"version": body["version"], "document": document},
                   headers=admin)
    assert r.status_code == 200, r.text
    clock.now = clock.now.replace(day=28)  # Saturday 2026-11-28, 09:30
    services = services_of(client)
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    staffed = services.ctx.staffed_today(cfg)
    assert staffed == {1, 2}  # 10001: A at 1, B at 2 (10002, A at 2 and B at 3, on leave)
    ov = overview(client)
    unstaffed = {c["subject"] for c in ov["conditions"] if c["kind"] == "window-unstaffed"}
    assert unstaffed == {"w1", "w2"}  # not the 22 windows nobody works that Saturday
    assert take(client, {"category": "A"}).status_code == 201
    refused = take(client, {"category": "C"})  # 社保医保: nobody today
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "nobody_today"
    assert "今日无人办理" in refused.json()["detail"]["message"]
    displays = DisplayService(services.ctx, services.windows, services.queues)
    unserved = set(displays.kiosk(version=1).unserved)
    assert "qiye" not in unserved and "shebao" in unserved
    clock.now = clock.now.replace(day=30)  # Monday: everyone on duty again
    assert take(client, {"category": "C"}).status_code == 201
