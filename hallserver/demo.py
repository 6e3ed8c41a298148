"""What `hallserver demo` sets up around the server: its files, settings, logging and the
banner it prints once the hall is ready."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from hallserver.domain.privacy import MaskingFormatter
from hallserver.lan import is_wildcard
from hallserver.settings import DEFAULT_CONFIG, Settings

DEMO_DIR = Path("var")
DEMO_DEVICES = DEFAULT_CONFIG.parent / "devices"
DEMO_PASSWORD = "demo1234"  # noqa: S105 (demo accounts only; printed on start)
FREE_WINDOW = 1
"""The window the simulation leaves to a person (its staff member is FREE_STAFF)."""
FREE_STAFF = "10001"
# Left to the real apps with --real-kiosks: a kiosk, a terminal, their printers, and window 1
# (its caller is the web page /window/1, its pad `onewindow-kiosk --role pad`).
REAL_KIOSK_DEVICES = ("kiosk-a1", "printer-a1", "terminal-a1", "printer-a2", "caller-1", "pad-1")
DEVICE_MQTT_PORT = 1883
"""The broker port the demo's device files name (real apps connect there)."""
DEVICES_WAIT_S = 15.0
"""How long the banner waits for the simulated devices to connect."""
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


@dataclass(frozen=True)
class DemoPaths:
    """Where the demo keeps its database, broker passwords and log."""

    root: Path
    db: Path
    secrets: Path
    log: Path

    @classmethod
    def under(cls, root: Path) -> DemoPaths:
        """The demo's files in `root` (var/ by default)."""
        return cls(root, root / "demo.db", root / "demo-secrets.yaml", root / "demo.log")


def setup_demo_logging(log_file: Path, *, verbose: bool, debug: bool, append: bool) -> None:
    """Everything to `log_file`; the console shows warnings only, or everything when
    `verbose` (the simulated hall logs every number taken and every call)."""
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
        handler.close()
    formatter = MaskingFormatter(LOG_FORMAT)
    to_file = logging.FileHandler(log_file, mode="a" if append else "w", encoding="utf-8")
    to_file.setFormatter(formatter)
    console = logging.StreamHandler()
    console.setFormatter(formatter)
    console.setLevel(logging.NOTSET if verbose else logging.WARNING)
    root.addHandler(to_file)
    root.addHandler(console)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def demo_settings(args: argparse.Namespace, paths: DemoPaths, secrets: Path) -> Settings:
    """The demo's settings from its command line; raises PublicUrlError when it binds every
    interface and no LAN address is found (HALL_PUBLIC_URL then says where phones go)."""
    settings = Settings(
        config=DEFAULT_CONFIG, database_url=f"sqlite:///{paths.db}", host=args.host,
        port=args.port, enforce_hours=args.enforce_hours, secrets=secrets,
        mqtt_port=args.mqtt_port, simulate=not args.no_sim,
        simulate_except=list(REAL_KIOSK_DEVICES) if args.real_kiosks else [],
        simulate_free_windows=[FREE_WINDOW],
    )
    return settings.with_public_url()


def script(name: str) -> str:
    """How to run one of our console scripts as printed: the one beside this Python
    (relative to the working directory when below it), else the name on PATH."""
    path = Path(sys.executable).parent / name
    if not path.is_file():
        return name if shutil.which(name) else f"{sys.executable} -m kiosk.cli"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def try_it(base: str) -> str:
    """The README's "Try it" steps against `base`: sign in at the free window as its staff
    member, take a number (with the same login: the HTTP route is for staff and the hall's
    devices), call the next ticket. Signing in first leaves the shortest gap
    between the number and the call, in which a simulated window could call it first."""
    return f"""\
TOKEN=$(curl -s -X POST {base}/api/auth/login \\
     -H 'content-type: application/json' \\
     -d '{{"username":"{FREE_STAFF}","password":"{DEMO_PASSWORD}"}}' \\
     | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
curl -X POST {base}/api/windows/{FREE_WINDOW}/sign-in -H "Authorization: Bearer $TOKEN" \\
     -H 'content-type: application/json' -d '{{"role": "A"}}'
curl -X POST {base}/api/tickets -H "Authorization: Bearer $TOKEN" \\
     -H 'content-type: application/json' -d '{{"category": "A"}}'
curl -X POST {base}/api/windows/{FREE_WINDOW}/call-next -H "Authorization: Bearer $TOKEN"
"""


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line if line else line
                   for line in text.splitlines(keepends=True))


