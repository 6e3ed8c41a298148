"""The rating pad process against the real hall server on both brokers: the retained window
state reaches the idle screen, a `cmd/arm` published with the server's account opens the
prompt, the rating the citizen taps arrives at the server as `evt/rating` (the same bytes
the pad sent), and a rating made while the broker is unreachable waits in the outbox and is
delivered once the pad connects."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hallbus_support import Hall, staff_at, wait_until
from support import DEMO_CONFIG

from devices.config.loader import load_device
from devices.config.models import Pad
from devices.config.secret import SecretSource
from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, cmd, parse
from kiosk.pad.model import PadPage
from kiosk.pad.runtime import PadRuntime

PAD_ID, WINDOW = "pad-1", 1
TIMEOUT = 10.0


def pad_config(hall: Hall, port: int | None = None) -> Pad:
    cfg = load_device(DEMO_CONFIG.parent / "devices" / f"{PAD_ID}.yaml",
                      SecretSource(hall.settings.secrets))
    assert isinstance(cfg, Pad) and cfg.window == WINDOW
    return cfg.model_copy(update={"mqtt": cfg.mqtt.model_copy(
        update={"port": port or hall.port})})


class Ratings:
    """Records every `evt/rating` the server's dispatcher is handed (the broker's bytes)."""

    def __init__(self, hall: Hall) -> None:
        self.got: list[m.Rating] = []
        self._lock = threading.Lock()
        bus = hall.runtime.bus
        assert bus is not None and bus.dispatcher is not None
        dispatcher = bus.dispatcher
        handle = dispatcher.handle

        def recording(topic: str, payload: bytes, retain: bool) -> str:
            t = parse(topic)
            if t.name == "rating" and t.device_id == PAD_ID:
                with self._lock:
                    self.got.append(m.Rating.model_validate_json(payload))
            return handle(topic, payload, retain)

        dispatcher.handle = recording  # type: ignore[method-assign]

    def tokens(self) -> list[str]:
        with self._lock:
            return [r.token for r in self.got]


def arm_as_server(hall: Hall, token: str, number: str = "A012") -> None:
    bus = hall.runtime.bus
    assert bus is not None
    bus.publish(cmd("demo", DeviceType.PAD, PAD_ID, "arm"), m.PadArm(
        token=token, number=number, window=WINDOW,
        category_name=m.Text(zh="企业开办", en="Business registration"),
        expires_at=m.utc_now() + timedelta(minutes=5)))


@pytest.fixture
def pad(hall: Hall, tmp_path: Path):  # type: ignore[no-untyped-def]
    rt = PadRuntime(pad_config(hall), state_dir=tmp_path / PAD_ID)
    rt.start()
    yield rt
    rt.stop()


def test_state_arm_and_rating_over_the_real_bus(hall: Hall, pad: PadRuntime) -> None:
    ctl = pad.controller
    wait_until(lambda: ctl.view.online and ctl.view.mode is not None, TIMEOUT,
               "the pad is online with its window's retained state")
    assert ctl.view.window_name is not None
    staff_at(hall.client, WINDOW)  # staff 10001 signs in as A: the state follows
    wait_until(lambda: [s.staff_id for s in ctl.view.staff] == ["10001"], TIMEOUT,
               "亮证 shows who signed in")
    # The photo named by its hash in the state is asked for and cached by that hash.
    wait_until(lambda: ctl.view.staff[0].photo_path is not None, TIMEOUT, "the staff photo")
    cached = Path(str(ctl.view.staff[0].photo_path))
    assert hashlib.sha256(cached.read_bytes()).hexdigest()[:16] == cached.stem
    ratings = Ratings(hall)
    arm_as_server(hall, "tok-e2e-0000000001")
    wait_until(lambda: ctl.view.page is PadPage.ARMED, TIMEOUT, "the prompt opens")
    assert ctl.view.number == "A012"
    assert ctl.view.served_by is not None and ctl.view.served_by.staff_id == "10001"
    assert ctl.view.served_by.photo_path == str(cached)
    ctl.rate(1)
    ctl.toggle_reason("attitude")
    ctl.submit_reasons()
    ctl.submit_reasons()  # a double tap
    wait_until(ratings.tokens, TIMEOUT, "the server receives evt/rating")
    got = ratings.got[0]
    assert (got.token, got.level, got.reasons) == ("tok-e2e-0000000001", 1, ["attitude"])
    # The server did not arm this token, so it refuses it; the pad says so instead of thanks.
    wait_until(lambda: ctl.view.page is PadPage.REFUSED, TIMEOUT, "the refusal is shown")
    assert ctl.view.refusal is not None
    assert ratings.tokens() == ["tok-e2e-0000000001"]  # once, despite the double tap


def test_a_rating_made_offline_is_delivered_when_the_pad_connects(
        hall: Hall, tmp_path: Path) -> None:
    ratings = Ratings(hall)
    state_dir = tmp_path / PAD_ID
    # The broker is unreachable (wrong port): the rating goes to the outbox on disk.
    offline = PadRuntime(pad_config(hall, port=1), state_dir=state_dir)
    offline.start()
    ctl = offline.controller
    ctl.on_message(cmd("demo", DeviceType.PAD, PAD_ID, "arm"), m.PadArm(
        token="tok-e2e-offline-01", number="A013", window=WINDOW,
        expires_at=m.utc_now() + timedelta(minutes=5)))
    ctl.rate(5)
    assert ctl.view.page is PadPage.THANKS and not ctl.view.online
    offline.stop()
    assert not ratings.tokens()
    # The pad restarts with the right broker address: the outbox is delivered.
    online = PadRuntime(pad_config(hall), state_dir=state_dir)
    online.start()
    try:
        # A deadline, not a timing: a connect that fails under load backs off (0.5 s, 1 s,
        # 2 s, ... jittered), so a few failed attempts can pass 10 s. (Seen once in CI at
        # 10 s with the machine busy; the cause was not pinned down.)
        wait_until(ratings.tokens, 3 * TIMEOUT, "the buffered rating is delivered")
        assert ratings.got[0].level == 5 and ratings.tokens() == ["tok-e2e-offline-01"]
    finally:
        online.stop()
