"""好差评 over the real brokers: a completion arms the window's pad, a rating lands once, and
every kind of bad rating input is refused (and counted) or deduplicated.

Pads are plain MQTT peers here (the pad app has its own tests): the test sees exactly the
bytes a pad would send and receive."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from hallbus_support import Hall, RawPeer, http_ticket, staff_at, wait_until
from sqlalchemy import func, select, update
from support import login

from devices.printer.agent import PrinterDevice
from devices.printer.decode import qr_urls, text_of
from devices.printer.fake import FakeNetworkPrinter
from devices.protocol import messages as m
from devices.protocol.catalog import encode
from devices.protocol.topics import DeviceType, cmd, evt
from hallserver.store.models import (
    FollowUpRow,
    RatingArmRow,
    RatingRefusalRow,
    RatingReviewRow,
    RatingRow,
)


def pad_peer(hall: Hall, pad: str) -> RawPeer:
    peer = RawPeer("127.0.0.1", hall.port, pad, hall.password(pad))
    peer.subscribe(f"hall/demo/pad/{pad}/cmd/+")
    return peer


def serve_one(hall: Hall, window: int, headers: dict[str, str], outcome: str = "completed",
              category: str = "qiye") -> str:
    """Issue, call, start and complete one ticket at a window; its number."""
    number = http_ticket(hall.client, category)
    c = hall.client
    r = c.post(f"/api/windows/{window}/call-next", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["called"]["number"] == number, r.json()
    assert c.post(f"/api/windows/{window}/start", headers=headers).status_code == 200
    r = c.post(f"/api/windows/{window}/complete", json={"outcome": outcome}, headers=headers)
    assert r.status_code == 200, r.text
    return number


def arm_of(peer: RawPeer, pad: str, count: int) -> m.PadArm:
    got = peer.wait_count(cmd("demo", DeviceType.PAD, pad, "arm"), count)
    return m.PadArm.model_validate_json(got[count - 1].payload)


def rating(token: str, level: int = 5, **extra: Any) -> bytes:
    """A pad's rating payload, bent as a test needs (levels out of range, extra claims)."""
    body = json.loads(encode(m.Rating(token=token, level=3)))
    body.update(level=level, **extra)
    return json.dumps(body).encode()


def acks(peer: RawPeer, pad: str) -> list[m.RatingAck]:
    return [m.RatingAck.model_validate_json(r.payload)
            for r in peer.received(cmd("demo", DeviceType.PAD, pad, "rating-ack"))]


