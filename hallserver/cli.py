"""`hallserver` command line: demo, serve, init-db, config validate, devices, bench."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hallserver.demo import (
    DEMO_DIR,
    DEMO_PASSWORD,
    DEVICES_WAIT_S,
    LOG_FORMAT,
    DemoPaths,
    demo_banner,
    demo_settings,
    setup_demo_logging,
)
from hallserver.domain.privacy import MaskingFormatter
from hallserver.lan import is_wildcard
from hallserver.settings import DEFAULT_CONFIG, PublicUrlError, Settings

if TYPE_CHECKING:
    from types import FrameType

    from fastapi import FastAPI

    from devices.config.provision import HallOutline
    from hallserver.config.loader import ConfigError
    from hallserver.config.models import HallConfig

logger = logging.getLogger(__name__)

SCHEMA_DIR = Path("firmware_configs/schema")
SHUTDOWN_GRACE_S = 3
"""Seconds uvicorn lets open requests finish on Ctrl-C (event streams are ended first)."""


def _setup_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter(LOG_FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)


def print_issues(exc: ConfigError) -> None:
    """Every issue of a config error, one `error:` line each."""
    for issue in exc.issues:
        print(f"error: {issue}")


def cmd_config_validate(args: argparse.Namespace) -> int:
    """Validate hall layout files and the device files next to them; print every issue."""
    from hallserver.config.loader import ConfigError, load_hall  # noqa: PLC0415

    failed = False
    for path in args.paths:
        target = Path(path)
        if target.is_dir():
            target = target / "hall.yaml"
        cfg = None
        try:
            cfg = load_hall(target)
        except ConfigError as exc:
            failed = True
            print_issues(exc)
        except OSError as exc:
            failed = True
            print(f"error: {target}: {exc.strerror}")
            continue
        if cfg is not None:
            for warning in cfg.roster_warnings():
                print(f"warning: {target}: {warning}")
            print(f"ok: {target}: hall {cfg.hall.id}, {len(cfg.categories)} categories, "
                  f"{len(cfg.items)} items, {len(cfg.windows)} windows, {len(cfg.staff)} staff")
        if (target.parent / "devices").is_dir():
            failed = _validate_devices(target.parent, cfg, args.secrets) or failed
    return 1 if failed else 0


def cmd_calendar_status(args: argparse.Namespace) -> int:
    """Which years the hall's holiday calendar covers, and whether the next one is due."""
    from hallserver.config.calendar_entry import covered  # noqa: PLC0415
    from hallserver.config.loader import ConfigError  # noqa: PLC0415

    hall_file = args.config or Settings().config
    try:
        name, cal = covered(hall_file)
    except ConfigError as exc:
        print_issues(exc)
        return 1
    if name is None or cal is None:
        print(f"{hall_file}: 未使用内置节假日日历 / no built-in holiday calendar "
              "(service_days.calendar)")
        return 0
    until = cal.covers_until()
    print(f"{hall_file}: calendar {name}: years {', '.join(map(str, cal.years))}; "
          f"deadlines are firm until {until}")
    for source in cal.source:
        print(f"  source: {source}")
    today = args.today or date.today()  # noqa: DTZ011 (the machine's date: a person's command)
    if today >= until.replace(month=11, day=1):
        print(f"{until.year + 1}年节假日安排尚未录入：国务院通知公布后运行 hallserver calendar add "
              f"NOTICE.yaml / the {until.year + 1} notice is not entered: run hallserver "
              "calendar add NOTICE.yaml once it is published")
        return 3
    return 0


def cmd_calendar_add(args: argparse.Namespace) -> int:
    """Enter a year's holiday notice into the hall's site calendar and the live layout."""
    from hallserver.app import build_services  # noqa: PLC0415
    from hallserver.config.calendar_entry import CalendarEntryError, add_notice  # noqa: PLC0415
    from hallserver.config.loader import ConfigError  # noqa: PLC0415

    settings = Settings(config=args.config) if args.config else Settings()
    try:
        entered = add_notice(settings.config, args.notice, replace=args.replace)
    except ConfigError as exc:
        print_issues(exc)
        return 1
    except (CalendarEntryError, ValueError) as exc:
        print(f"error: {args.notice}: {exc}")
        return 1
    years = ", ".join(map(str, entered.years))
    print(f"entered {years} into {entered.site_file}; deadlines are firm until "
          f"{entered.covers_until}")
    if args.no_database:
        return 0
    services = build_services(settings)
    try:
        version = services.layout.extend_calendar(
            entered.calendar, date.fromisoformat(entered.covers_until),
            source=str(args.notice), actor="calendar add", replace=args.replace)
    finally:
        services.ctx.db.close()
    print(f"layout version {version} in {settings.database_url} (a running server uses it "
          "from its next request)")
    return 0


