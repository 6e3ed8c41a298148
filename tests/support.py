"""Helpers shared by test modules (conftest files are not importable by name)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi.testclient import TestClient

import hallserver.services.auth
from hallserver.services import Services
from hallserver.services.auth import Role
from hallserver.store.db import Database

hallserver.services.auth.SCRYPT_N = 2**4  # fast hashes in tests; verification reads the cost
# No fsync at commit in tests (a process crash, which the crash tests make, still loses nothing;
# only power loss could); test_sqlite_pragmas checks that a hall's default stays FULL.
os.environ.setdefault("HALL_SQLITE_SYNCHRONOUS", "OFF")

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "firmware_configs" / "demo" / "hall.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "pw-test-123"
# Monday 2026-11-23 09:30 in Shanghai: a working day, inside the morning session.
MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


@dataclass
class FakeClock:
    """A settable clock; services read it through `clock()`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


_templates: dict[str, Path] = {}


def migrated_sqlite(directory: Path, name: str = "hall.db") -> str:
    """The URL of a new SQLite database in `directory` at the newest schema: a copy of one
    migrated per test process (a file copy instead of an Alembic run per test)."""
    template = _templates.get("sqlite")
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="onewindow-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "migrated.db"
        db = Database(f"sqlite:///{template}", "template")
        db.migrate()
        db.close()  # the last connection checkpoints the WAL into the file
        _templates["sqlite"] = template
    target = directory / name
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def seed_users(services: Services) -> None:
    """admin, manager and every roster member, all with PASSWORD."""
    services.auth.ensure_user("admin", "Admin", Role.ADMIN, PASSWORD)
    services.auth.ensure_user("manager", "Manager", Role.MANAGER, PASSWORD)
    with services.ctx.db.read() as session:
        layout = services.layout.current(session)
    services.auth.seed_staff(layout, PASSWORD)


def login(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers for a user (the test client's cookie jar is cleared)."""
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


DESK = "manager"  # who takes numbers for the tests: the service desk (服务台), signed in
_desk_headers: weakref.WeakKeyDictionary[TestClient, dict[str, str]] = \
    weakref.WeakKeyDictionary()


def desk(client: TestClient) -> dict[str, str]:
    """Bearer headers of the service desk's login on `client` (one login per client; the
    client's own cookies are left as they were)."""
    headers = _desk_headers.get(client)
    if headers is None:
        cookies = httpx.Cookies(client.cookies)
        r = client.post("/api/auth/login", json={"username": DESK, "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.cookies = cookies
        headers = _desk_headers[client] = {"Authorization": f"Bearer {r.json()['token']}"}
    return headers


def take(client: TestClient, body: dict[str, object] | None = None, *,
         headers: dict[str, str] | None = None) -> httpx.Response:
    """POST /api/tickets as the service desk (ticket issue needs a login or a device); a
    desk session the test's clock has ended (12 h) is opened again."""
    def post() -> httpx.Response:
        return client.post("/api/tickets",
                           json=body if body is not None else {"category": "A"},
                           headers={**desk(client), **(headers or {})})
    r = post()
    if r.status_code == 401:
        _desk_headers.pop(client, None)
        r = post()
    return r


def share_hallbus_fixtures(namespace: dict[str, object]) -> None:
    """Expose tests/hallbus's fixtures (`hall` on amqtt and Mosquitto, `secrets_file`,
    `hall_accounts`) in another folder's conftest: loaded from there, never copied."""
    import importlib.util  # noqa: PLC0415
    import sys  # noqa: PLC0415

    folder = ROOT / "tests" / "hallbus"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # hallbus_support, as the hallbus tests import it
    name = f"hallbus_fixtures_for_{namespace['__name__']}".replace(".", "_")
    spec = importlib.util.spec_from_file_location(name, folder / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for fixture in ("hall", "secrets_file", "hall_accounts"):
        namespace[fixture] = getattr(module, fixture)