def count(hall: Hall, model: type[Any], *where: Any) -> int:
    with hall.services.ctx.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_completion_arms_the_pad_and_the_fraud_matrix_is_refused(hall: Hall) -> None:
    pad1, pad2 = pad_peer(hall, "pad-1"), pad_peer(hall, "pad-2")
    try:
        h1, h2 = staff_at(hall.client, 1), staff_at(hall.client, 2)
        number1 = serve_one(hall, 1, h1)
        arm1 = arm_of(pad1, "pad-1", 1)
        assert (arm1.number, arm1.window) == (number1, 1)
        assert arm1.staff is not None and arm1.staff.staff_id == "10001"
        assert arm1.expires_at > m.utc_now()
        serve_one(hall, 2, h2)
        arm2 = arm_of(pad2, "pad-2", 1)
        assert arm2.window == 2
        assert pad1.received(cmd("demo", DeviceType.PAD, "pad-1", "arm"))[0].payload != b""
        assert len(pad1.received(cmd("demo", DeviceType.PAD, "pad-1", "arm"))) == 1

        topic1 = evt("demo", DeviceType.PAD, "pad-1", "rating")
        ack_topic1 = cmd("demo", DeviceType.PAD, "pad-1", "rating-ack")
        sent_acks = 0

        def send(payload: bytes, expect_ack: bool = True) -> m.RatingAck | None:
            nonlocal sent_acks
            pad1.publish(topic1, payload)
            if not expect_ack:
                return None
            sent_acks += 1
            return m.RatingAck.model_validate_json(
                pad1.wait_count(ack_topic1, sent_acks)[-1].payload)

        time.sleep(0.35)  # a citizen reads the pad before tapping (faster is flagged)
        # 1. no token at all: refused by the protocol, counted
        no_token = json.loads(rating(arm1.token))
        del no_token["token"]
        send(json.dumps(no_token).encode(), expect_ack=False)
        # 2. a forged token
        assert send(rating("forged-token-0001")).code == "unknown-token"
        # 3. another window's token (window 2's, from pad 1)
        assert send(rating(arm2.token)).code == "wrong-window"
        # 4. a payload that claims another window: identity claims are refused, not used
        send(rating(arm2.token, window=2), expect_ack=False)
        # 5. out-of-range levels
        send(rating(arm1.token, level=6), expect_ack=False)
        send(rating(arm1.token, level=0), expect_ack=False)
        # 6. an unknown reason code
        assert send(json.dumps({**json.loads(rating(arm1.token, level=1)),
                                "reasons": ["bogus"]}).encode()).code == "unknown-reason"
        # 7. another pad's topic: pad 2 publishing as pad 1 is dropped by the broker's ACL
        pad2.publish(topic1, rating(arm1.token, level=1))
        # the good one, and 8. its redelivery (same bytes, same msg_id)
        good = rating(arm1.token, level=4)
        first = send(good)
        assert first is not None and first.accepted, first
        again = send(good)
        assert again is not None and again.accepted  # the stored answer, no second effect
        # 9. the token replayed in a new message
        assert send(rating(arm1.token, level=1)).code == "used"
        # 10. a rating with no completed ticket: a ticket is being served, nothing armed
        http_ticket(hall.client, "qiye")
        assert hall.client.post("/api/windows/1/call-next", headers=h1).status_code == 200
        assert send(rating(m.new_id())).code == "unknown-token"
        # 11. an expired token: window 2's arm, its expiry moved into the past
        with hall.services.ctx.db.write() as session:
            session.execute(update(RatingArmRow).where(RatingArmRow.token == arm2.token)
                            .values(expires_at=m.utc_now() - timedelta(seconds=1)))
        pad2.publish(evt("demo", DeviceType.PAD, "pad-2", "rating"), rating(arm2.token))
        ack2 = m.RatingAck.model_validate_json(
            pad2.wait_count(cmd("demo", DeviceType.PAD, "pad-2", "rating-ack"), 1)[0].payload)
        assert (ack2.accepted, ack2.code) == (False, "expired")
        # 12. a burst of ratings from one pad
        for _ in range(8):
            pad1.publish(topic1, rating(m.new_id(), level=1))
        wait_until(lambda: len(acks(pad1, "pad-1")) >= sent_acks + 8, 10, "burst answered")
        assert not any(a.accepted for a in acks(pad1, "pad-1")[sent_acks:])

        # One rating stored: the transaction at window 1, at the level of the good message.
        with hall.services.ctx.db.read() as session:
            stored = session.scalars(select(RatingRow)).all()
            assert [(r.window, r.level, r.source, r.pad_id) for r in stored] == [
                (1, 4, "pad", "pad-1")]
            # Rated after 350 ms: not "fast"; but it came after several refused messages
            # from the same pad within seconds: accepted *and* flagged for review.
            assert stored[0].flags == ["burst"]
        codes = dict(hall.services.ratings.summary(
            stored[0].service_day, stored[0].service_day).refusals)
        assert codes["unknown-token"] >= 10  # forged, no ticket, the burst
        for code in ("wrong-window", "used", "unknown-reason", "expired"):
            assert codes[code] == 1, codes
        # no token, a window claim, two levels out of range
        assert codes["invalid:invalid"] == 4, codes
        assert count(hall, RatingRefusalRow, RatingRefusalRow.pad_id == "pad-2") == 1
        yesterday = stored[0].service_day - timedelta(days=1)
        assert hall.services.ratings.summary(yesterday, yesterday).refusals == {}
        # The flagged rating, and the burst of refused messages (one review per minute).
        assert 2 <= count(hall, RatingReviewRow, RatingReviewRow.kind == "burst") <= 3
        assert hall.rejected("rating-unknown-token") >= 10
        assert count(hall, FollowUpRow) == 0  # 满意 opens nothing
    finally:
        pad1.close()
        pad2.close()


