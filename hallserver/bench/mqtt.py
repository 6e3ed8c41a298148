"""`hallserver bench mqtt`: ticket request -> ticket issued round trip through a broker and
the hall server, next to a bare echo through the same broker; the server's memory with many
simulated devices connected. Run for the embedded amqtt broker and for Mosquitto.

The hall server runs as its own process (`hallserver serve`), so its memory is measured
alone; simulated devices run in this process and speak the real protocol."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.config.provision import device_file, ensure_secrets
from devices.config.secret import SERVER_SECRET, SecretSource, required_secrets
from devices.protocol import messages as m
from devices.protocol.topics import DeviceType
from devices.runtime.client import DeviceClient, DeviceIdentity, RequestTimeout
from devices.runtime.sockets import no_delay
from hallserver.bus.accounts import BrokerAccount
from hallserver.bus.embedded import EmbeddedBroker
from hallserver.bus.mosquitto import hand_to_service_user, write_mosquitto_config
from hallserver.bus.wiring import load_hall_devices
from hallserver.config.loader import load_hall
from hallserver.settings import DEFAULT_CONFIG, Settings

logger = logging.getLogger(__name__)
HALL = "demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _hall_dir(root: Path, kiosks: int, devices: int) -> tuple[Settings, list[BrokerAccount]]:
    """The demo hall plus bench kiosks (with printers) and idle printers up to `devices`."""
    hall_dir = root / "hall"
    shutil.copytree(DEFAULT_CONFIG.parent / "devices", hall_dir / "devices")
    shutil.copy(DEFAULT_CONFIG, hall_dir / "hall.yaml")
    existing = len(list((hall_dir / "devices").glob("*.yaml")))
    extra: dict[str, str] = {}
    for i in range(1, kiosks + 1):
        extra[f"kiosk-x{i}"] = device_file(HALL, "kiosk", f"kiosk-x{i}", f"压测取号机{i}",
                                            f"Bench kiosk {i}", printer=f"printer-x{i}")
        extra[f"printer-x{i}"] = device_file(
            HALL, "printer", f"printer-x{i}", f"压测打印机{i}", f"Bench printer {i}",
            transport={"kind": "file", "path": f"var/bench-printer-{i}.bin"})
    del existing  # the demo's own devices stay configured but idle
    for i in range(1, max(0, devices - kiosks) + 1):
        extra[f"printer-y{i}"] = device_file(
            HALL, "printer", f"printer-y{i}", f"空闲打印机{i}", f"Idle printer {i}",
            transport={"kind": "file", "path": f"var/idle-printer-{i}.bin"})
    for name, text in extra.items():
        (hall_dir / "devices" / f"{name}.yaml").write_text(text, encoding="utf-8")
    secrets = hall_dir / "secrets.yaml"
    names = required_secrets(sorted((hall_dir / "devices").glob("*.yaml")))
    ensure_secrets([*names, SERVER_SECRET], secrets)
    settings = Settings(config=hall_dir / "hall.yaml", secrets=secrets,
                        database_url=f"sqlite:///{root}/hall.db", enforce_hours=False)
    accounts = load_hall_devices(settings, load_hall(settings.config)).accounts
    return settings, accounts


class _Mosquitto:
    """A Mosquitto process on the files `hallserver broker-config` writes."""

    def __init__(self, root: Path, accounts: list[BrokerAccount]) -> None:
        self.port = _free_port()
        files = write_mosquitto_config(root / "mosquitto", hall_id=HALL, accounts=accounts,
                                       port=self.port, persistence_dir=root / "mosquitto/data")
        root.chmod(0o711)  # Mosquitto's own user must traverse the private bench directory
        hand_to_service_user(files.directory)
        self.proc = subprocess.Popen(  # noqa: S603
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(files.config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def _echo(port: int, password: str) -> mqtt.Client:
    """A bare echo: every kiosk request goes straight back as a reply (the floor)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hallserver",
                         protocol=mqtt.MQTTv311)
    client.username_pw_set("hallserver", password)
    ready = threading.Event()

    def on_connect(c: mqtt.Client, *_: object) -> None:
        c.subscribe(f"hall/{HALL}/+/+/evt/+", qos=1)
        ready.set()

    def on_message(c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        reply = msg.topic.replace("/evt/ticket-request", "/cmd/ticket-refused")
        req = m.TicketRequest.model_validate_json(msg.payload)
        c.publish(reply, m.TicketRefused(request_id=req.request_id, code="echo", message="echo",
                                         message_en="echo").model_dump_json(), qos=1)

    client.on_connect = on_connect
    client.on_message = on_message
    client.on_socket_open = no_delay
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not ready.wait(10):
        raise RuntimeError("echo client did not connect")
    return client


def _kiosk(port: int, secrets: SecretSource, device_id: str) -> DeviceClient:
    client = DeviceClient(DeviceIdentity(HALL, DeviceType.KIOSK, device_id,
                                         secrets.get(device_id) or "", port=port))
    client.start()
    if not client.connected.wait(15):
        raise RuntimeError(f"{device_id} did not connect")
    return client


def _round_trips(kiosks: list[DeviceClient], per_kiosk: int) -> list[float]:
    """Latencies (ms) of sequential requests from every kiosk at once."""
    out: list[float] = []
    lock = threading.Lock()

    def run(k: DeviceClient) -> None:
        mine = []
        for _ in range(per_kiosk):
            t0 = time.perf_counter()
            k.request("ticket-request", m.TicketRequest(request_id=m.new_id(), category="qiye"),
                      timeout=10)
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=run, args=(k,)) for k in kiosks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _until_served(kiosk: DeviceClient, timeout: float = 60.0) -> None:
    """Wait until the server answers (its port may be the broker's, open long before)."""
    request = m.TicketRequest(request_id=m.new_id(), category="qiye")
    deadline = time.monotonic() + timeout
    while True:
        try:
            kiosk.request("ticket-request", request, timeout=1.0)
            return
        except RequestTimeout:
            if time.monotonic() > deadline:
                raise


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _connect_idle(port: int, secrets: SecretSource, ids: list[str]) -> list[mqtt.Client]:
    """Idle printers: connected with a birth, nothing else (one paho thread each)."""
    clients = []
    for device_id in ids:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=device_id,
                        protocol=mqtt.MQTTv311)
        c.username_pw_set(device_id, secrets.get(device_id) or "")
        c.connect("127.0.0.1", port, keepalive=60)
        c.loop_start()
        birth = m.DeviceStatus(state=m.Presence.ONLINE, epoch=time.time_ns() // 1_000_000)
        c.publish(f"hall/{HALL}/printer/{device_id}/status", birth.model_dump_json(), qos=1,
                  retain=True)
        clients.append(c)
    return clients


def _line(name: str, lat: list[float], floor: float | None = None) -> str:
    p50, p99 = _pct(lat, 0.5), _pct(lat, 0.99)
    ratio = f"  x{p50 / floor:.1f} of echo p50" if floor else ""
    return f"  {name:<34} n={len(lat):<5} p50 {p50:6.2f} ms  p99 {p99:7.2f} ms{ratio}"


def _start_server(settings: Settings, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`hallserver serve` on a free port, with the bench hall and the given bus settings."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "hallserver.cli", "serve", "--port", str(_free_port())],
        env={**os.environ, "HALL_CONFIG": str(settings.config), "HALL_SECRETS":
             str(settings.secrets), "HALL_DATABASE_URL": settings.database_url,
             "HALL_ENFORCE_HOURS": "false", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _memory(pid: int, port: int, secrets: SecretSource, settings: Settings, busy: int) -> str:
    """Server RSS before and after the idle devices connect."""
    before = _rss_mb(pid)
    ids = [p.stem for p in sorted((settings.config.parent / "devices").glob("printer-y*"))]
    idle = _connect_idle(port, secrets, ids)
    time.sleep(3)
    after = _rss_mb(pid)
    for c in idle:
        c.loop_stop()
        c.disconnect()
    return (f"  hall server RSS {before:.0f} MB with {busy} devices, {after:.0f} MB with "
            f"{busy + len(idle)} devices connected")


def bench_broker(kind: str, root: Path, requests: int, kiosk_counts: list[int],
                 devices: int, emit: Callable[[str], None]) -> None:
    """All measurements for one broker."""
    settings, accounts = _hall_dir(root, max(kiosk_counts), devices)
    assert settings.secrets is not None
    secrets = SecretSource(settings.secrets)
    server_pw = secrets.get(SERVER_SECRET) or ""
    broker: EmbeddedBroker | _Mosquitto
    if kind == "amqtt":
        broker = EmbeddedBroker(HALL, accounts).start()
        port = broker.port
    else:
        broker = _Mosquitto(root, accounts)
        port = broker.port
    emit(f"{kind}: {len(accounts) - 1} device accounts, broker on 127.0.0.1:{port}")
    echo = _echo(port, server_pw)
    k1 = _kiosk(port, secrets, "kiosk-x1")
    _round_trips([k1], 20)  # warm up
    floor = _round_trips([k1], requests)
    emit(_line("bare echo, 1 kiosk", floor))
    k1.stop()
    echo.loop_stop()
    echo.disconnect()
    floor_p50 = _pct(floor, 0.5)
    if isinstance(broker, EmbeddedBroker):  # the server embeds its own broker
        broker.stop()
        env = {"HALL_MQTT_PORT": str(_free_port())}
    else:
        env = {"HALL_MQTT_URL": f"mqtt://127.0.0.1:{port}"}
    server = _start_server(settings, env)
    try:
        port = int(env.get("HALL_MQTT_PORT", port))
        _wait_port(port, timeout=60)
        kiosks = [_kiosk(port, secrets, f"kiosk-x{i}") for i in range(1, max(kiosk_counts) + 1)]
        _until_served(kiosks[0])
        _round_trips(kiosks[:1], 20)
        for n in kiosk_counts:
            t0 = time.perf_counter()
            lat = _round_trips(kiosks[:n], max(1, requests // n))
            rate = len(lat) / (time.perf_counter() - t0)
            emit(_line(f"ticket round trip, {n} kiosk(s)", lat, floor_p50)
                 + f"  {rate:.0f} tickets/s")
        emit(_memory(server.pid, port, secrets, settings, len(kiosks))
             + (" (includes the embedded broker)" if kind == "amqtt" else ""))
        for k in kiosks:
            k.stop()
    finally:
        server.terminate()
        server.wait(timeout=20)
        if isinstance(broker, _Mosquitto):
            broker.stop()


def run(*, requests: int = 300, kiosks: list[int] | None = None, devices: int = 500,
        brokers: list[str] | None = None) -> int:
    """Run the benchmark and print the numbers."""
    logging.getLogger("devices.runtime").setLevel(logging.WARNING)
    for kind in brokers or ["amqtt", "mosquitto"]:
        if kind == "mosquitto" and not shutil.which("mosquitto") and not Path(
                "/usr/sbin/mosquitto").exists():
            print("mosquitto: not installed, skipped")
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-mqtt-{kind}-") as tmp:
            bench_broker(kind, Path(tmp), requests, kiosks or [1, 8], devices,
                         lambda line: print(line, flush=True))
    return 0

