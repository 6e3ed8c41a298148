"""`hallserver` command line: demo, serve, init-db, config validate, bench."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from hallserver.settings import DEFAULT_CONFIG, Settings

logger = logging.getLogger(__name__)

DEMO_DB = Path("var/demo.db")
DEMO_PASSWORD = "demo1234"  # noqa: S105 (demo accounts only; printed on start)


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def cmd_config_validate(args: argparse.Namespace) -> int:
    """Validate hall layout files; print every issue with file and line."""
    from hallserver.config.loader import ConfigError, load_hall  # noqa: PLC0415

    failed = False
    for path in args.paths:
        target = Path(path)
        if target.is_dir():
            target = target / "hall.yaml"
        try:
            cfg = load_hall(target)
        except ConfigError as exc:
            failed = True
            for issue in exc.issues:
                print(f"error: {issue}")
            continue
        except OSError as exc:
            failed = True
            print(f"error: {target}: {exc.strerror}")
            continue
        for warning in cfg.roster_warnings():
            print(f"warning: {target}: {warning}")
        print(f"ok: {target}: hall {cfg.hall.id}, {len(cfg.categories)} categories, "
              f"{len(cfg.items)} items, {len(cfg.windows)} windows, {len(cfg.staff)} staff")
    return 1 if failed else 0


def _init(settings: Settings, admin_password: str | None, staff_password: str | None,
          extra_users: Sequence[tuple[str, str, str]] = ()) -> str | None:
    """Migrate, apply the layout file, create logins; returns a generated admin password."""
    from hallserver.app import build_services  # noqa: PLC0415
    from hallserver.services.auth import Role  # noqa: PLC0415

    services = build_services(settings)
    try:
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


def _serve(settings: Settings) -> None:
    import uvicorn  # noqa: PLC0415

    from hallserver.app import create_app  # noqa: PLC0415

    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, workers=1, log_level="info",
                access_log=False)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the hall server with settings from HALL_* variables."""
    settings = Settings()
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    if args.host:
        settings = settings.model_copy(update={"host": args.host})
    _serve(settings)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo hall on SQLite with demo logins; opening hours off by default."""
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    settings = Settings(
        config=DEFAULT_CONFIG, database_url=f"sqlite:///{DEMO_DB}", port=args.port,
        enforce_hours=args.enforce_hours,
    )
    _init(settings, DEMO_PASSWORD, DEMO_PASSWORD,
          extra_users=[("manager", "值班主任 Duty manager", "manager")])
    base = f"http://{settings.host}:{settings.port}"
    print(f"""
OneWindow 一窗通 demo hall (SQLite: {DEMO_DB}, opening hours {'enforced' if args.enforce_hours
      else 'not enforced'})
  API docs 接口文档      {base}/docs
  health 健康检查        {base}/healthz
  queues 排队情况        {base}/api/queues
  windows 窗口状态       {base}/api/windows
  layout 大厅布局        {base}/api/layout
Logins 登录 (password {DEMO_PASSWORD}): admin, manager, staff 10001 (window 1, role A) ...
Take a number 取号:  curl -X POST {base}/api/tickets -H 'content-type: application/json' \\
                        -d '{{"category": "A"}}'
""", flush=True)
    _serve(settings)
    return 0


def cmd_bench_issue(args: argparse.Namespace) -> int:
    """Benchmark ticket issue over HTTP against a bare endpoint."""
    from hallserver.bench.issue import run  # noqa: PLC0415

    return run(clients=args.clients, requests=args.requests, database_url=args.database_url)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `hallserver`."""
    parser = argparse.ArgumentParser(prog="hallserver", description="OneWindow hall server")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the demo hall on embedded defaults")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--enforce-hours", action="store_true",
                      help="refuse tickets outside the demo hall's opening hours")
    demo.add_argument("--keep", action="store_true", help="keep the previous demo database")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the hall server (settings from HALL_*)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    init = sub.add_parser("init-db", help="create/migrate the database and load the layout")
    init.add_argument("--config", type=Path, help="hall.yaml (default HALL_CONFIG)")
    init.add_argument("--admin-password", help="admin password (default: generated)")
    init.set_defaults(func=cmd_init_db)

    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    validate = config_sub.add_parser("validate", help="validate hall layout files")
    validate.add_argument("paths", nargs="+", help="hall.yaml files or hall directories")
    validate.set_defaults(func=cmd_config_validate)

    bench = sub.add_parser("bench", help="benchmarks that print numbers")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    issue = bench_sub.add_parser("issue", help="ticket issue over HTTP vs a bare endpoint")
    issue.add_argument("--clients", type=int, default=8)
    issue.add_argument("--requests", type=int, default=2000)
    issue.add_argument("--database-url", help="default: a fresh SQLite file")
    issue.set_defaults(func=cmd_bench_issue)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hallserver` console script."""
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