def test_bad_rating_opens_a_followup_the_manager_sees(hall: Hall) -> None:
    pad = pad_peer(hall, "pad-3")
    try:
        headers = staff_at(hall.client, 3)
        serve_one(hall, 3, headers)
        arm = arm_of(pad, "pad-3", 1)
        # Sent at once: accepted, and flagged for review as faster than anyone reads.
        payload = json.loads(rating(arm.token, level=1))
        payload["reasons"] = ["wait-too-long", "attitude"]
        pad.publish(evt("demo", DeviceType.PAD, "pad-3", "rating"), json.dumps(payload))
        ack = m.RatingAck.model_validate_json(
            pad.wait_count(cmd("demo", DeviceType.PAD, "pad-3", "rating-ack"), 1)[0].payload)
        assert ack.accepted, ack
        manager = login(hall.client, "manager")
        cases = hall.client.get("/api/followups", headers=manager).json()
        assert len(cases) == 1
        case = cases[0]
        assert (case["window"], case["level"], case["status"]) == (3, 1, "open")
        assert case["reason_names"] == ["等候时间过长", "服务态度差"]
        # 15 working days from today's service day, by the hall's own calendar.
        services = hall.services
        with services.ctx.db.read() as session:
            cfg = services.ctx.layout.current(session)
        calendar = services.ctx.calendar(cfg)
        today = calendar.service_day(m.utc_now())
        assert case["answer_by"] == calendar.add_working_days(today, 15).isoformat()
        alerts = hall.client.get("/api/alerts", headers=manager).json()
        kinds = {a["kind"] for a in alerts}
        assert "bad-rating" in kinds
        assert "review-fast" in kinds  # rated within 300 ms of arming
        ratings = hall.client.get("/api/ratings", headers=manager).json()
        assert len(ratings) == 1
        # Managers see windows and staff, never the ticket or anything about the citizen.
        assert "ticket_id" not in ratings[0]
        assert "number" not in ratings[0]
        assert ratings[0]["staff_id"] == "10003"
    finally:
        pad.close()


