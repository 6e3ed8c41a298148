"""Provision a hall: write one device file per device of a layout, and the secrets file.

Per zone: a kiosk with its own printer and camera, a self-service terminal with a receipt
printer (58 mm, Chinese as images) and a camera, and a call screen.
Per window: a rating pad, an LED display and a (virtual) caller. Every broker password is
`!secret <device id>`; `ensure_secrets` fills the hall's untracked secrets file with random
passwords and keeps the ones already there.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devices.config.secret import SECRET_NAME, SECRET_TAG, SERVER_SECRET, read_secrets
from devices.protocol.topics import valid_id
from hallserver.config.loader import ConfigError

SECRETS_HEADER = """\
# OneWindow secrets: MQTT broker passwords of the hall server and of every device.
# Never commit this file; keep it mode 0600. `hallserver devices provision` adds missing
# entries and keeps existing ones. ONEWINDOW_SECRET_<NAME> variables override entries.
schema_version: 1
"""


@dataclass(frozen=True)
class ZoneOutline:
    """A zone as provisioning needs it."""

    id: str
    zh: str
    en: str


@dataclass(frozen=True)
class WindowOutline:
    """A window as provisioning needs it."""

    number: int
    zone: str
    zh: str
    en: str


@dataclass(frozen=True)
class HallOutline:
    """The parts of a hall layout that decide which devices it has."""

    hall_id: str
    zones: tuple[ZoneOutline, ...]
    windows: tuple[WindowOutline, ...]


@dataclass
class ProvisionResult:
    """What `provision` wrote."""

    written: list[Path] = field(default_factory=list)
    secrets_added: list[str] = field(default_factory=list)
    secrets_file: Path | None = None


class _Secret:
    """Dumped as `!secret name`."""

    def __init__(self, name: str) -> None:
        self.name = name


class _Dumper(yaml.SafeDumper):
    pass


def _represent_secret(dumper: yaml.SafeDumper, data: _Secret) -> yaml.ScalarNode:
    return dumper.represent_scalar(SECRET_TAG, data.name)


_Dumper.add_representer(_Secret, _represent_secret)

_TITLES = {
    "kiosk": "取号机 queue-number kiosk",
    "printer": "打印机 ESC/POS printer",
    "terminal": "自助服务终端 self-service terminal",
    "screen": "综合屏 call screen",
    "pad": "评价器 rating pad",
    "led": "窗口屏 window LED display",
    "caller": "呼叫器 staff caller",
}


def device_file(hall_id: str, device_type: str, device_id: str, zh: str, en: str,
                 **fields: Any) -> str:
    if not valid_id(device_id):
        raise ValueError(f"device id {device_id!r} is not a valid id: shorten the zone id")
    data: dict[str, Any] = {
        "schema_version": 1, "type": device_type, "id": device_id, "hall": hall_id,
        "name": {"zh": zh, "en": en},
        "mqtt": {"host": "127.0.0.1", "port": 1883, "password": _Secret(device_id)},
        **fields,
    }
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    # PyYAML quotes every scalar with a custom tag; ids need no quotes.
    body = re.sub(rf"{SECRET_TAG} '([a-z0-9_-]+)'", rf"{SECRET_TAG} \1", body)
    header = (
        f"# {_TITLES[device_type]} {device_id} of hall {hall_id}.\n"
        "# Written by `hallserver devices provision`; edit freely and raise config_version.\n"
        f"# Every setting: firmware_configs/schema/{device_type}.schema.json. The password "
        "comes from\n"
        f"# ONEWINDOW_SECRET_{device_id.upper().replace('-', '_')} or the hall's secrets.yaml.\n"
    )
    return header + body


def plan_devices(hall: HallOutline) -> dict[str, str]:
    """The device files of a hall layout: file name -> YAML text (deterministic)."""
    files: dict[str, str] = {}

    def add(device_type: str, device_id: str, zh: str, en: str, **fields: Any) -> None:
        files[f"{device_id}.yaml"] = device_file(hall.hall_id, device_type, device_id, zh, en,
                                                  **fields)

    for z in hall.zones:
        add("printer", f"printer-{z.id}1", f"{z.zh} 取号打印机", f"Ticket printer, {z.en}",
            transport={"kind": "file", "path": f"var/printer-{z.id}1.bin"},
            profile="default", chinese="gb18030", paper_width_mm=80)
        add("printer", f"printer-{z.id}2", f"{z.zh} 自助终端打印机",
            f"Terminal printer, {z.en}",
            transport={"kind": "file", "path": f"var/printer-{z.id}2.bin"},
            profile="default", chinese="image", paper_width_mm=58)
        add("kiosk", f"kiosk-{z.id}1", f"{z.zh} 取号机", f"Kiosk, {z.en}",
            printer=f"printer-{z.id}1", zone=z.id, camera={"device": 0})
        add("terminal", f"terminal-{z.id}1", f"{z.zh} 自助服务终端",
            f"Self-service terminal, {z.en}", zone=z.id, printer=f"printer-{z.id}2",
            camera={"device": 0})
        add("screen", f"screen-{z.id}", f"{z.zh} 综合屏", f"Call screen, {z.en}", zone=z.id,
            voice="browser", announce_repeat=2)
    for w in hall.windows:
        n = w.number
        add("pad", f"pad-{n}", f"{w.zh} 评价器", f"{w.en} rating pad", window=n)
        add("led", f"led-{n}", f"{w.zh} 窗口屏", f"{w.en} LED display", window=n,
            serial={"url": "loop://", "baudrate": 9600})
        add("caller", f"caller-{n}", f"{w.zh} 呼叫器", f"{w.en} caller", window=n)
        add("printer", f"printer-w{n}", f"{w.zh} 回执打印机", f"{w.en} receipt printer",
            transport={"kind": "file", "path": f"var/printer-w{n}.bin"},
            profile="default", chinese="gb18030", paper_width_mm=80, window=n)
    return files


def _write_private(path: Path, text: str) -> None:
    """Replace a file atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_secrets(names: Iterable[str], path: Path) -> list[str]:
    """Give every name without an entry in the secrets file a random password; keep the rest.

    Creates the file (mode 0600) if needed and appends to it otherwise, so comments and
    existing values stay. Returns the names added. Values are never logged or returned.
    """
    wanted = sorted(set(names))
    bad = [n for n in wanted if not SECRET_NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"invalid secret names: {', '.join(bad)}")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    existing: dict[str, str] = {}
    if text.strip():
        existing, issues = read_secrets(path)
        if issues:
            raise ConfigError(issues)
    else:
        text = SECRETS_HEADER
    added = [n for n in wanted if n not in existing]
    if added or not path.exists():
        if not text.endswith("\n"):
            text += "\n"
        text += "".join(f'{n}: "{secrets.token_urlsafe(24)}"\n' for n in added)
        _write_private(path, text)
    else:
        os.chmod(path, 0o600)
    return added


def write_devices(files: Mapping[str, str], outdir: Path, *, force: bool = False) -> list[Path]:
    """Write planned device files; refuse (FileExistsError) to overwrite any unless forced."""
    targets = [outdir / name for name in files]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(
            f"{len(existing)} device files exist already (e.g. {existing[0]}); "
            "pass --force to overwrite them"
        )
    outdir.mkdir(parents=True, exist_ok=True)
    for path in targets:
        path.write_text(files[path.name], encoding="utf-8")
    return targets


def provision(hall: HallOutline, outdir: Path, secrets_file: Path, *,
              force: bool = False) -> ProvisionResult:
    """Write the device files of a hall and make sure every broker password exists."""
    files = plan_devices(hall)
    if secrets_file.exists() and secrets_file.read_text(encoding="utf-8").strip():
        issues = read_secrets(secrets_file)[1]
        if issues:  # refuse before writing anything
            raise ConfigError(issues)
    written = write_devices(files, outdir, force=force)
    names = [Path(name).stem for name in files] + [SERVER_SECRET]
    added = ensure_secrets(names, secrets_file)
    return ProvisionResult(written=written, secrets_added=added, secrets_file=secrets_file)