def _hall_checks(cfg: HallConfig | None) -> dict[str, Any]:
    """What the device loader checks references against (nothing if the layout is broken)."""
    if cfg is None:
        return {}
    return {"windows": {w.number for w in cfg.windows}, "zones": {z.id for z in cfg.zones},
            "hall_id": cfg.hall.id, "categories": {c.code for c in cfg.categories}}


def _validate_devices(hall_dir: Path, cfg: HallConfig | None, secrets_file: Path | None) -> bool:
    """Validate `<hall_dir>/devices`; True if anything failed."""
    from devices.config import SecretSource, load_devices  # noqa: PLC0415
    from hallserver.config.loader import ConfigError  # noqa: PLC0415

    devices_dir = hall_dir / "devices"
    if secrets_file is not None and not secrets_file.is_file():
        print(f"error: {secrets_file}: secrets file not found")
        return True
    source = SecretSource(secrets_file) if secrets_file else SecretSource.for_hall(hall_dir)
    if not source.has_any():
        # A checkout has no secrets (they are never committed): check everything else.
        print(f"warning: {devices_dir}: secrets not checked: no {source.file} and no "
              f"ONEWINDOW_SECRET_* variables; run `hallserver devices provision {hall_dir}` "
              "or set ONEWINDOW_SECRET_<NAME>")
        source = SecretSource.unchecked()
    try:
        devices = load_devices(devices_dir, source, **_hall_checks(cfg))
    except ConfigError as exc:
        print_issues(exc)
        if source.unresolved:
            option = f" --secrets {secrets_file}" if secrets_file else ""
            print(f"hint: missing secrets: {len(source.unresolved)}; "
                  f"`hallserver devices secrets {hall_dir}{option}` adds random ones to "
                  f"{source.file} (provision does it for a new hall), or set "
                  "ONEWINDOW_SECRET_<NAME>")
        return True
    print(f"ok: {devices_dir}: {devices.summary()}")
    return False


def hall_outline(cfg: HallConfig) -> HallOutline:
    """The parts of a hall layout device provisioning needs."""
    from devices.config.provision import HallOutline, WindowOutline, ZoneOutline  # noqa: PLC0415

    return HallOutline(
        hall_id=cfg.hall.id,
        zones=tuple(ZoneOutline(z.id, z.name.zh, z.name.en) for z in cfg.zones),
        windows=tuple(WindowOutline(w.number, w.zone, w.name.zh, w.name.en)
                      for w in sorted(cfg.windows, key=lambda w: w.number)),
    )


def cmd_devices_provision(args: argparse.Namespace) -> int:
    """Write device files for a hall layout and random broker passwords for them."""
    from devices.config import SecretSource, load_devices  # noqa: PLC0415
    from devices.config.provision import provision  # noqa: PLC0415
    from hallserver.config.loader import ConfigError, load_hall  # noqa: PLC0415

    hall_dir = Path(args.hall_dir)
    outdir = args.out or hall_dir / "devices"
    secrets_file = args.secrets or hall_dir / "secrets.yaml"
    try:
        cfg = load_hall(hall_dir / "hall.yaml")
        result = provision(hall_outline(cfg), outdir, secrets_file, force=args.force)
        print(f"wrote {len(result.written)} device files to {outdir}")
        print(f"secrets: {len(result.secrets_added)} added to {secrets_file} (mode 0600), "
              "existing entries kept")
        devices = load_devices(outdir, SecretSource(secrets_file), **_hall_checks(cfg))
    except ConfigError as exc:
        print_issues(exc)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    print(f"ok: {outdir}: {devices.summary()}")
    return 0


def cmd_devices_secrets(args: argparse.Namespace) -> int:
    """Add a random broker password for every secret the device files need (keeps others)."""
    from devices.config import SERVER_SECRET, required_secrets  # noqa: PLC0415
    from devices.config.provision import ensure_secrets  # noqa: PLC0415
    from hallserver.config.loader import ConfigError  # noqa: PLC0415

    hall_dir = Path(args.hall_dir)
    devices_dir = args.devices or hall_dir / "devices"
    secrets_file = args.secrets or hall_dir / "secrets.yaml"
    try:
        names = required_secrets(sorted(devices_dir.glob("*.yaml")))
        added = ensure_secrets([*names, SERVER_SECRET], secrets_file)
    except ConfigError as exc:
        print_issues(exc)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    print(f"secrets: {len(added)} added to {secrets_file} (mode 0600), "
          f"{len(names) + 1 - len(added)} kept")
    return 0


