"""Provisioning, secrets files, schema export and the device commands of the CLI."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from support import DEMO_CONFIG, ROOT

from devices.config import SERVER_SECRET, SecretSource, load_devices
from devices.config.models import MODELS
from devices.config.provision import ensure_secrets, plan_devices
from devices.config.schema import COMBINED, schema_files
from devices.config.secret import read_secrets
from hallserver.cli import hall_outline, main
from hallserver.config import ConfigError, load_hall

DEMO_DIR = DEMO_CONFIG.parent
SCHEMA_DIR = ROOT / "firmware_configs" / "schema"
SUMMARY = "106 devices (2 kiosk, 2 terminal, 24 pad, 28 printer, 24 led, 24 caller, 2 screen)"


@pytest.fixture
def hall_dir(tmp_path: Path) -> Path:
    """A copy of the demo hall layout without devices or secrets."""
    target = tmp_path / "demo"
    target.mkdir()
    shutil.copy(DEMO_CONFIG, target / "hall.yaml")
    return target


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_provision_writes_files_that_load(hall_dir: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("ONEWINDOW_SECRET_")]:
        monkeypatch.delenv(key)
    assert main(["devices", "provision", str(hall_dir)]) == 0
    out = capsys.readouterr().out
    assert f"ok: {hall_dir / 'devices'}: {SUMMARY}" in out
    assert "secrets: 107 added" in out
    secrets_file = hall_dir / "secrets.yaml"
    assert mode(secrets_file) == 0o600
    values, issues = read_secrets(secrets_file)
    assert issues == []
    assert SERVER_SECRET in values
    assert len(set(values.values())) == 107  # every account has its own password
    assert all(len(v) >= 32 for v in values.values())
    assert not any(v in out for v in values.values())
    hall = load_hall(hall_dir / "hall.yaml")
    devices = load_devices(hall_dir / "devices", SecretSource.for_hall(hall_dir, env={}),
                           windows={w.number for w in hall.windows},
                           zones={z.id for z in hall.zones}, hall_id=hall.hall.id)
    assert devices["kiosk-b1"].mqtt.password.get_secret_value() == values["kiosk-b1"]


def test_committed_demo_devices_are_the_provision_output() -> None:
    planned = plan_devices(hall_outline(load_hall(DEMO_CONFIG)))
    committed = {p.name: p.read_text(encoding="utf-8")
                 for p in (DEMO_DIR / "devices").glob("*.yaml")}
    assert set(planned) == set(committed)
    different = [name for name in planned if planned[name] != committed[name]]
    assert different == [], "run: hallserver devices provision firmware_configs/demo --force"


def test_provision_refuses_to_overwrite_and_keeps_secrets(
        hall_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "provision", str(hall_dir)]) == 0
    secrets_file = hall_dir / "secrets.yaml"
    before = read_secrets(secrets_file)[0]
    pad = hall_dir / "devices" / "pad-1.yaml"
    pad.write_text(pad.read_text(encoding="utf-8") + "idle_timeout_s: 45\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["devices", "provision", str(hall_dir)]) == 1
    assert "pass --force" in capsys.readouterr().out
    assert "idle_timeout_s: 45" in pad.read_text(encoding="utf-8")
    assert main(["devices", "provision", str(hall_dir), "--force"]) == 0
    assert "secrets: 0 added" in capsys.readouterr().out
    assert "idle_timeout_s" not in pad.read_text(encoding="utf-8")
    assert read_secrets(secrets_file)[0] == before


def test_provision_follows_the_layout(tmp_path: Path) -> None:
    hall = hall_outline(load_hall(DEMO_CONFIG))
    small = type(hall)(hall_id="demo", zones=hall.zones[:1], windows=hall.windows[:2])
    assert sorted(plan_devices(small)) == sorted(
        f"{n}.yaml" for n in ["caller-1", "caller-2", "kiosk-a1", "led-1", "led-2", "pad-1",
                              "pad-2", "printer-a1", "printer-a2", "printer-w1", "printer-w2",
                              "screen-a", "terminal-a1"])


def test_ensure_secrets_appends_and_keeps(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.yaml"
    assert ensure_secrets(["pad-1", "hallserver"], path) == ["hallserver", "pad-1"]
    assert mode(path) == 0o600
    first = read_secrets(path)[0]
    path.write_text(path.read_text(encoding="utf-8") + "# installer's note\n",
                    encoding="utf-8")
    path.chmod(0o644)
    assert ensure_secrets(["pad-1", "pad-2"], path) == ["pad-2"]
    second = read_secrets(path)[0]
    assert second["pad-1"] == first["pad-1"]
    assert second["hallserver"] == first["hallserver"]
    assert set(second) == {"hallserver", "pad-1", "pad-2"}
    assert "# installer's note" in path.read_text(encoding="utf-8")
    assert mode(path) == 0o600
    assert ensure_secrets(["pad-2"], path) == []
    with pytest.raises(ValueError, match="invalid secret names: Bad Name"):
        ensure_secrets(["Bad Name"], path)


def test_ensure_secrets_refuses_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text("schema_version: 1\npad-1: 123\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"secrets.yaml:2: pad-1: a secret value is text"):
        ensure_secrets(["pad-2"], path)
    assert path.read_text(encoding="utf-8") == "schema_version: 1\npad-1: 123\n"


def test_schema_files_are_current() -> None:
    fresh = schema_files()
    assert set(fresh) == {f"{t.value}.schema.json" for t in MODELS} | {COMBINED}
    stale = [name for name, text in fresh.items()
             if not (SCHEMA_DIR / name).is_file()
             or (SCHEMA_DIR / name).read_text(encoding="utf-8") != text]
    assert stale == [], "run: hallserver devices schema"


def _undescribed(node: object, where: str) -> list[str]:
    missing: list[str] = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if "description" not in prop:
                missing.append(f"{where}.{name}")
        for key, value in node.items():
            missing += _undescribed(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            missing += _undescribed(value, f"{where}[{i}]")
    return missing


def test_every_field_has_a_description() -> None:
    combined = json.loads(schema_files()[COMBINED])
    assert _undescribed(combined, "device") == []
    assert "the device id" in json.dumps(combined["$defs"]["MqttLink"])


def test_cli_validate_without_secrets_checks_the_rest(
        hall_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("ONEWINDOW_SECRET_")]:
        monkeypatch.delenv(key)
    shutil.copytree(DEMO_DIR / "devices", hall_dir / "devices")
    assert main(["config", "validate", str(hall_dir)]) == 0
    out = capsys.readouterr().out
    assert f"warning: {hall_dir / 'devices'}: secrets not checked" in out
    assert f"ok: {hall_dir / 'devices'}: {SUMMARY}" in out
    # once a secrets source exists, missing secrets are errors
    monkeypatch.setenv("ONEWINDOW_SECRET_PAD_1", "from-the-environment")
    assert main(["config", "validate", str(hall_dir)]) == 1
    out = capsys.readouterr().out
    assert "secret 'pad-2' is not set" in out
    assert "secret 'pad-1'" not in out
    assert "hint: missing secrets: 105;" in out


def test_cli_validate_with_secrets(hall_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    secrets_file = tmp_path / "given.yaml"
    shutil.copytree(DEMO_DIR / "devices", hall_dir / "devices")
    assert main(["devices", "secrets", str(hall_dir), "--secrets", str(secrets_file)]) == 0
    assert "secrets: 107 added" in capsys.readouterr().out
    assert main(["config", "validate", str(hall_dir), "--secrets", str(secrets_file)]) == 0
    out = capsys.readouterr().out
    assert f"ok: {hall_dir / 'devices'}: {SUMMARY}" in out
    assert "warning" not in out
    # a missing secret is an error with file and line, plus one hint
    text = secrets_file.read_text(encoding="utf-8")
    secrets_file.write_text("\n".join(line for line in text.splitlines()
                                      if not line.startswith("pad-3:")) + "\n",
                            encoding="utf-8")
    assert main(["config", "validate", str(hall_dir), "--secrets", str(secrets_file)]) == 1
    out = capsys.readouterr().out
    assert (f"error: {hall_dir / 'devices' / 'pad-3.yaml'}:15: mqtt.password: secret 'pad-3' "
            "is not set") in out
    assert "hint: missing secrets: 1; `hallserver devices secrets" in out
    assert main(["config", "validate", str(hall_dir), "--secrets",
                 str(tmp_path / "none.yaml")]) == 1
    assert "secrets file not found" in capsys.readouterr().out


def test_cli_validate_reports_device_errors(hall_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "provision", str(hall_dir)]) == 0
    pad = hall_dir / "devices" / "pad-2.yaml"
    pad.write_text(pad.read_text(encoding="utf-8").replace("window: 2", "window: 77"),
                   encoding="utf-8")
    capsys.readouterr()
    assert main(["config", "validate", str(hall_dir / "hall.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"ok: {hall_dir / 'hall.yaml'}: hall demo" in out
    assert f"error: {pad}:16: window: unknown window 77 (not in hall.yaml)" in out
    assert "ok: " + str(hall_dir / "devices") not in out
