"""Displays follow committed state: the window LED, the hall screen, late joiners."""

from __future__ import annotations

from hallbus_support import Hall, Inbox, RawPeer, http_ticket, staff_at, wait_until

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, state


def test_call_reaches_led_and_screen_and_late_joiners(hall: Hall) -> None:
    led_inbox, screen_inbox = Inbox(), Inbox()
    led = hall.device("led-5", inbox=led_inbox)
    hall.device("screen-a", inbox=screen_inbox)
    first = led_inbox.wait(m.WindowDisplayState, lambda s: s.window == 5, what="at connect")
    assert first.number is None

    headers = staff_at(hall.client, 5)
    led_inbox.wait(m.WindowDisplayState, lambda s: s.staff and s.staff[0].staff_id == "10005",
                   what="with the signed-in staff (亮证)")
    before = led.state()
    assert isinstance(before, m.WindowDisplayState)
    number = http_ticket(hall.client, "shebao")

    r = hall.client.post("/api/windows/5/call-next", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["called"]["number"] == number

    shown = led_inbox.wait(m.WindowDisplayState, lambda s: s.number == number,
                           what=f"showing {number}")
    assert (shown.window, shown.mode, shown.ticket_state) == (5, "open", "called")
    assert shown.version > before.version
    call = screen_inbox.wait(m.CallAnnouncement, lambda c: c.number == number)
    assert call.window == 5
    assert call.text.zh == f"请 {number} 号到 5 号窗口办理"
    assert not call.recall
    screen = screen_inbox.wait(
        m.ScreenState, lambda s: any(w.window == 5 and w.number == number for w in s.windows),
        what="listing the call")
    assert screen.latest is None or screen.latest.number == number

    # A late joiner gets the current state from the broker at once (retained), before any
    # birth of its own: a bare subscriber that never publishes one.
    hall.sync_idle()
    led.stop()
    topic = str(state("demo", DeviceType.LED, "led-5"))
    peer = RawPeer("127.0.0.1", hall.port, "led-5", hall.password("led-5"))
    try:
        peer.subscribe(topic)
        (retained,) = peer.wait_count(topic, 1)
        assert retained.retain
        current = m.WindowDisplayState.model_validate_json(retained.payload)
        assert (current.number, current.window) == (number, 5)
        assert current.version >= shown.version
    finally:
        peer.close()
    late_inbox = Inbox()
    late = hall.device("led-5", inbox=late_inbox)
    wait_until(lambda: getattr(late.state(), "number", None) == number, timeout=2,
               what="the late LED showing the call")