def cmd_devices_schema(args: argparse.Namespace) -> int:
    """Export the JSON Schema of device files."""
    from devices.config.schema import export_schemas  # noqa: PLC0415

    for path in export_schemas(args.out):
        print(f"wrote {path}")
    return 0


def _init(settings: Settings, admin_password: str | None, staff_password: str | None,
          extra_users: Sequence[tuple[str, str, str]] = (), *,
          load_layout: bool = True) -> str | None:
    """Migrate, apply the layout file, create logins; returns a generated admin password.

    `load_layout=False` keeps the database's layout (an admin's edits) when it has one."""
    from hallserver.app import build_services  # noqa: PLC0415
    from hallserver.services.auth import Role  # noqa: PLC0415

    services = build_services(settings)
    try:
        if load_layout:
            services.layout.seed_from_file(settings.config, actor="init-db")
        generated = None
        if admin_password is None:
            admin_password = generated = secrets.token_urlsafe(12)
        created = services.auth.ensure_user("admin", "管理员 Administrator", Role.ADMIN,
                                            admin_password)
        for username, name, role in extra_users:
            services.auth.ensure_user(username, name, Role(role), staff_password)
        with services.ctx.db.read() as session:
            layout = services.layout.current(session)
        services.auth.seed_staff(layout, staff_password)
        return generated if created else None
    finally:
        services.ctx.db.close()


def cmd_init_db(args: argparse.Namespace) -> int:
    """Create or migrate the database, load the layout, create the admin login."""
    settings = Settings(config=args.config) if args.config else Settings()
    generated = _init(settings, args.admin_password or os.environ.get("HALL_ADMIN_PASSWORD"),
                      None)
    print(f"database ready: {settings.database_url}")
    if generated:
        print(f"admin login created: admin / {generated}  (shown once; change it)")
    return 0


class Ready(Protocol):
    """Called once the server listens (and its lifespan, bus included, has started)."""

    def __call__(self, app: FastAPI) -> None: ...


def _serve(settings: Settings, *, on_ready: Ready | None = None,
           uvicorn_logs: bool = True) -> None:
    """Run the server until Ctrl-C / SIGTERM. `uvicorn_logs=False` leaves uvicorn's loggers
    to ours (the demo's log file) instead of its own console handlers."""
    import uvicorn  # noqa: PLC0415

    from hallserver.app import create_app  # noqa: PLC0415

    app = create_app(settings)
    live = app.state.services.live

    class Server(uvicorn.Server):
        """Ends the live pages' event streams first on Ctrl-C / SIGTERM: uvicorn waits for
        open responses, and a stream never ends by itself (browsers reconnect later)."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            live.close()
            super().handle_exit(sig, frame)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and on_ready is not None:
                # Its own thread: it may wait for devices while requests are served.
                threading.Thread(target=on_ready, args=(app,), name="on-ready",
                                 daemon=True).start()

    logs: dict[str, Any] = {} if uvicorn_logs else {"log_config": None}
    server = Server(uvicorn.Config(app, host=settings.host, port=settings.port, workers=1,
                                   log_level="info", access_log=False,
                                   timeout_graceful_shutdown=SHUTDOWN_GRACE_S, **logs))
    try:
        server.run()
    except KeyboardInterrupt:
        # uvicorn raises the Ctrl-C again once it has stopped gracefully: we are done.
        logger.info("stopped by Ctrl-C")


def _startup_error(exc: Exception) -> int:
    """Print why the server cannot start (no traceback: the message says what to do)."""
    from hallserver.config.loader import ConfigError  # noqa: PLC0415

    if isinstance(exc, ConfigError):
        for issue in exc.issues:
            print(f"error: {issue}", file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)
    return 1


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the hall server with settings from HALL_* variables."""
    from hallserver.bus.wiring import BusConfigError  # noqa: PLC0415
    from hallserver.config.loader import ConfigError  # noqa: PLC0415

    settings = Settings()
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    if args.host:
        settings = settings.model_copy(update={"host": args.host})
    try:
        settings = settings.with_public_url()
        if is_wildcard(settings.host):
            print(f"phones and screens open {settings.base_url()} (HALL_PUBLIC_URL)")
        _serve(settings)
    except (BusConfigError, ConfigError, PublicUrlError) as exc:
        return _startup_error(exc)
    return 0


