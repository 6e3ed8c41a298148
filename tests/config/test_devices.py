"""Device files: the demo set loads, and every kind of mistake names its file and line."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from support import DEMO_CONFIG, ROOT

from devices.config import (
    SERVER_SECRET,
    DeviceSet,
    Kiosk,
    Led,
    Pad,
    Printer,
    SecretSource,
    broker_credentials,
    env_name,
    load_device,
    load_devices,
    required_secrets,
)
from devices.config.links import Camera, MqttLink, SerialLink, UsbTransport
from devices.config.provision import ensure_secrets
from devices.config.secret import read_secrets
from devices.protocol.topics import DeviceType
from hallserver.config import ConfigError, load_hall

DEMO_DIR = DEMO_CONFIG.parent
DEMO_DEVICES = DEMO_DIR / "devices"
HALL = load_hall(DEMO_CONFIG)
CHECKS = {"windows": {w.number for w in HALL.windows}, "zones": {z.id for z in HALL.zones},
          "hall_id": HALL.hall.id, "categories": {c.code for c in HALL.categories}}


def device(kind: str, device_id: str, *extra: str) -> str:
    """A device file: lines 1-7 are common (id on line 3, password on 7), extras from 8."""
    return "\n".join([
        "schema_version: 1",
        f"type: {kind}",
        f"id: {device_id}",
        "hall: demo",
        f"name: {{zh: {device_id}, en: {device_id}}}",
        "mqtt:",
        f"  password: !secret {device_id}",
        *extra,
    ]) + "\n"


BASE = {
    "printer-a1": device("printer", "printer-a1", "transport: {kind: file, path: var/a.bin}"),
    "printer-b1": device("printer", "printer-b1", "transport: {kind: file, path: var/b.bin}"),
    "kiosk-a1": device("kiosk", "kiosk-a1", "printer: printer-a1", "zone: a"),
    "kiosk-b1": device("kiosk", "kiosk-b1", "printer: printer-b1", "zone: b",
                       "categories: [shuiwu]"),
    "terminal-a1": device("terminal", "terminal-a1", "zone: a"),
    "pad-1": device("pad", "pad-1", "window: 1"),
    "pad-2": device("pad", "pad-2", "window: 2"),
    "led-1": device("led", "led-1", "window: 1", 'serial: {url: "loop://"}'),
    "led-2": device("led", "led-2", "window: 2", 'serial: {url: "loop://"}'),
    "caller-1": device("caller", "caller-1", "window: 1"),
    "screen-a": device("screen", "screen-a", "zone: a"),
}

# (file stem, old text, new text or None = a new file with text `new`), expected
# (file stem, line, fragment). Every edit leaves the others' findings intact, so the
# combined test can apply all at once.
EDITS: dict[str, tuple[tuple[str, str, str], tuple[str, int, str]]] = {
    "wrong type": (("led-2", "window: 2", "window: two"), ("led-2", 8, "window: Input should be "
                                                           "a valid integer")),
    "unknown key": (("screen-a", "zone: a\n", "zone: a\ncolour: red\n"),
                    ("screen-a", 9, "colour: unknown key")),
    "bad id": (("screen-a", "id: screen-a", "id: Screen_A"),
               ("screen-a", 3, "id: String should match pattern")),
    "missing secret": (("printer-b1", "!secret printer-b1", "!secret printer-b9"),
                       ("printer-b1", 7, "mqtt.password: secret 'printer-b9' is not set: set "
                        "ONEWINDOW_SECRET_PRINTER_B9")),
    "pad to unknown window": (("pad-2", "window: 2", "window: 99"),
                              ("pad-2", 8, "window: unknown window 99")),
    "kiosk to unknown printer": (("kiosk-b1", "printer: printer-b1", "printer: printer-zz"),
                                 ("kiosk-b1", 8, "printer: unknown printer 'printer-zz'")),
    "kiosk to a non-printer": (("kiosk-a1", "printer: printer-a1", "printer: led-1"),
                               ("kiosk-a1", 8, "printer: 'led-1' is a led, not a printer")),
    "duplicate id": (("terminal-a2", "", device("terminal", "terminal-a1")),
                     ("terminal-a2", 3, "id: duplicate device id 'terminal-a1' (also in ")),
    "file name is not the id": (("led-one", "", device("led", "led-3", "window: 3",
                                                      "serial: {url: /dev/ttyUSB3}")),
                                ("led-one", 3, "rename led-one.yaml to led-3.yaml")),
    "two pads for one window": (("pad-3", "", device("pad", "pad-3", "window: 1")),
                                ("pad-3", 8, "window 1 already has pad 'pad-1'")),
    "unknown device type": (("gizmo-1", "", device("gizmo", "gizmo-1")),
                            ("gizmo-1", 2, "unknown device type 'gizmo'")),
    "removed key": (("caller-1", "!secret caller-1\n", "!secret caller-1\n  username: u\n"),
                    ("caller-1", 8, "mqtt.username: 'username' is not a setting: a device "
                     "logs in to the broker with its id")),
    "plain password": (("terminal-a1", "!secret terminal-a1", "hunter2hunter2"),
                       ("terminal-a1", 7, "write the password as `!secret <name>`")),
    "other hall": (("printer-a1", "hall: demo", "hall: other"),
                   ("printer-a1", 4, "hall: device of hall 'other', but this is hall 'demo'")),
    "unknown zone": (("kiosk-a1", "zone: a", "zone: c"), ("kiosk-a1", 9, "unknown zone 'c'")),
    "unknown category": (("kiosk-b1", "[shuiwu]", "[nope]"),
                         ("kiosk-b1", 10, "categories[0]: unknown category 'nope'")),
    "unknown transport kind": (("printer-b1", "kind: file", "kind: parallel"),
                               ("printer-b1", 8, "transport.kind: unknown kind 'parallel'")),
    "bad serial url": (("led-2", '"loop://"', "ttyUSB0"),
                       ("led-2", 9, "serial.url: expected an absolute device path")),
    "the server's account": (("hallserver", "", device("pad", "hallserver", "window: 4")),
                             ("hallserver", 3, "'hallserver' is the hall server's broker account")),
    "yaml syntax": (("broken", "", "schema_version: 1\ntype: [pad\n"), ("broken", 3, "(yaml)")),
}


def write_hall(tmp_path: Path, edits: list[tuple[str, str, str]]) -> tuple[Path, SecretSource]:
    files = dict(BASE)
    for stem, old, new in edits:
        if old:
            assert old in files[stem], (stem, old)
            files[stem] = files[stem].replace(old, new, 1)
        else:
            files[stem] = new
    devices_dir = tmp_path / "devices"
    devices_dir.mkdir()
    for stem, text in files.items():
        (devices_dir / f"{stem}.yaml").write_text(text, encoding="utf-8")
    secrets_file = tmp_path / "secrets.yaml"
    ensure_secrets([*BASE, "terminal-a1", "led-3", "pad-3", "gizmo-1", "hallserver"],
                   secrets_file)
    return devices_dir, SecretSource(secrets_file, env={})


def errors(devices_dir: Path, secrets: SecretSource) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_devices(devices_dir, secrets, **CHECKS)
    return [str(i) for i in info.value.issues]


def demo_secrets(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.yaml"
    names = required_secrets(sorted(DEMO_DEVICES.glob("*.yaml")))
    ensure_secrets([*names, SERVER_SECRET], path)
    return path


def test_demo_device_set_loads(tmp_path: Path) -> None:
    secrets_file = demo_secrets(tmp_path)
    devices = load_devices(DEMO_DEVICES, SecretSource(secrets_file, env={}), **CHECKS)
    assert devices.summary() == ("106 devices (2 kiosk, 2 terminal, 24 pad, 28 printer, "
                                 "24 led, 24 caller, 2 screen)")
    numbers = {w.number for w in HALL.windows}
    for model in (Pad, Led):
        assert {d.window for d in devices.of_type(model)} == numbers
    # Every window has its receipt printer (收件回执).
    assert {d.window for d in devices.of_type(Printer) if d.window is not None} == numbers
    kiosks = {k.id: k for k in devices.of_type(Kiosk)}
    assert {k: v.printer for k, v in kiosks.items()} == {"kiosk-a1": "printer-a1",
                                                          "kiosk-b1": "printer-b1"}
    assert isinstance(devices["printer-a1"], Printer)
    assert "terminal-a1" in devices
    assert devices.source("pad-7") == DEMO_DEVICES / "pad-7.yaml"
    stored, issues = read_secrets(secrets_file)
    assert issues == []
    creds = broker_credentials(devices)
    assert len(creds) == 106
    assert all(password == stored[user] for user, _, password in creds)
    assert ("screen-a", DeviceType.SCREEN, stored["screen-a"]) in creds


def test_base_set_is_clean(tmp_path: Path) -> None:
    devices = load_devices(*write_hall(tmp_path, []), **CHECKS)
    assert sorted(devices.ids()) == sorted(BASE)


@pytest.mark.parametrize("case", list(EDITS))
def test_each_mistake_names_file_and_line(tmp_path: Path, case: str) -> None:
    edit, (stem, line, fragment) = EDITS[case]
    devices_dir, secrets = write_hall(tmp_path, [edit])
    found = errors(devices_dir, secrets)
    prefix = f"{devices_dir / stem}.yaml:{line}: "
    assert any(e.startswith(prefix) and fragment in e for e in found), found


def test_all_issues_are_collected_in_one_run(tmp_path: Path) -> None:
    devices_dir, secrets = write_hall(tmp_path, [edit for edit, _ in EDITS.values()])
    found = errors(devices_dir, secrets)
    for case, (_, (stem, line, fragment)) in EDITS.items():
        prefix = f"{devices_dir / stem}.yaml:{line}: "
        assert any(e.startswith(prefix) and fragment in e for e in found), (case, found)
    # a duplicate id always comes with a file name that is not the id: both are reported
    assert any("terminal-a2.yaml:3: id: the file name must be the device id" in e for e in found)


def test_load_device_alone_checks_the_file_name(tmp_path: Path) -> None:
    devices_dir, secrets = write_hall(tmp_path, [])
    pad = load_device(devices_dir / "pad-1.yaml", secrets)
    assert isinstance(pad, Pad)
    assert pad.window == 1
    assert pad.idle_timeout_s == 30
    moved = devices_dir / "pad-x.yaml"
    (devices_dir / "pad-1.yaml").rename(moved)
    with pytest.raises(ConfigError, match=r"pad-x.yaml:3: id: the file name"):
        load_device(moved, secrets)


def test_environment_beats_the_secrets_file(tmp_path: Path) -> None:
    devices_dir, _ = write_hall(tmp_path, [])
    assert env_name("kiosk-a1") == "ONEWINDOW_SECRET_KIOSK_A1"
    secrets_file = tmp_path / "secrets.yaml"
    from_file = read_secrets(secrets_file)[0]["pad-1"]
    source = SecretSource(secrets_file, env={"ONEWINDOW_SECRET_PAD_1": "from-the-environment"})
    pad = load_device(devices_dir / "pad-1.yaml", source)
    assert pad.mqtt.password.get_secret_value() == "from-the-environment"
    led = load_device(devices_dir / "led-1.yaml", source)
    assert led.mqtt.password.get_secret_value() == read_secrets(secrets_file)[0]["led-1"]
    plain = load_device(devices_dir / "pad-1.yaml", SecretSource(secrets_file, env={}))
    assert plain.mqtt.password.get_secret_value() == from_file


def test_env_alone_is_enough(tmp_path: Path) -> None:
    devices_dir, _ = write_hall(tmp_path, [])
    source = SecretSource(None, env={"ONEWINDOW_SECRET_CALLER_1": "only-in-the-env"})
    caller = load_device(devices_dir / "caller-1.yaml", source)
    assert caller.mqtt.password.get_secret_value() == "only-in-the-env"
    with pytest.raises(ConfigError,
                       match=r"secret 'pad-1' is not set: set ONEWINDOW_SECRET_PAD_1$"):
        load_device(devices_dir / "pad-1.yaml", source)


SECRET = "Very-Secret-Value-42"


def test_secret_values_never_show(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    devices_dir, _ = write_hall(tmp_path, [("led-1", '"loop://"', "ttyUSB0")])
    env = {env_name(name): SECRET for name in BASE} | {"ONEWINDOW_SECRET_PAD_1": "short",
                                                       "ONEWINDOW_SECRET_PAD_2": "two\nlines!"}
    source = SecretSource(tmp_path / "secrets.yaml", env=env)
    with pytest.raises(ConfigError) as info:
        load_devices(devices_dir, source, **CHECKS)
    text = str(info.value) + repr(info.value.issues) + repr(info.value.__cause__)
    assert "pad-1.yaml:7: mqtt.password: the password is shorter than 8 characters" in text
    assert "pad-2.yaml:7: mqtt.password: the password contains a line break" in text
    assert "led-1.yaml:9" in text
    assert "two" not in text
    assert "short" not in text.replace("shorter", "")
    assert SECRET not in text
    (devices_dir / "led-1.yaml").write_text(BASE["led-1"], encoding="utf-8")
    source = SecretSource(tmp_path / "secrets.yaml", env={env_name(n): SECRET for n in BASE})
    devices = load_devices(devices_dir, source, **CHECKS)
    shown = repr(devices) + repr(list(devices)) + str(devices["pad-1"]) + repr(source)
    shown += str(devices["pad-1"].model_dump()) + devices["pad-1"].model_dump_json()
    assert SECRET not in shown + caplog.text
    assert "**********" in shown
    assert devices["pad-1"].mqtt.password.get_secret_value() == SECRET


def test_secrets_file_problems_are_located_without_values(tmp_path: Path) -> None:
    devices_dir, _ = write_hall(tmp_path, [])
    bad = tmp_path / "bad-secrets.yaml"
    bad.write_text("pad-1: 12345678901\nBad Name: \"x-12345678\"\nled-1: ''\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_devices(devices_dir, SecretSource(bad, env={}), **CHECKS)
    found = [str(i) for i in info.value.issues]
    assert f"{bad}:1: schema_version: schema_version: 1 is required" in found
    assert f"{bad}:1: pad-1: a secret value is text: put it in quotes" in found
    assert any(e.startswith(f"{bad}:2: Bad Name: secret names match") for e in found)
    assert f"{bad}:3: led-1: the secret is empty" in found
    assert not any("12345678" in e for e in found)


def test_unchecked_secrets_load_but_give_no_credentials() -> None:
    devices = load_devices(DEMO_DEVICES, SecretSource.unchecked(), **CHECKS)
    assert len(devices) == 106
    assert not devices.secrets_checked
    with pytest.raises(ValueError, match="without secrets"):
        broker_credentials(devices)


def test_example_secrets_list_every_demo_secret() -> None:
    example = DEMO_DIR / "secrets.yaml.example"
    values, issues = read_secrets(example)
    assert issues == []
    needed = required_secrets(sorted(DEMO_DEVICES.glob("*.yaml")))
    assert set(values) == {*needed, SERVER_SECRET}
    assert len(needed) == 106
    # the example is a valid secrets file: the demo loads with it
    assert len(load_devices(DEMO_DEVICES, SecretSource(example, env={}), **CHECKS)) == 106


def test_every_demo_password_is_its_own_secret() -> None:
    for path in sorted(DEMO_DEVICES.glob("*.yaml")):
        assert required_secrets([path]) == [path.stem], path


def test_link_models() -> None:
    usb = UsbTransport.model_validate({"kind": "usb", "vendor_id": "0x0416",
                                       "product_id": 0x5011})
    assert (usb.vendor_id, usb.product_id, usb.in_ep) == (0x0416, 0x5011, 0x82)
    with pytest.raises(ValueError, match="4 hex digits"):
        UsbTransport.model_validate({"kind": "usb", "vendor_id": "0x41", "product_id": 1})
    assert SerialLink(url="loop://").baudrate == 9600
    assert SerialLink(url="/dev/ttyUSB0", baudrate=115200).url == "/dev/ttyUSB0"
    with pytest.raises(ValueError, match="absolute device path"):
        SerialLink(url="ttyUSB0")
    with pytest.raises(ValueError, match="ca_file is set but tls is false"):
        MqttLink.model_validate({"password": "long-enough", "ca_file": "/etc/ca.pem"})
    assert MqttLink.model_validate({"password": "long-enough"}).keepalive_s == 15
    spaced = MqttLink.model_validate({"password": " with spaces "})
    assert spaced.password.get_secret_value() == " with spaces "  # taken as written
    assert Camera.model_validate({"device": "/dev/video2"}).device == "/dev/video2"
    with pytest.raises(ValueError, match="0 or more"):
        Camera.model_validate({"device": -1})


def test_device_set_rejects_duplicates(tmp_path: Path) -> None:
    devices_dir, secrets = write_hall(tmp_path, [])
    pad = load_device(devices_dir / "pad-1.yaml", secrets)
    with pytest.raises(ValueError, match="duplicate device id 'pad-1'"):
        DeviceSet([pad, pad])


def test_missing_directory_is_an_issue(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        load_devices(tmp_path / "nope", SecretSource.unchecked())


ALLOWED_HALLSERVER = {"hallserver.config.loader"}


def test_device_config_imports_only_the_generic_loader_from_hallserver() -> None:
    for path in (ROOT / "devices" / "config").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.split(".")[0] == "hallserver":
                    assert name in ALLOWED_HALLSERVER, f"{path.name} imports {name}"
