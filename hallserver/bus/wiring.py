"""Builds and runs the device bus of one hall server: broker (embedded or external), the
paho adapter, the dispatcher and the display sync. Called by the composition root."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from devices.config.loader import DeviceSet, load_devices
from devices.config.models import Caller, Kiosk, Led, Pad, Printer, Screen, Terminal
from devices.config.secret import SecretSource, env_name
from devices.protocol.topics import DeviceType
from devices.sim.hall import SimulatedHall
from hallserver.bus.accounts import BrokerAccount
from hallserver.bus.adapter import SERVER_USERNAME, BrokerLink, HallBus
from hallserver.bus.dispatch import BusStats, Dispatcher
from hallserver.bus.displays import DisplaySync
from hallserver.bus.embedded import EmbeddedBroker
from hallserver.bus.simulation import build_simulation, staff_windows
from hallserver.bus.windows import WindowDevices
from hallserver.config.models import HallConfig
from hallserver.services import Services
from hallserver.services.devices import DeviceInfo
from hallserver.services.displays import DisplayService
from hallserver.settings import Settings

logger = logging.getLogger(__name__)

OFFLINE_STALL_S = 1.0
"""Shutdown stops waiting for simulated devices' goodbyes after this long without one."""
OFFLINE_POLL_S = 0.25
"""How often shutdown looks (reading every device takes the worker's CPU: not too often)."""


class BusConfigError(RuntimeError):
    """The bus cannot start as configured (the message says what to fix)."""


@dataclass(frozen=True)
class HallDevices:
    """The configured devices of a hall and the broker accounts they need."""

    infos: list[DeviceInfo]
    accounts: list[BrokerAccount] = field(repr=False)
    server_password: str = field(repr=False)


def device_infos(devices: DeviceSet, cfg: HallConfig) -> list[DeviceInfo]:
    """What the server keeps of each device: type, window, zone, keepalive."""
    zone_of = {w.number: w.zone for w in cfg.windows}
    out = []
    for d in devices:
        window = d.window if isinstance(d, Pad | Led | Caller | Printer) else None
        zone = (d.zone if isinstance(d, Kiosk | Screen) else
                zone_of.get(window) if window is not None else None)
        if isinstance(d, Terminal):
            zone = None
        out.append(DeviceInfo(id=d.id, type=d.device_type, window=window, zone=zone,
                              keepalive_s=d.mqtt.keepalive_s))
    return out


def hall_paths(settings: Settings) -> tuple[Path, Path]:
    """(devices directory, secrets file) for these settings."""
    hall_dir = settings.config.parent
    return (settings.devices_dir or hall_dir / "devices",
            settings.secrets or hall_dir / "secrets.yaml")


def _missing_server_secret(settings: Settings, secrets_file: Path) -> str:
    """What to run when the server's own broker password is missing (Chinese, English)."""
    hall_dir = settings.config.parent
    options = "".join(f" --{name} {path}" for name, path in (
        ("devices", settings.devices_dir), ("secrets", settings.secrets)) if path is not None)
    run = f"hallserver devices secrets {hall_dir}{options}"
    env = env_name(SERVER_USERNAME)
    return (
        f"未设置服务器的消息代理密码（secret '{SERVER_USERNAME}'）。请运行 `{run}`，为设备和"
        f"服务器生成随机密码并写入 {secrets_file}；或设置 {env}；只用 HTTP、不连设备："
        f"HALL_BUS=false hallserver serve\n"
        f"secret '{SERVER_USERNAME}' (the hall server's broker password) is not set: run "
        f"`{run}` (random passwords for the devices and the server, into {secrets_file}), "
        f"or set {env}; for HTTP only, without devices: HALL_BUS=false hallserver serve")


def load_hall_devices(settings: Settings, cfg: HallConfig) -> HallDevices:
    """Load and cross-check the device configs; raises ConfigError with file:line."""
    devices_dir, secrets_file = hall_paths(settings)
    secrets = SecretSource(secrets_file)
    server_password = secrets.get(SERVER_USERNAME)
    if server_password is None:
        raise BusConfigError(_missing_server_secret(settings, secrets_file))
    if not devices_dir.is_dir():
        logger.warning("no device configs in %s: the bus runs without devices", devices_dir)
        return HallDevices([], [BrokerAccount(SERVER_USERNAME, server_password, "server")],
                           server_password)
    devices = load_devices(devices_dir, secrets, windows={w.number for w in cfg.windows},
                           zones={z.id for z in cfg.zones}, hall_id=cfg.hall.id,
                           categories={c.code for c in cfg.categories})
    accounts = [BrokerAccount(d.id, d.mqtt.password.get_secret_value(), "device")
                for d in devices]
    accounts.append(BrokerAccount(SERVER_USERNAME, server_password, "server"))
    return HallDevices(device_infos(devices, cfg), accounts, server_password)