def _demo_secrets(hall_dir: Path, secrets_file: Path) -> Path:
    """A secrets file for the demo devices under var/ (created once, never committed;
    passwords already there are kept)."""
    from devices.config.provision import ensure_secrets  # noqa: PLC0415
    from devices.config.secret import SERVER_SECRET, required_secrets  # noqa: PLC0415

    names = [*required_secrets(sorted((hall_dir / "devices").glob("*.yaml"))), SERVER_SECRET]
    ensure_secrets(names, secrets_file)
    return secrets_file


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo hall on SQLite with demo logins, the embedded broker and simulated
    devices; opening hours off by default."""
    paths = DemoPaths.under(args.data_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    setup_demo_logging(paths.log, verbose=args.verbose or args.demo_verbose,
                       debug=args.verbose, append=args.keep)
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{paths.db}{suffix}").unlink(missing_ok=True)
    try:
        settings = demo_settings(args, paths, _demo_secrets(DEFAULT_CONFIG.parent, paths.secrets))
    except PublicUrlError as exc:
        return _startup_error(exc)
    # --keep keeps the previous run's layout too (edits made on /admin survive a restart).
    _init(settings, DEMO_PASSWORD, DEMO_PASSWORD,
          extra_users=[("manager", "值班主任 Duty manager", "manager")], load_layout=not args.keep)
    print(f"OneWindow 一窗通: starting the demo hall 正在启动演示大厅 (log 日志: {paths.log}) ...",
          flush=True)

    def ready(app: FastAPI) -> None:
        runtime = app.state.bus
        online = None
        if runtime is not None and runtime.simulation is not None:
            simulation = runtime.simulation
            simulation.wait_connected(timeout=DEVICES_WAIT_S)
            online = sum(c.connected.is_set() for c in simulation.clients.values())
        print(demo_banner(settings, paths, enforce_hours=args.enforce_hours,
                          real_kiosks=args.real_kiosks, devices_online=online), flush=True)

    _serve(settings, on_ready=ready, uvicorn_logs=False)
    print(f"OneWindow 一窗通 demo stopped 演示已停止 (log 日志: {paths.log})", flush=True)
    return 0


def cmd_broker_config(args: argparse.Namespace) -> int:
    """Write a Mosquitto configuration, password file and ACL for the hall's devices."""
    from hallserver.bus.mosquitto import (  # noqa: PLC0415
        MOSQUITTO_USER,
        hand_files_to_service_user,
        write_mosquitto_config,
    )
    from hallserver.bus.wiring import BusConfigError, load_hall_devices  # noqa: PLC0415
    from hallserver.config.loader import ConfigError, load_hall  # noqa: PLC0415

    settings = Settings()
    if args.config:
        settings = settings.model_copy(update={"config": args.config})
    if args.secrets:
        settings = settings.model_copy(update={"secrets": args.secrets})
    try:
        cfg = load_hall(settings.config)
        hall = load_hall_devices(settings, cfg)
    except ConfigError as exc:
        print_issues(exc)
        return 1
    except BusConfigError as exc:
        print(f"error: {exc}")
        return 1
    outdir = Path(args.outdir)
    files = write_mosquitto_config(
        outdir, hall_id=cfg.hall.id, accounts=hall.accounts, port=args.port, bind=args.bind,
        persistence_dir=outdir / "data")
    # Mosquitto started as root reads passwd and acl only after switching to its own user.
    problems = hand_files_to_service_user(files)
    owner = f", owned by {MOSQUITTO_USER}" if os.geteuid() == 0 and not problems else ""
    print(f"wrote {files.config}, {files.passwd} (0600{owner}), {files.acl}: "
          f"{len(hall.accounts)} accounts for hall {cfg.hall.id}")
    for problem in problems:
        print(f"warning: {problem}")
    host = "127.0.0.1" if is_wildcard(args.bind) else args.bind
    secrets_env = f"HALL_SECRETS={args.secrets} " if args.secrets else ""
    print(f"run:   mosquitto -c {files.config}")
    print(f"then:  HALL_MQTT_URL=mqtt://{host}:{args.port} {secrets_env}hallserver serve")
    return 0


