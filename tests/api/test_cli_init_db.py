"""`hallserver init-db`: migrates, loads the layout, creates admin and staff logins once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import DEMO_CONFIG, FakeClock

from hallserver.cli import main
from hallserver.config import load_hall
from hallserver.services.auth import LoginFailed
from hallserver.services.layout import LayoutService
from hallserver.store.db import Database


def test_init_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str], clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path}/hall.db"
    monkeypatch.setenv("HALL_DATABASE_URL", url)
    monkeypatch.delenv("HALL_ADMIN_PASSWORD", raising=False)
    assert main(["init-db", "--config", str(DEMO_CONFIG)]) == 0
    out = capsys.readouterr().out
    password = re.search(r"admin / (\S+)", out)
    assert password, out
    assert main(["init-db", "--config", str(DEMO_CONFIG)]) == 0
    assert "admin login created" not in capsys.readouterr().out  # shown once only

    from hallserver.services.auth import AuthService  # noqa: PLC0415

    db = Database(url, "demo")
    try:
        auth = AuthService(db, clock)
        assert auth.login("admin", password.group(1)).user.role == "admin"
        with pytest.raises(LoginFailed):
            auth.login("admin", "wrong")
        with pytest.raises(LoginFailed):   # staff exist but have no password yet
            auth.login("10001", "")
        layout = LayoutService(db, "demo", clock)
        with db.read() as session:
            assert layout.current(session) == load_hall(DEMO_CONFIG)
    finally:
        db.close()
