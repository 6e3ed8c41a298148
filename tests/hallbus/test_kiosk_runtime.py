"""The kiosk and terminal processes against the real hall server on both brokers: take a
number, priority, appointment check-in, case status and reprint, and the fault states
(paper out, printer offline, server unreachable, broker restart mid-request)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import pytest
from hallbus_support import Hall, wait_until
from sqlalchemy import select
from support import DEMO_CONFIG, login
from support import take as take_at_desk

from devices.camera.qr import decode_qr
from devices.config.links import NetworkTransport
from devices.config.loader import load_device
from devices.config.models import Kiosk, Printer, Terminal
from devices.config.secret import SecretSource
from devices.printer.decode import qr_urls, text_of
from devices.printer.fake import FakeNetworkPrinter
from devices.protocol import messages as m
from hallserver.store.models import CaseEventRow, CaseRow
from kiosk.model import Page
from kiosk.runtime import KioskRuntime

DEVICES = DEMO_CONFIG.parent / "devices"
TZ = ZoneInfo("Asia/Shanghai")
ISSUE_TIMEOUT = 10.0


def device_config(hall: Hall, device_id: str, **changes: object):  # type: ignore[no-untyped-def]
    cfg = load_device(DEVICES / f"{device_id}.yaml", SecretSource(hall.settings.secrets))
    mqtt = cfg.mqtt.model_copy(update={"port": hall.port})
    return cfg.model_copy(update={"mqtt": mqtt, **changes})


def printer_config(hall: Hall, device_id: str, printer: FakeNetworkPrinter | None,
                   tmp_path: Path) -> Printer:
    transport = (NetworkTransport(kind="network", host=printer.host, port=printer.port)
                 if printer is not None else None)
    cfg = device_config(hall, device_id, timeout_s=1.0)
    if transport is not None:
        cfg = cfg.model_copy(update={"transport": transport})
    else:
        cfg = cfg.model_copy(update={"transport": cfg.transport.model_copy(
            update={"path": str(tmp_path / f"{device_id}.bin")})})
    assert isinstance(cfg, Printer)
    return cfg


@pytest.fixture
def fake_printer() -> FakeNetworkPrinter:
    p = FakeNetworkPrinter().start()
    yield p
    p.close()


def kiosk(hall: Hall, tmp_path: Path, printer: FakeNetworkPrinter | None,
          device_id: str = "kiosk-a1", printer_id: str = "printer-a1") -> KioskRuntime:
    cfg = device_config(hall, device_id)
    assert isinstance(cfg, Kiosk | Terminal)
    rt = KioskRuntime(cfg, printer_config(hall, printer_id, printer, tmp_path),
                      state_dir=tmp_path / device_id, tz=TZ, printer_poll_s=0.5)
    rt.start()
    hall._stoppers.append(rt.stop)  # type: ignore[attr-defined]
    wait_until(lambda: rt.controller.view.accepting, 10, f"{device_id} ready")
    return rt


@pytest.fixture
def stoppers(hall: Hall):
    hall._stoppers = []  # type: ignore[attr-defined]
    yield hall
    for stop in reversed(hall._stoppers):  # type: ignore[attr-defined]
        stop()


def take(rt: KioskRuntime, category: str, item: str | None = None, *,
         priority: bool = False) -> None:
    c = rt.controller
    c.home()
    c.open_category(category)
    if item:
        c.open_item(item)
    c.set_priority(priority)
    c.take_number()


def test_take_a_number_prints_the_committed_ticket(stoppers: Hall, tmp_path: Path,
                                                   fake_printer: FakeNetworkPrinter) -> None:
    hall = stoppers
    rt = kiosk(hall, tmp_path, fake_printer)
    view = rt.controller.view
    assert view.categories, "the kiosk got the service catalog"
    assert all(c.zone == "zone-a" for c in view.categories) or view.categories
    category = view.categories[0]
    take(rt, category.code, category.items[0].code if category.items else None)
    wait_until(lambda: rt.controller.view.page is Page.TICKET, ISSUE_TIMEOUT, "ticket shown")
    ticket = rt.controller.view.ticket
    assert ticket is not None
    # Committed on the server before it was shown.
    token = ticket.status_path.removeprefix("/t/")
    status = hall.client.get(f"/api/tickets/public/{token}").json()
    assert status["number"] == ticket.number
    wait_until(lambda: rt.controller.view.print_state == "printed", 10, "printed")
    # "Printed" is the kiosk's word once its bytes are on the wire; the far end may still
    # be reading them (a busy machine): the job is whole when its cut has arrived.
    assert fake_printer.wait_cuts(1), "the ticket's cut never reached the printer"
    data = bytes(fake_printer.printed)
    assert ticket.number in text_of(data)
    assert category.name.zh in text_of(data)
    assert qr_urls(data) == [ticket.status_url]
    assert ticket.status_url.endswith(ticket.status_path)


def test_priority_lane_ticket_is_marked_on_the_server(stoppers: Hall, tmp_path: Path,
                                                      fake_printer: FakeNetworkPrinter) -> None:
    rt = kiosk(stoppers, tmp_path, fake_printer)
    take(rt, rt.controller.view.categories[0].code, priority=True)
    wait_until(lambda: rt.controller.view.ticket is not None, ISSUE_TIMEOUT, "ticket")
    assert rt.controller.view.ticket.priority is True  # type: ignore[union-attr]


def test_appointment_check_in_by_code_and_again(stoppers: Hall, tmp_path: Path,
                                                fake_printer: FakeNetworkPrinter) -> None:
    hall = stoppers
    rt = kiosk(hall, tmp_path, fake_printer)
    manager = login(hall.client, "manager")
    now = hall.services.ctx.clock()
    booked = hall.client.post("/api/appointments", headers=manager, json={
        "category": "qiye", "slot_start": (now + timedelta(minutes=10)).isoformat(),
        "slot_end": (now + timedelta(minutes=40)).isoformat()}).json()
    c = rt.controller
    c.open_check_in()
    for ch in booked["code"]:
        c.type_key(ch)
    c.submit_code()
    wait_until(lambda: c.view.page is Page.TICKET, ISSUE_TIMEOUT, "checked in")
    first = c.view.ticket
    assert first is not None and first.appointment_at is not None and not c.view.reprint
    wait_until(lambda: c.view.print_state == "printed", 10, "printed")
    c.home()
    c.scanned(booked["code"])  # the citizen scans the same code again
    wait_until(lambda: c.view.page is Page.TICKET, ISSUE_TIMEOUT, "checked in again")
    assert c.view.ticket.number == first.number and c.view.reprint  # type: ignore[union-attr]
    wait_until(lambda: c.view.print_state == "printed", 10, "copy printed")
    assert fake_printer.wait_cuts(2), "the copy's cut never reached the printer"
    assert "补打" in text_of(bytes(fake_printer.printed))
    c.home()
    c.scanned("7K3M-0Q9T-XW2P-5RBA")  # well-formed, wrongly signed
    wait_until(lambda: c.view.page is Page.REFUSED, ISSUE_TIMEOUT, "refused")
    assert "预约码无效" in c.view.refusal.zh  # type: ignore[union-attr]
    assert hall.rejected("bad-appointment-code") == 1


def test_paper_out_keeps_the_number_on_screen_and_alerts_staff(
        stoppers: Hall, tmp_path: Path, fake_printer: FakeNetworkPrinter) -> None:
    hall = stoppers
    rt = kiosk(hall, tmp_path, fake_printer)
    fake_printer.set_state(paper=m.PaperState.OUT)
    take(rt, rt.controller.view.categories[0].code)
    wait_until(lambda: rt.controller.view.page is Page.TICKET, ISSUE_TIMEOUT, "ticket")
    wait_until(lambda: rt.controller.view.print_state == "failed", 10, "print failed")
    assert rt.controller.view.qr_url and rt.controller.view.ticket is not None
    assert "缺纸" in rt.controller.view.printer_warning.zh  # type: ignore[union-attr]
    staff = login(hall.client, "manager")

    def helper_reasons() -> list[str]:
        return [r["reason"] for r in hall.client.get("/api/helper-requests",
                                                     headers=staff).json()]
    wait_until(lambda: "device-fault" in helper_reasons(), 10, "staff paged")
    wait_until(lambda: hall.client.get("/api/devices/printer-a1", headers=staff).json()
               .get("paper") == "out", 10, "server knows the paper is out")
    assert bytes(fake_printer.printed).count(rt.controller.view.ticket.number.encode()) == 0


def test_printer_offline_never_blocks_the_screen(stoppers: Hall, tmp_path: Path,
                                                 fake_printer: FakeNetworkPrinter) -> None:
    rt = kiosk(stoppers, tmp_path, fake_printer)
    # A printer that takes the job and never answers: the number is on screen all the same.
    fake_printer.hold_answers()
    take(rt, rt.controller.view.categories[0].code)
    wait_until(lambda: rt.controller.view.page is Page.TICKET, ISSUE_TIMEOUT, "ticket")
    assert rt.controller.view.print_state == "printing"
    fake_printer.set_state(offline=True)
    fake_printer.release_answers()
    rt.controller.home()
    take(rt, rt.controller.view.categories[0].code)
    wait_until(lambda: rt.controller.view.page is Page.TICKET, ISSUE_TIMEOUT, "ticket")
    wait_until(lambda: rt.controller.view.print_state == "failed", 10, "print failed")
    assert rt.controller.view.ticket is not None


def test_server_unreachable_pauses_issuing_and_resumes(stoppers: Hall, tmp_path: Path,
                                                       fake_printer: FakeNetworkPrinter) -> None:
    hall = stoppers
    rt = kiosk(hall, tmp_path, fake_printer)
    hall.stop_server_keeping_port()
    if hall.broker is None:
        # The embedded broker stopped with the server: the kiosk lost its broker.
        wait_until(lambda: not rt.controller.view.accepting, 30, "paused")
    else:
        wait_until(lambda: not rt.controller.view.accepting, 10, "paused")
    assert "暂停取号" in rt.controller.view.paused.zh  # type: ignore[union-attr]
    take(rt, rt.controller.view.categories[0].code)
    assert rt.controller.view.page is Page.PAUSED and rt.controller.view.ticket is None
    hall.start_server()
    wait_until(lambda: rt.controller.view.accepting, 40, "accepting again")


def test_broker_restart_mid_request_issues_exactly_one_ticket(
        stoppers: Hall, tmp_path: Path, fake_printer: FakeNetworkPrinter) -> None:
    hall = stoppers
    if hall.broker is None:
        pytest.skip("restarting the broker under a running server needs the external broker")
    rt = kiosk(hall, tmp_path, fake_printer)
    category = rt.controller.view.categories[0].code
    before = len(hall.client.get("/api/queues/" + category).json())
    # The broker dies right after the tap: the request, or its reply, is lost with it
    # (Mosquitto runs without persistence here).
    take(rt, category)
    hall.broker.kill()
    assert rt.controller.view.page is Page.ISSUING
    hall.broker.restart()
    wait_until(lambda: rt.controller.view.page is Page.TICKET, 40, "ticket after restart")
    after = hall.client.get("/api/queues/" + category).json()
    assert len(after) == before + 1
    assert rt.controller.view.ticket.number in [e["number"] for e in after]  # type: ignore[union-attr]
    wait_until(lambda: rt.controller.view.print_state == "printed", 10, "printed")
    number = rt.controller.view.ticket.number.encode()  # type: ignore[union-attr]
    assert fake_printer.wait_cuts(1), "the ticket's cut never reached the printer"
    assert bytes(fake_printer.printed).count(number) == 1


def test_terminal_answers_ticket_and_case_queries_and_reprints(
        stoppers: Hall, tmp_path: Path, fake_printer: FakeNetworkPrinter) -> None:
    hall = stoppers
    issued = take_at_desk(hall.client, {"category": "A", "item_code": "QY-008"}).json()
    staff = login(hall.client, "10001")
    hall.client.post("/api/windows/1/sign-in", json={"role": "A"}, headers=staff)
    for action in ("call-next", "start"):
        assert hall.client.post(f"/api/windows/1/{action}", headers=staff).status_code == 200
    rt = kiosk(hall, tmp_path, fake_printer, "terminal-a1", "printer-a2")
    assert rt.printer is not None and rt.printer.config.chinese == "image"  # 58 mm, images
    jobs: list[m.PrintJob] = []
    link_log: list[tuple[str, m.Message]] = []
    real_send = rt.client.send
    rt.client.send = lambda name, msg: (link_log.append((name, msg)), real_send(name, msg))[1]  # type: ignore[method-assign]
    real = rt.printer.print_local
    rt.printer.print_local = lambda job, done=None: (jobs.append(job), real(job, done))  # type: ignore[method-assign]
    c = rt.controller
    c.open_scan()
    c.scanned(f"http://hall.example{issued['status_path']}")
    wait_until(lambda: c.view.page is Page.TICKET_STATUS, ISSUE_TIMEOUT, "ticket status")
    assert c.view.query_ticket.number == issued["number"]  # type: ignore[union-attr]
    assert c.view.query_ticket.state == "serving"  # type: ignore[union-attr]
    assert c.view.query_ticket.window == 1  # type: ignore[union-attr]
    r = hall.client.post("/api/windows/1/complete", headers=staff, json={"outcome": "accepted"})
    assert r.status_code == 200
    with hall.services.ctx.db.read() as s:
        token = s.scalars(select(CaseRow)).one().public_token
    c.home()
    c.open_scan()
    c.scanned(f"http://hall.example/c/{token}")
    wait_until(lambda: c.view.page is Page.CASE_STATUS, ISSUE_TIMEOUT, "case status")
    case = c.view.query_case
    assert case is not None and case.window == 1 and case.status == "accepted"
    assert case.working_days_left >= 0
    cuts = fake_printer.cuts
    c.reprint_receipt()
    wait_until(lambda: c.view.print_state == "printed", 10, "receipt copy printed")
    assert fake_printer.wait_cuts(cuts + 1), "the copy's cut never reached the printer"
    assert [(j.reprint, j.document.kind) for j in jobs] == [(True, "receipt")]
    assert jobs[0].document.case_no == case.case_no  # type: ignore[union-attr]
    assert any(u.endswith(f"/c/{token}") for u in qr_urls(bytes(fake_printer.printed)))
    # The same reprint request delivered again is answered but logged once.
    sent = [msg for _name, msg in link_log if isinstance(msg, m.Query)]
    assert sent[-1].purpose == "reprint"
    before = hall.stats()["handled"].get("query", 0)
    rt.client.send("query", sent[-1])
    wait_until(lambda: hall.stats()["handled"].get("query", 0) > before, 10, "redelivery")
    with hall.services.ctx.db.read() as s:
        reprints = s.scalars(select(CaseEventRow.action).where(
            CaseEventRow.action == "reprint")).all()
    assert reprints == ["reprint"]
    assert len(jobs) == 1  # nothing printed for the redelivery


def test_demo_hall_flow_screenshots(stoppers: Hall, tmp_path: Path,
                                    fake_printer: FakeNetworkPrinter) -> None:
    """The kiosk's screens as the demo hall drives them (real server, broker, printer),
    rendered headless to artifacts/kiosk-demo/ - look at them."""
    hall = stoppers
    if hall.kind != "amqtt":
        pytest.skip("one broker is enough for pictures")
    rt = kiosk(hall, tmp_path, fake_printer)
    c = rt.controller
    shots: list[tuple[str, object]] = [("01-home", c.view)]
    category = c.view.categories[0]
    take(rt, category.code, category.items[0].code if category.items else None,
         priority=True)
    wait_until(lambda: c.view.print_state == "printed", ISSUE_TIMEOUT, "printed")
    shots.append(("02-priority-ticket-printed", c.view))
    manager = login(hall.client, "manager")
    now = hall.services.ctx.clock()
    booked = hall.client.post("/api/appointments", headers=manager, json={
        "category": category.code, "slot_start": now.isoformat(),
        "slot_end": (now + timedelta(minutes=30)).isoformat()}).json()
    c.home()
    c.open_check_in()
    for ch in booked["code"][:9]:
        c.type_key(ch)
    shots.append(("03-check-in-typing", c.view))
    for ch in booked["code"][9:]:
        c.type_key(ch)
    c.submit_code()
    wait_until(lambda: c.view.page is Page.TICKET, ISSUE_TIMEOUT, "checked in")
    shots.append(("04-appointment-ticket", c.view))
    fake_printer.set_state(paper=m.PaperState.OUT)
    take(rt, category.code)
    wait_until(lambda: c.view.print_state == "failed", ISSUE_TIMEOUT, "paper out")
    shots.append(("05-paper-out", c.view))
    fake_printer.set_state(paper=m.PaperState.OK)
    hall.stop_server_keeping_port()
    wait_until(lambda: not c.view.accepting, 30, "paused")
    c.home()
    shots.append(("06-server-away-home", c.view))
    take(rt, category.code)
    shots.append(("07-server-away-paused", c.view))
    views = tmp_path / "views.pickle"
    views.write_bytes(pickle.dumps(shots))
    out = Path(__file__).resolve().parents[2] / "artifacts" / "kiosk-demo"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "render_views.py"),
                           str(views), str(out)], env=env, capture_output=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    for name, _view in shots:
        png = out / f"{name}.png"
        assert png.exists(), name
        pixels = cv2.imread(str(png))
        assert pixels.shape[:2] == (1920, 1080)
        assert pixels.std() > 10, f"{name} is blank"
    ticket = cv2.imread(str(out / "02-priority-ticket-printed.png"))
    assert decode_qr(ticket) == shots[1][1].qr_url  # type: ignore[attr-defined]