def demo_banner(settings: Settings, paths: DemoPaths, *, enforce_hours: bool,
                real_kiosks: bool, devices_online: int | None) -> str:
    """What the demo prints once it is ready: where to go, who to log in as, what to run."""
    pub, local = settings.base_url(), settings.local_url()
    kiosk, devices = script("onewindow-kiosk"), DEMO_DEVICES
    secrets = f"--secrets {settings.secrets}" if settings.secrets else ""
    hours = "enforced 执行营业时间" if enforce_hours else "not enforced 不限营业时间"
    if not settings.simulate:
        sim = "off 关 (--no-sim)"
    else:
        left = "kiosk-a1, terminal-a1, their printers and window 1" if real_kiosks else \
            f"window {FREE_WINDOW}"
        online = f"{devices_online} devices online, " if devices_online is not None else ""
        sim = (f"on 开: {online}kiosks take numbers, windows call and serve,\n"
               f"                        screens announce (10x time); {left} left to you")
    if is_wildcard(settings.host):
        reach = (f"Phones and TVs 手机和大屏  open {pub} (this machine's LAN address; QR codes "
                 f"say it too;\n                          here also {local}). "
                 f"Wrong address? set HALL_PUBLIC_URL")
    else:
        reach = (f"Phones and TVs 手机和大屏  only this machine reaches {local}:\n"
                 "                          start with --host 0.0.0.0 for the LAN")
    port_note = "" if settings.mqtt_port == DEVICE_MQTT_PORT else (
        f"\n  (their files name broker port {DEVICE_MQTT_PORT}: run the demo without "
        f"--mqtt-port for them)")
    return f"""
OneWindow 一窗通 demo hall ready 演示大厅已就绪
  (SQLite {paths.db}; opening hours {hours})
  Call screen 综合屏     {pub}/screen          (1920x1080; click once to enable sound)
  Dashboard 大厅监控     {pub}/dashboard       (manager / admin)
  Reports 统计报表       {pub}/reports         (manager / admin; CSV and XLSX export)
  Administration 管理    {pub}/admin           (admin: layout, skills, accounts, devices)
  Window 1 caller 呼叫器 {pub}/window/{FREE_WINDOW}      (yours: log in as {FREE_STAFF}, role A)
  Phone ticket 手机查号  {pub}/t/<token>       (the QR code on every printed ticket)
  API docs 接口文档      {pub}/docs
  health 健康检查 {pub}/healthz   queues 排队 {pub}/api/queues
  windows 窗口 {pub}/api/windows   layout 布局 {pub}/api/layout
  devices 设备 {pub}/api/devices   bus 消息总线 {pub}/api/bus   (manager)
  ratings 好差评 {pub}/api/ratings   alerts 提醒 {pub}/api/alerts   (manager)
Logins 登录 (password 密码 {DEMO_PASSWORD}): admin, manager, staff 工号 10001 ... 10026
Simulated hall 模拟大厅  {sim}
{reach}
MQTT broker 消息代理     mqtt://127.0.0.1:{settings.mqtt_port} (embedded amqtt, this machine only;
                        device passwords in {settings.secrets}; protocol: docs/protocol.md)
Real apps 真实终端 (start the demo with --real-kiosks so these are not simulated too):{port_note}
  Kiosk 取号机       {kiosk} --config {devices}/kiosk-a1.yaml {secrets}
  Terminal 自助终端  {kiosk} --config {devices}/terminal-a1.yaml {secrets}
  Rating pad 评价器  {kiosk} --role pad --config {devices}/pad-1.yaml {secrets}
Try it 试一试 (window {FREE_WINDOW}, staff {FREE_STAFF}: sign in, take a number, call it):
{_indent(try_it(local), 2)}Log 日志 {paths.log}: devices, simulation, server (--verbose: here too)
Stop 停止: Ctrl-C
"""