def broker_link(settings: Settings, password: str) -> BrokerLink:
    """Where the server connects: the external URL, or the embedded broker."""
    if settings.mqtt_url is None:
        return BrokerLink("127.0.0.1", settings.mqtt_port, password=password)
    url = urlsplit(settings.mqtt_url)
    if url.scheme not in {"mqtt", "tcp"} or not url.hostname:
        raise BusConfigError(f"HALL_MQTT_URL must look like mqtt://host:1883, not "
                             f"{settings.mqtt_url[:60]!r}")
    return BrokerLink(url.hostname, url.port or 1883, password=password)


class BusRuntime:
    """The running bus: start after the services, stop before them."""

    def __init__(self, services: Services, settings: Settings, hall: HallDevices) -> None:
        self.services = services
        self.hall = hall
        self.link = broker_link(settings, hall.server_password)
        self.broker = (EmbeddedBroker(services.ctx.hall_id, hall.accounts, "127.0.0.1",
                                      settings.mqtt_port, hold_devices_until_server=True)
                       if settings.mqtt_url is None else None)
        self.bus: HallBus | None = None
        self.sync: DisplaySync | None = None
        self.windows: WindowDevices | None = None
        self.stats = BusStats()
        self.simulate = settings.simulate
        self.simulate_except = frozenset(settings.simulate_except)
        self.free_windows = frozenset(settings.simulate_free_windows)
        self.base_url = settings.base_url()
        self.simulation: SimulatedHall | None = None

    def start(self) -> None:
        """Start the broker (embedded), then connect the server to it."""
        hall_id = self.services.ctx.hall_id
        if self.broker is not None:
            self.broker.start()
            self.link = BrokerLink(self.link.host, self.broker.port, password=self.link.password)
            logger.info("embedded MQTT broker on 127.0.0.1:%d (%d accounts)", self.broker.port,
                        len(self.hall.accounts))
        registry = self.services.devices
        bus = HallBus(hall_id, self.link)
        displays = DisplayService(self.services.ctx, self.services.windows,
                                  self.services.queues)
        sync = DisplaySync(displays, registry, bus, hall_id)
        windows = WindowDevices(self.services, bus, base_url=self.base_url)

        def on_birth(device: DeviceInfo) -> None:
            sync.on_birth(device)
            windows.on_birth(device)

        dispatcher = Dispatcher(self.services, registry, bus, self.stats, on_birth=on_birth,
                                base_url=self.base_url, windows=windows)
        self.services.ctx.listeners.extend([sync.on_change, windows.on_change])
        self.windows = windows
        registry.link = bus.connected.is_set
        sync.start()
        bus.start(dispatcher, on_connect=[lambda: sync.resync(force=True)])
        self.bus, self.sync = bus, sync
        if self.simulate:
            # Staff sign in where a simulated caller works; a real one is left to people.
            # A window left free (the demo's window 1) is nobody's until a person signs in.
            callers = {d.window for d in self.hall.infos
                       if d.type is DeviceType.CALLER and d.window is not None
                       and d.id not in self.simulate_except} - self.free_windows
            staffed = staff_windows(self.services, callers)
            logger.info("demo: staff signed in at windows %s", staffed)
            infos = [d for d in self.hall.infos if d.id not in self.simulate_except]
            self.simulation = build_simulation(self.services, infos, self.hall.accounts,
                                               port=self.port, idle_windows=self.free_windows)
            self.simulation.start()

    def _await_offline(self, device_ids: set[str]) -> None:
        """Let the server record the devices' goodbyes before it disconnects: wait while it
        keeps recording them, give up after OFFLINE_STALL_S without one (what is late stays
        in the broker's session for the server)."""
        registry = self.services.devices
        last, stalled_at = len(device_ids) + 1, time.monotonic()
        while True:
            online = sum(1 for d in registry.all() if d.online and d.id in device_ids)
            now = time.monotonic()
            if online == 0:
                return
            if online < last:
                last, stalled_at = online, now
            elif now - stalled_at >= OFFLINE_STALL_S:
                logger.info("%d devices not recorded offline at shutdown", online)
                return
            time.sleep(OFFLINE_POLL_S)

    @property
    def port(self) -> int:
        """The broker port the server uses."""
        return self.link.port

    def stop(self) -> None:
        """Disconnect (publishing offline), stop the display sync and the broker."""
        if self.simulation is not None:
            self.simulation.stop()
            self._await_offline(set(self.simulation.clients))
        if self.windows is not None:
            self.services.ctx.listeners.remove(self.windows.on_change)
        if self.sync is not None:
            self.services.ctx.listeners.remove(self.sync.on_change)
            self.sync.stop()
        if self.bus is not None:
            self.bus.stop()
        if self.broker is not None:
            self.broker.stop()
