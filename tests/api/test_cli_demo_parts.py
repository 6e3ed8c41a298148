"""The pieces of `hallserver demo` and `hallserver serve` without starting a server: the
free window, the banner's commands, the public URL when binding every interface, the
simulated hall's shutdown, and what `serve` says when the broker password is missing."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import pytest
from support import DEMO_CONFIG

from devices.sim.hall import SimulatedHall
from hallserver.cli import build_parser, main
from hallserver.demo import FREE_STAFF, FREE_WINDOW, DemoPaths, demo_banner, demo_settings, script
from hallserver.lan import is_wildcard, lan_addresses
from hallserver.settings import PublicUrlError, Settings

REPO = Path(__file__).resolve().parents[2]


def _demo_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["demo", *argv])


def test_demo_leaves_window_1_and_its_staff_member_free(tmp_path: Path) -> None:
    settings = demo_settings(_demo_args(), DemoPaths.under(tmp_path), tmp_path / "s.yaml")
    assert settings.simulate and settings.simulate_free_windows == [FREE_WINDOW]
    cfg_text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert f'{{id: "{FREE_STAFF}", name: 张晓燕, role_a: [{FREE_WINDOW}]' in cfg_text


def test_banner_commands_run_from_the_repository(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    kiosk = script("onewindow-kiosk")
    assert (REPO / kiosk).is_file() or Path(kiosk).is_file(), kiosk
    assert not kiosk.startswith("onewindow-kiosk")  # not on PATH after ./scripts/demo
    paths = DemoPaths.under(tmp_path)
    settings = demo_settings(_demo_args(), paths, tmp_path / "s.yaml")
    banner = demo_banner(settings, paths, enforce_hours=False, real_kiosks=False,
                         devices_online=106)
    assert f"{kiosk} --config firmware_configs/demo/devices/kiosk-a1.yaml --secrets " \
        f"{tmp_path / 's.yaml'}" in banner
    assert str(paths.log) in banner
    assert "--host 0.0.0.0" in banner  # how to reach it from phones


def test_wildcard_bind_uses_the_lan_address_for_urls(tmp_path: Path) -> None:
    settings = Settings(host="0.0.0.0", port=8123)
    assert settings.with_public_url(lambda: ["192.0.2.7"]).base_url() == \
        "http://192.0.2.7:8123"
    assert settings.local_url() == "http://127.0.0.1:8123"
    explicit = settings.model_copy(update={"public_url": "http://hall.example:80/"})
    assert explicit.with_public_url(lambda: ["192.0.2.7"]).base_url() == "http://hall.example:80"
    loopback = Settings(host="127.0.0.1", port=8123)
    assert loopback.with_public_url(lambda: ["192.0.2.7"]).base_url() == \
        "http://127.0.0.1:8123"
    with pytest.raises(PublicUrlError, match="HALL_PUBLIC_URL"):
        settings.with_public_url(list)
    assert is_wildcard("::") and is_wildcard("[::]") and not is_wildcard("::1")


def test_lan_addresses_leave_out_loopback() -> None:
    assert all(not a.startswith("127.") for a in lan_addresses())


def test_demo_banner_on_the_lan(tmp_path: Path) -> None:
    paths = DemoPaths.under(tmp_path)
    settings = Settings(host="0.0.0.0", port=8080, secrets=tmp_path / "s.yaml",
                        simulate=True).with_public_url(lambda: ["192.0.2.7"])
    banner = demo_banner(settings, paths, enforce_hours=False, real_kiosks=False,
                         devices_online=None)
    assert "http://192.0.2.7:8080/screen" in banner
    assert "0.0.0.0" not in banner
    assert "curl -X POST http://127.0.0.1:8080/api/tickets" in banner  # curl runs here


class _SlowToStop:
    """Stands in for a device client whose goodbye takes a while: it stops only once every
    other client is stopping at the same time."""

    def __init__(self, barrier: threading.Barrier) -> None:
        self.barrier = barrier
        self.stopped = False

    def stop(self) -> None:
        self.barrier.wait()
        self.stopped = True


def test_simulated_devices_disconnect_side_by_side() -> None:
    """One by one, a hall's hundred devices took seconds to say goodbye; they stop together
    (with one at a time the barrier would break and stop() raise)."""
    barrier = threading.Barrier(20, timeout=30)
    clients = [_SlowToStop(barrier) for _ in range(20)]
    hall = SimulatedHall([])
    hall.clients = {str(i): c for i, c in enumerate(clients)}  # type: ignore[misc]
    hall.stop()
    assert all(c.stopped for c in clients)


def test_serve_says_what_to_run_without_the_broker_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HALL_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("HALL_DATABASE_URL", f"sqlite:///{tmp_path}/hall.db")
    monkeypatch.setenv("HALL_SECRETS", str(tmp_path / "none.yaml"))
    monkeypatch.delenv("ONEWINDOW_SECRET_HALLSERVER", raising=False)
    assert main(["serve", "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    hall_dir = DEMO_CONFIG.parent
    assert f"hallserver devices secrets {hall_dir} --secrets {tmp_path / 'none.yaml'}" in err
    assert "HALL_BUS=false hallserver serve" in err
    assert "未设置服务器的消息代理密码" in err