def test_pad_that_reconnects_is_armed_again(hall: Hall) -> None:
    headers = staff_at(hall.client, 4)
    serve_one(hall, 4, headers)
    pad = pad_peer(hall, "pad-4")  # connects after the arm was sent
    try:
        # The birth message makes the server re-send the live arm.
        pad.publish("hall/demo/pad/pad-4/status", encode(m.DeviceStatus(
            state=m.Presence.ONLINE, epoch=time.time_ns() // 1_000_000)), retain=True)
        arm = arm_of(pad, "pad-4", 1)
        assert arm.window == 4
    finally:
        pad.publish("hall/demo/pad/pad-4/status", b"", retain=True)
        pad.close()


def test_accepted_completion_prints_a_receipt_whose_qr_shows_the_case(hall: Hall) -> None:
    printer = RawPeer("127.0.0.1", hall.port, "printer-w5", hall.password("printer-w5"))
    printer.subscribe("hall/demo/printer/printer-w5/cmd/+")
    try:
        headers = staff_at(hall.client, 5)
        serve_one(hall, 5, headers, outcome="accepted", category="shebao")
        got = printer.wait_count(cmd("demo", DeviceType.PRINTER, "printer-w5", "print"), 1)
        job = m.PrintJob.model_validate_json(got[0].payload)
        doc = job.document
        assert isinstance(doc, m.ReceiptDocument)
        assert doc.window == 5 and not job.reprint
        token = doc.qr_url.rsplit("/c/", 1)[1]
        case = hall.client.get(f"/api/cases/public/{token}").json()
        assert case["case_no"] == doc.case_no
        info = hall.client.get("/api/windows/5", headers=headers).json()
        assert info["last_case"]["case_no"] == doc.case_no
        assert info["last_case"]["receipt"] == "queued"
        printer.publish(evt("demo", DeviceType.PRINTER, "printer-w5", "print-result"),
                        encode(m.PrintResult(job_id=job.job_id, ok=True)))
        wait_until(lambda: hall.client.get("/api/windows/5", headers=headers)
                   .json()["last_case"]["receipt"] == "printed", 10, "receipt printed")
        # A reprint (补打) from the window goes to the same printer, marked as a copy.
        r = hall.client.post(f"/api/cases/{doc.case_no}/print-receipt", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["receipt"] == "queued"
        again = printer.wait_count(cmd("demo", DeviceType.PRINTER, "printer-w5", "print"), 2)
        copy = m.PrintJob.model_validate_json(again[1].payload)
        assert copy.reprint and copy.job_id != job.job_id
    finally:
        printer.close()


def test_receipt_reaches_paper_through_the_printer_agent(hall: Hall, tmp_path: Path) -> None:
    """The real printer agent on a fake network printer: the bytes name the case and its
    QR code opens the case's public status."""
    from test_kiosk_runtime import TZ, printer_config  # noqa: PLC0415 (shared test helpers)

    fake = FakeNetworkPrinter().start()
    device = PrinterDevice(printer_config(hall, "printer-w6", fake, tmp_path), tz=TZ,
                           journal=tmp_path / "journal.db")
    device.start()
    try:
        wait_until(lambda: hall.services.devices.get("printer-w6").health == "ok", 10,
                   "printer-w6 online and healthy")
        headers = staff_at(hall.client, 6)
        serve_one(hall, 6, headers, outcome="accepted", category="shebao")
        wait_until(lambda: hall.client.get("/api/windows/6", headers=headers)
                   .json()["last_case"]["receipt"] == "printed", 15, "receipt printed")
        info = hall.client.get("/api/windows/6", headers=headers).json()["last_case"]
        data = bytes(fake.received)
        assert info["case_no"] in text_of(data)
        assert "收件回执" in text_of(data)
        urls = qr_urls(data)
        assert len(urls) == 1
        assert urls[0].endswith(info["public_path"])
        token = urls[0].rsplit("/c/", 1)[1]
        case = hall.client.get(f"/api/cases/public/{token}").json()
        assert (case["case_no"], case["window"]) == (info["case_no"], 6)
    finally:
        device.stop()
        fake.close()


def test_pad_shows_who_is_on_duty_with_a_photo(hall: Hall) -> None:
    """亮证: the window state names the staff member and the hash of their photo; the pad
    fetches the photo over the bus, a browser over HTTP."""
    import base64  # noqa: PLC0415
    import hashlib  # noqa: PLC0415

    pad = pad_peer(hall, "pad-1")
    try:
        pad.subscribe("hall/demo/pad/pad-1/state")
        staff_at(hall.client, 1)
        photo = (Path(hall.settings.config).parent / "staff" / "10001.jpg").read_bytes()
        digest = hashlib.sha256(photo).hexdigest()[:16]

        def on_duty() -> list[dict[str, Any]]:
            states = pad.received("hall/demo/pad/pad-1/state")
            return states[-1].json()["staff"] if states else []
        wait_until(lambda: on_duty() and on_duty()[0]["staff_id"] == "10001", 10,
                   "pad state names who is on duty")
        assert on_duty()[0]["photo"] == digest
        pad.publish(evt("demo", DeviceType.PAD, "pad-1", "photo-request"),
                    encode(m.PhotoRequest(request_id=m.new_id(), staff_id="10001")))
        got = m.StaffPhoto.model_validate_json(
            pad.wait_count(cmd("demo", DeviceType.PAD, "pad-1", "photo"), 1)[0].payload)
        assert got.found and got.photo == digest
        assert base64.b64decode(got.jpeg_b64 or "") == photo
        pad.publish(evt("demo", DeviceType.PAD, "pad-1", "photo-request"),
                    encode(m.PhotoRequest(request_id=m.new_id(), staff_id="10009")))
        none = m.StaffPhoto.model_validate_json(
            pad.wait_count(cmd("demo", DeviceType.PAD, "pad-1", "photo"), 2)[1].payload)
        assert (none.found, none.jpeg_b64) == (False, None)
        r = hall.client.get("/api/staff/10001/photo")
        assert (r.status_code, r.headers["content-type"], r.content) == (200, "image/jpeg",
                                                                          photo)
        assert hall.client.get("/api/staff/10009/photo").status_code == 404
    finally:
        pad.close()
