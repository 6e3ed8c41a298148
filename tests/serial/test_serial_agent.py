"""onewindow-agent end to end: fake serial devices on ptys, the real broker, the real server.

Caller and LED run against the demo hall server (amqtt and Mosquitto); the pad runs against
a bare broker, the test playing the server (`cmd/arm`, `cmd/rating-ack`) with the server's
account, while server-side arming is being written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hallbus_support import HALL, Hall, RawPeer, http_ticket, staff_at, waiting
from harness.mosquitto import MosquittoServer, mosquitto_available
from serial_support import wait_until

from devices.agent.bridges import PadBridge
from devices.agent.cli import main
from devices.agent.render import PAD_IDLE, PAD_REFUSED, PAD_THANKS
from devices.agent.runner import Agent
from devices.config.loader import load_device
from devices.config.secret import SERVER_SECRET, SecretSource
from devices.protocol import messages as m
from devices.protocol.catalog import encode
from devices.protocol.topics import DeviceType, cmd, evt, status
from devices.serial.fake import FakeCaller, FakeLed, FakePad, PtyEnd
from devices.serial.payloads import CallerKeyCode, Cmd, PadMode
from hallserver.bus import embedded
from hallserver.bus.accounts import BrokerAccount

FAST = {"ack_timeout_s": 0.1, "retries": 2, "heartbeat_s": 0.2, "reopen_s": 0.05}


def device_file(folder: Path, kind: str, device_id: str, window: int, url: str, port: int,
                extra: str = "") -> Path:
    """A device file like the demo's, with a serial line and the test broker's port."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{device_id}.yaml"
    path.write_text(f"""schema_version: 1
type: {kind}
id: {device_id}
hall: {HALL}
name: {{zh: 测试 {device_id}, en: test {device_id}}}
mqtt: {{host: 127.0.0.1, port: {port}, password: !secret {device_id}}}
window: {window}
serial: {{url: "{url}"}}
{extra}""", encoding="utf-8")
    return path


def start_agent(path: Path, secrets: Path) -> Agent:
    agent = Agent(load_device(path, SecretSource(secrets, env={})), timing=FAST)
    agent.start()
    # 30 s: under CI load amqtt once stalled reading a CONNECT until the client retried.
    assert agent.client is not None and agent.client.connected.wait(30), "agent not connected"
    return agent


@pytest.fixture
def agents() -> Iterator[list[Agent]]:
    started: list[Agent] = []
    yield started
    for agent in started:
        agent.stop()


def test_call_key_calls_a_ticket_and_the_led_shows_it(hall: Hall, tmp_path: Path,
                                                      agents: list[Agent]) -> None:
    staff_at(hall.client, 1)
    first, second = http_ticket(hall.client, "qiye"), http_ticket(hall.client, "qiye")
    secrets = hall.settings.secrets
    assert secrets is not None
    with FakeLed(PtyEnd(tmp_path / "ttyLED"), ack_timeout_s=0.1) as led, \
            FakeCaller(PtyEnd(tmp_path / "ttyCALLER"), ack_timeout_s=0.1) as keypad:
        agents.append(start_agent(device_file(tmp_path / "d", "led", "led-1", 1, led.url,
                                              hall.port), secrets))
        agents.append(start_agent(device_file(tmp_path / "d", "caller", "caller-1", 1,
                                              keypad.url, hall.port), secrets))
        # 亮证: the staff signed in at window 1 is on the LED before any call
        assert led.wait_for(lambda: any("工号10001" in line for line in led.text())), led.text()
        assert keypad.wait_for(lambda: keypad.lines.get(0) == "空闲 idle"), keypad.screen()

        keypad.lose_acks = 2  # the agent's ACKs get lost: the keypad sends CALL three times
        assert keypad.key(CallerKeyCode.CALL)
        assert keypad.retransmits == 2
        assert led.wait_for(lambda: led.text()[:1] == [f"{first} 请到1号窗口"]), led.text()
        assert led.text()[-1] == f"{first} to window 1"
        assert keypad.wait_for(lambda: keypad.lines.get(1) == "呼叫成功 call"), keypad.screen()
        assert keypad.lines[0].startswith(first)
        window = hall.client.get("/api/windows/1").json()
        assert window["current"]["number"] == first
        assert waiting(hall.client, "qiye") == [second]  # the retransmitted key called once


@pytest.mark.parametrize("hall", ["amqtt"], indirect=True)  # agent logic: one broker will do
def test_refused_key_shows_the_reason(hall: Hall, tmp_path: Path, agents: list[Agent]) -> None:
    http_ticket(hall.client, "qiye")
    assert hall.settings.secrets is not None
    with FakeCaller(PtyEnd(tmp_path / "ttyCALLER"), ack_timeout_s=0.1) as keypad:
        agents.append(start_agent(device_file(tmp_path / "d", "caller", "caller-2", 2,
                                              keypad.url, hall.port), hall.settings.secrets))
        assert keypad.key(CallerKeyCode.CALL)
        assert keypad.wait_for(lambda: keypad.lines.get(1, "").startswith("窗口无人签到"))
    assert hall.client.get("/api/windows/2").json()["current"] is None