def cmd_bench_issue(args: argparse.Namespace) -> int:
    """Benchmark ticket issue over HTTP against a bare endpoint."""
    from hallserver.bench.issue import run  # noqa: PLC0415

    return run(clients=args.clients, requests=args.requests, database_url=args.database_url)


def cmd_bench_kiosk(args: argparse.Namespace) -> int:
    """Tap -> ticket on screen through the demo server; ticket render times."""
    from hallserver.bench.kiosk import run  # noqa: PLC0415

    return run(taps=args.taps, renders=args.renders, gap=args.gap)


def cmd_bench_mqtt(args: argparse.Namespace) -> int:
    """Benchmark the MQTT ticket round trip and server memory for each broker."""
    from hallserver.bench.mqtt import run  # noqa: PLC0415

    return run(requests=args.requests, kiosks=args.kiosks, devices=args.devices,
               brokers=args.broker)


def cmd_bench_routing(args: argparse.Namespace) -> int:
    """Simulate hall days: the production routing policy against baselines."""
    from hallserver.bench.routing import run  # noqa: PLC0415

    return run(scenarios=args.scenario, seeds=args.seeds, json_path=args.json,
               plots=args.plots, jobs=args.jobs)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `hallserver`."""
    parser = argparse.ArgumentParser(prog="hallserver", description="OneWindow hall server")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run_commands(sub)
    _add_config_commands(sub)
    _add_bench_commands(sub)
    return parser


def _add_run_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="run the demo hall on embedded defaults")
    demo.add_argument("--host", default="127.0.0.1",
                      help="HTTP bind address (0.0.0.0: phones and screens on the LAN; the "
                      "URLs and QR codes then use this machine's LAN address, or "
                      "HALL_PUBLIC_URL)")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--enforce-hours", action="store_true",
                      help="refuse tickets outside the demo hall's opening hours")
    demo.add_argument("--keep", action="store_true", help="keep the previous demo database")
    demo.add_argument("--mqtt-port", type=int, default=1883,
                      help="port of the embedded MQTT broker (0: any free port)")
    demo.add_argument("--no-sim", action="store_true", help="no simulated devices")
    demo.add_argument("--real-kiosks", action="store_true",
                      help="leave kiosk-a1, terminal-a1 (and their printers) and window 1's "
                      "caller and pad to the real apps instead of simulating them")
    demo.add_argument("--verbose", dest="demo_verbose", action="store_true",
                      help="show the devices' and the simulation's log here, not only in "
                      "the log file")
    demo.add_argument("--data-dir", type=Path, default=DEMO_DIR,
                      help=f"database, broker passwords and log (default {DEMO_DIR})")

    broker = sub.add_parser("broker-config",
                            help="write Mosquitto config, passwords and ACL for the devices")
    broker.add_argument("outdir", type=Path)
    broker.add_argument("--config", type=Path, help="hall.yaml (default HALL_CONFIG)")
    broker.add_argument("--secrets", type=Path, help="secrets file (default beside hall.yaml)")
    broker.add_argument("--port", type=int, default=1883)
    broker.add_argument("--bind", default="127.0.0.1", help="listen address")
    broker.set_defaults(func=cmd_broker_config)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the hall server (settings from HALL_*)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    init = sub.add_parser("init-db", help="create/migrate the database and load the layout")
    init.add_argument("--config", type=Path, help="hall.yaml (default HALL_CONFIG)")
    init.add_argument("--admin-password", help="admin password (default: generated)")
    init.set_defaults(func=cmd_init_db)


def _add_config_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    validate = config_sub.add_parser("validate", help="validate hall layout files")
    validate.add_argument("paths", nargs="+", help="hall.yaml files or hall directories; "
                          "a devices/ directory next to hall.yaml is validated too")
    validate.add_argument("--secrets", type=Path,
                          help="secrets file (default: secrets.yaml next to hall.yaml)")
    validate.set_defaults(func=cmd_config_validate)

    calendar = sub.add_parser("calendar", help="the holiday calendar: coverage, next year")
    calendar_sub = calendar.add_subparsers(dest="calendar_command", required=True)
    status = calendar_sub.add_parser("status", help="years covered; exit 3 when next year's "
                                     "notice is due (from 1 November) and not entered")
    status.add_argument("--config", type=Path, help="hall.yaml (default HALL_CONFIG)")
    status.add_argument("--today", type=date.fromisoformat, help="as if on this date")
    status.set_defaults(func=cmd_calendar_status)
    add = calendar_sub.add_parser(
        "add", help="enter a year's State Council notice (a calendar file of that year)")
    add.add_argument("notice", type=Path, help="YAML in the schema of the shipped calendar "
                     "(hallserver/config/calendars/cn-mainland.yaml) with the year's dates")
    add.add_argument("--config", type=Path, help="hall.yaml (default HALL_CONFIG)")
    add.add_argument("--replace", action="store_true", help="correct a year already entered")
    add.add_argument("--no-database", action="store_true",
                     help="only the site calendar file (the layout takes it at init-db)")
    add.set_defaults(func=cmd_calendar_add)

    devices = sub.add_parser("devices", help="device config tools")
    devices_sub = devices.add_subparsers(dest="devices_command", required=True)
    prov = devices_sub.add_parser(
        "provision", help="write device files and broker passwords for a hall layout")
    prov.add_argument("hall_dir", type=Path, help="directory holding hall.yaml")
    prov.add_argument("--out", type=Path, help="device directory (default HALL_DIR/devices)")
    prov.add_argument("--secrets", type=Path,
                      help="secrets file to create or extend (default HALL_DIR/secrets.yaml)")
    prov.add_argument("--force", action="store_true", help="overwrite existing device files")
    prov.set_defaults(func=cmd_devices_provision)
    sec = devices_sub.add_parser(
        "secrets", help="add missing broker passwords for existing device files")
    sec.add_argument("hall_dir", type=Path, help="directory holding hall.yaml")
    sec.add_argument("--devices", type=Path, help="device directory (default HALL_DIR/devices)")
    sec.add_argument("--secrets", type=Path,
                     help="secrets file to create or extend (default HALL_DIR/secrets.yaml)")
    sec.set_defaults(func=cmd_devices_secrets)
    schema = devices_sub.add_parser("schema", help="export the JSON Schema of device files")
    schema.add_argument("--out", type=Path, default=SCHEMA_DIR,
                        help=f"output directory (default {SCHEMA_DIR})")
    schema.set_defaults(func=cmd_devices_schema)


def _add_bench_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser("bench", help="benchmarks that print numbers")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    issue = bench_sub.add_parser("issue", help="ticket issue over HTTP vs a bare endpoint")
    issue.add_argument("--clients", type=int, default=8)
    issue.add_argument("--requests", type=int, default=2000)
    issue.add_argument("--database-url", help="default: a fresh SQLite file")
    issue.set_defaults(func=cmd_bench_issue)
    mq = bench_sub.add_parser("mqtt", help="ticket round trip over MQTT vs a bare echo; "
                              "server memory with many devices")
    mq.add_argument("--requests", type=int, default=300)
    mq.add_argument("--kiosks", type=int, nargs="+", default=[1, 8])
    mq.add_argument("--devices", type=int, default=500)
    mq.add_argument("--broker", choices=["amqtt", "mosquitto"], action="append",
                    help="default: both")
    mq.set_defaults(func=cmd_bench_mqtt)
    kb = bench_sub.add_parser("kiosk", help="tap -> ticket on screen through the demo server; "
                              "render_ticket times")
    kb.add_argument("--taps", type=int, default=200)
    kb.add_argument("--renders", type=int, default=200)
    kb.add_argument("--gap", type=float, default=0.25,
                    help="seconds between citizens (0: back to back)")
    kb.set_defaults(func=cmd_bench_kiosk)
    rb = bench_sub.add_parser("routing", help="simulated hall days: production routing vs "
                              "baselines and the pooled reference")
    rb.add_argument("--scenario", action="append",
                    help="S1..S8, smoke or a scenario file (repeatable; default: S1..S8)")
    rb.add_argument("--seeds", type=int, default=30, help="days per scenario (paired)")
    rb.add_argument("--json", type=Path, help="write the results as JSON")
    rb.add_argument("--plots", type=Path, help="directory for PNG plots")
    rb.add_argument("--jobs", type=int, help="worker processes (default: up to 2)")
    rb.set_defaults(func=cmd_bench_routing)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hallserver` console script."""
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        result = 130  # Ctrl-C before a server took it over (128 + SIGINT, as shells say)
    if argv is None and args.func in (cmd_serve, cmd_demo):
        _exit_now(result)
    return result


def _exit_now(code: int) -> None:
    """End a stopped server's process without the interpreter's teardown.

    Everything is closed by then (database, broker, devices); what is left is tearing down
    hundreds of modules and objects, which took 1-3 s after Ctrl-C on a busy 2-core machine.
    Only for the console command: a caller of `main(argv)` (a test) gets the code back."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