@pytest.mark.parametrize("hall", ["amqtt"], indirect=True)
def test_led_link_drop_mid_frame_then_full_state_again(hall: Hall, tmp_path: Path,
                                                       agents: list[Agent]) -> None:
    headers = staff_at(hall.client, 1)
    number = http_ticket(hall.client, "qiye")
    assert hall.settings.secrets is not None
    with FakeLed(PtyEnd(tmp_path / "ttyLED"), ack_timeout_s=0.1) as led:
        agent = start_agent(device_file(tmp_path / "d", "led", "led-1", 1, led.url, hall.port),
                            hall.settings.secrets)
        agents.append(agent)
        assert led.wait_for(lambda: any("工号10001" in line for line in led.text()))
        led.send_partial(led.frame(Cmd.KEY, b"\x01\x00"), 5)  # cut mid-frame...
        led.mute()  # ...and the line stays dead; the controller loses its screen
        led.forget()
        assert agent.driver is not None
        wait_until(lambda: not agent.driver.up, 3, "the agent noticing the dead LED")  # type: ignore[union-attr]
        # The agent stays online on the bus, but the server knows the cable is dead.
        wait_until(lambda: hall.services.devices.get("led-1").health == "fault", 5,
                   "the server seeing the LED fault")
        assert hall.services.devices.get("led-1").problems == [
            "串口设备无响应 / serial device not answering"]
        r = hall.client.post("/api/windows/1/call-next", headers=headers)
        assert r.status_code == 200, r.text
        hall.sync_idle()
        assert led.text() == []  # nothing got through while the line was dead
        led.unmute()
        assert led.wait_for(lambda: led.text()[:1] == [f"{number} 请到1号窗口"], timeout=5)
        assert any("工号10001" in line for line in led.text())  # the full state, not a diff
        wait_until(lambda: hall.services.devices.get("led-1").health == "ok", 5,
                   "the server seeing the LED answer again")


# ---- the pad, against a bare broker ----------------------------------------------------------


@pytest.fixture(params=["amqtt", "mosquitto"])
def broker_port(request: pytest.FixtureRequest, hall_accounts: list[BrokerAccount],
                monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A broker with the demo hall's accounts and ACLs, and no hall server."""
    if request.param == "mosquitto":
        reason = mosquitto_available()
        if reason is not None:
            pytest.skip(reason)
        with MosquittoServer(hall_id=HALL, accounts=hall_accounts) as mosquitto:
            yield mosquitto.port
    else:
        monkeypatch.setattr(embedded, "HASH_ITERATIONS", 1_000)
        broker = embedded.EmbeddedBroker(HALL, hall_accounts).start()
        try:
            yield broker.port
        finally:
            broker.stop()


def test_pad_rates_once_per_arm(broker_port: int, secrets_file: Path, tmp_path: Path,
                                agents: list[Agent]) -> None:
    server = RawPeer("127.0.0.1", broker_port, "hallserver",
                     SecretSource(secrets_file, env={}).get(SERVER_SECRET) or "")
    rating_topic = evt(HALL, DeviceType.PAD, "pad-7", "rating")
    try:
        server.subscribe(str(rating_topic))
        with FakePad(PtyEnd(tmp_path / "ttyPAD"), ack_timeout_s=0.1) as pad:
            agents.append(start_agent(device_file(tmp_path / "d", "pad", "pad-7", 7, pad.url,
                                                  broker_port, "idle_timeout_s: 30\n"),
                                      secrets_file))
            assert pad.wait_for(lambda: pad.text() == list(PAD_IDLE))
            # Its birth follows its SUBSCRIBE on the same connection: once the birth is
            # seen, a command reaches it.
            server.subscribe(str(status(HALL, DeviceType.PAD, "pad-7")))
            server.wait_count(status(HALL, DeviceType.PAD, "pad-7"), 1)
            assert pad.press(1)  # not armed: nothing is sent
            arm = m.PadArm(token=m.new_id(), number="A012", window=7,
                           expires_at=m.utc_now() + timedelta(seconds=60))
            server.publish(cmd(HALL, DeviceType.PAD, "pad-7", "arm"), encode(arm))
            assert pad.wait_for(lambda: pad.pad_mode is PadMode.ARMED)
            assert pad.text() == ["A012", "请评价 Rate us"]
            assert pad.press(2)  # position 2: 满意, level 4
            (got,) = server.wait_count(rating_topic, 1)
            rating = m.Rating.model_validate_json(got.payload)
            assert (rating.token, rating.level, rating.reasons) == (arm.token, 4, [])
            assert pad.press(5)  # the token is used: a second press sends nothing
            server.publish(cmd(HALL, DeviceType.PAD, "pad-7", "rating-ack"),
                           encode(m.RatingAck(token=arm.token, accepted=True)))
            assert pad.wait_for(lambda: pad.text() == list(PAD_THANKS))
            # A second arm that expires: the pad goes back to idle, a late key sends nothing.
            late = m.PadArm(token=m.new_id(), number="A013", window=7,
                            expires_at=m.utc_now() + timedelta(seconds=1))
            server.publish(cmd(HALL, DeviceType.PAD, "pad-7", "arm"), encode(late))
            assert pad.wait_for(lambda: pad.text()[:1] == ["A013"])
            assert pad.wait_for(lambda: pad.text() == list(PAD_IDLE), timeout=4)
            assert pad.press(3)
            # one more armed rating, refused by the server: the pad says so
            third = m.PadArm(token=m.new_id(), number="A014", window=7,
                             expires_at=m.utc_now() + timedelta(seconds=60))
            server.publish(cmd(HALL, DeviceType.PAD, "pad-7", "arm"), encode(third))
            assert pad.wait_for(lambda: pad.text()[:1] == ["A014"])
            assert pad.press(5)
            got2 = server.wait_count(rating_topic, 2)
            assert [m.Rating.model_validate_json(r.payload).level for r in got2] == [4, 1]
            server.publish(cmd(HALL, DeviceType.PAD, "pad-7", "rating-ack"),
                           encode(m.RatingAck(token=third.token, accepted=False,
                                              code="expired")))
            assert pad.wait_for(lambda: pad.text() == list(PAD_REFUSED))
        assert len(server.received(rating_topic)) == 2  # no rating from the unarmed keys
    finally:
        server.close()


def test_cli_refuses_devices_it_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = Path(__file__).resolve().parents[2] / "firmware_configs" / "demo" / "devices"
    monkeypatch.setenv("ONEWINDOW_SECRET_KIOSK_A1", "kiosk-password-1")
    monkeypatch.setenv("ONEWINDOW_SECRET_CALLER_1", "caller-password-1")
    with pytest.raises(SystemExit) as kiosk:
        main(["--config", str(demo / "kiosk-a1.yaml"), "--secrets", "/nonexistent"])
    assert "kiosk-a1 is a kiosk" in str(kiosk.value)
    assert "onewindow-kiosk" in str(kiosk.value)
    with pytest.raises(SystemExit) as caller:  # the demo callers are web callers
        main(["--config", str(demo / "caller-1.yaml"), "--secrets", "/nonexistent"])
    assert "no `serial:` line" in str(caller.value)
    assert "--serial" in str(caller.value)


class _StubPad:
    """What PadBridge drives, recording; `in_order` queues like the link's events thread."""

    def __init__(self) -> None:
        self.queued: list[Callable[[], None]] = []
        self.shown: list[str] = []

    def in_order(self, callback: Callable[[], None]) -> None:
        self.queued.append(callback)

    def arm(self, *lines: str, timeout_s: int) -> None:
        self.shown.append(f"arm {lines[0]}")

    def idle(self, *lines: str) -> None:
        self.shown.append("idle")

    def thanks(self, *lines: str, timeout_s: int = 5) -> None:
        self.shown.append("thanks")


class _StubClient:
    def __init__(self) -> None:
        self.emitted: list[m.Message] = []

    def emit(self, _kind: str, message: m.Message) -> None:
        self.emitted.append(message)


def test_a_key_received_before_an_arm_never_rates_it() -> None:
    """A key frame still waiting on the link's events thread when a prompt (arm) arrives is
    handled first, unarmed, and ignored; only a key after the prompt rates. (The arm used to
    apply at once on the MQTT thread, so a late-handled key rated the next citizen.)"""
    pad, client = _StubPad(), _StubClient()
    bridge = PadBridge(client, pad, idle_timeout_s=30)  # type: ignore[arg-type]
    arm = m.PadArm(token=m.new_id(), number="A014", window=7,
                   expires_at=m.utc_now() + timedelta(seconds=60))
    try:
        bridge.on_command(cmd(HALL, DeviceType.PAD, "pad-7", "arm"), arm)
        assert pad.shown == []  # queued behind the input already received
        bridge.on_level(3)  # that earlier key, handled now
        assert client.emitted == []
        for callback in pad.queued:
            callback()
        assert pad.shown == ["arm A014"]
        bridge.on_level(1)
        assert [(r.token, r.level) for r in client.emitted
                if isinstance(r, m.Rating)] == [(arm.token, 1)]
    finally:
        bridge.stop()
