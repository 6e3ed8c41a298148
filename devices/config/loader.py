"""Load device files: one file per device, then a cross-file pass over the whole set.

Every problem of every file is collected before `ConfigError` is raised, each with its
file and line. The hall layout arrives as plain sets (window numbers, zone ids) so this
package does not depend on the hall server's models.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from devices.config.issues import Loc, dotted, validation_issues
from devices.config.models import (
    MODELS,
    Caller,
    Device,
    DeviceBase,
    Kiosk,
    Led,
    Pad,
    Printer,
    Screen,
    Terminal,
)
from devices.config.secret import SECRET_TAG, SecretSource, SecretText, find_secrets
from devices.protocol.topics import DeviceType
from hallserver.config.loader import ConfigError, ConfigIssue, LineMap, line_of, load_yaml

logger = logging.getLogger(__name__)

D = TypeVar("D", bound=DeviceBase)


class DeviceSet:
    """The validated devices of a hall: by id, by type, and in file order when iterated."""

    def __init__(self, devices: Iterable[Device], *, sources: dict[str, Path] | None = None,
                 secrets_checked: bool = True) -> None:
        self._devices: dict[str, Device] = {}
        for device in devices:
            if device.id in self._devices:
                raise ValueError(f"duplicate device id {device.id!r}")
            self._devices[device.id] = device
        self._sources = dict(sources or {})
        self.secrets_checked = secrets_checked

    def __iter__(self) -> Iterator[Device]:
        return iter(self._devices.values())

    def __len__(self) -> int:
        return len(self._devices)

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def __getitem__(self, device_id: str) -> Device:
        return self._devices[device_id]

    def __repr__(self) -> str:
        return f"DeviceSet({self.summary()})"

    def get(self, device_id: str) -> Device | None:
        """The device with this id, or None."""
        return self._devices.get(device_id)

    def ids(self) -> list[str]:
        """Every device id, in file order."""
        return list(self._devices)

    def of_type(self, model: type[D]) -> list[D]:
        """The devices of one model, e.g. `of_type(Pad)`."""
        return [d for d in self._devices.values() if isinstance(d, model)]

    def by_type(self) -> dict[DeviceType, list[Device]]:
        """Devices grouped by type, in DeviceType order (types without devices left out)."""
        groups: dict[DeviceType, list[Device]] = {t: [] for t in DeviceType}
        for device in self._devices.values():
            groups[device.device_type].append(device)
        return {t: ds for t, ds in groups.items() if ds}

    def source(self, device_id: str) -> Path | None:
        """The file a device was loaded from."""
        return self._sources.get(device_id)

    def summary(self) -> str:
        """`80 devices (2 kiosk, 2 terminal, ...)`."""
        counts = ", ".join(f"{len(ds)} {t.value}" for t, ds in self.by_type().items())
        noun = "device" if len(self) == 1 else "devices"
        return f"{len(self)} {noun} ({counts})" if counts else f"0 {noun}"


def broker_credentials(devices: Iterable[Device]) -> list[tuple[str, DeviceType, str]]:
    """(user name = device id, type, password) of every device, for broker accounts."""
    if isinstance(devices, DeviceSet) and not devices.secrets_checked:
        raise ValueError("these devices were loaded without secrets (placeholder passwords)")
    return sorted((d.id, d.device_type, d.mqtt.password.get_secret_value()) for d in devices)


@dataclass
class _Loaded:
    """One parsed device file: the device (None if invalid), its lines and its issues."""

    path: Path
    device: Device | None = None
    lines: LineMap = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)

    def issue(self, loc: Loc, message: str) -> None:
        self.issues.append(ConfigIssue(str(self.path), line_of(self.lines, loc), dotted(loc),
                                       message))

    def where(self, loc: Loc) -> str:
        return f"{self.path}:{line_of(self.lines, loc)}"


_TYPES = ", ".join(t.value for t in DeviceType)


def _parse(path: Path, secrets: SecretSource) -> _Loaded:
    loaded = _Loaded(path)
    try:
        data, loaded.lines = load_yaml(path, {SECRET_TAG: secrets.tag_handler()})
    except ConfigError as exc:
        loaded.issues.extend(exc.issues)
        return loaded
    except OSError as exc:
        loaded.issues.append(ConfigIssue(str(path), None, "(file)", exc.strerror or str(exc)))
        return loaded
    if not isinstance(data, dict):
        loaded.issue((), "a device file is a mapping of keys to values")
        return loaded
    for loc, secret in find_secrets(data):
        if secret.problem is not None:
            loaded.issues.append(ConfigIssue(str(path), secret.line, dotted(loc),
                                             secret.problem))
    _check_password_is_secret(loaded, data)
    kind = data.get("type")
    if kind is None:
        loaded.issue(("type",), f"required key is missing (one of {_TYPES})")
    elif not isinstance(kind, str) or kind not in MODELS:
        loaded.issue(("type",), f"unknown device type {str(kind)[:40]!r}: expected one of "
                     f"{_TYPES}")
    else:
        try:
            loaded.device = MODELS[DeviceType(kind)].model_validate(data)
        except ValidationError as exc:
            loaded.issues.extend(validation_issues(str(path), loaded.lines, data, exc))
    if loaded.device is not None and loaded.device.id != path.stem:
        loaded.issue(("id",), f"the file name must be the device id: rename {path.name} to "
                     f"{loaded.device.id}{path.suffix} or change the id")
    return loaded


def _check_password_is_secret(loaded: _Loaded, data: dict[str, Any]) -> None:
    mqtt = data.get("mqtt")
    if isinstance(mqtt, dict) and "password" in mqtt and not isinstance(mqtt["password"],
                                                                        SecretText):
        loaded.issue(("mqtt", "password"), "write the password as `!secret <name>`: device "
                     "files are committed, secrets are not")


def load_device(path: Path | str, secrets: SecretSource) -> Device:
    """Load and validate one device file; raise ConfigError naming file and line."""
    loaded = _parse(Path(path), secrets)
    issues = secrets.file_issues() + loaded.issues
    if issues or loaded.device is None:
        raise ConfigError(issues)
    return loaded.device


def _cross_check(files: list[_Loaded], *, windows: set[int] | None, zones: set[str] | None,
                 hall_id: str | None, categories: set[str] | None) -> None:
    """Checks across files; issues are added to the file that holds the offending value."""
    by_id: dict[str, _Loaded] = {}
    pads: dict[int, _Loaded] = {}
    for f in files:
        d = f.device
        if d is None:
            continue
        if d.id in by_id:
            f.issue(("id",), f"duplicate device id {d.id!r} (also in {by_id[d.id].where(('id',))})")
        else:
            by_id[d.id] = f
        if hall_id is not None and d.hall != hall_id:
            f.issue(("hall",), f"device of hall {d.hall!r}, but this is hall {hall_id!r}")
        if (isinstance(d, Pad | Led | Caller | Printer) and windows is not None
                and d.window is not None and d.window not in windows):
            f.issue(("window",), f"unknown window {d.window} (not in hall.yaml)")
        if isinstance(d, Pad):
            if d.window in pads:
                other = pads[d.window]
                f.issue(("window",), f"window {d.window} already has pad "
                        f"{other.device.id if other.device else '?'!r} "
                        f"({other.where(('window',))}): one pad per window")
            else:
                pads[d.window] = f
        if (isinstance(d, Kiosk | Terminal | Screen) and zones is not None
                and d.zone is not None and d.zone not in zones):
            f.issue(("zone",), f"unknown zone {d.zone!r} (not in hall.yaml)")
        if isinstance(d, Kiosk) and categories is not None:
            for i, code in enumerate(d.categories or []):
                if code not in categories:
                    f.issue(("categories", i), f"unknown category {code!r} (not in hall.yaml)")
    for f in files:
        d = f.device
        if isinstance(d, Kiosk | Terminal) and d.printer is not None:
            target = by_id.get(d.printer)
            if target is None:
                f.issue(("printer",), f"unknown printer {d.printer!r}: no device has this id")
            elif not isinstance(target.device, Printer):
                kind = target.device.type if target.device else "?"
                f.issue(("printer",), f"{d.printer!r} is a {kind}, not a printer "
                        f"({target.where(('type',))})")


def load_devices(devices_dir: Path | str, secrets: SecretSource, *,
                 windows: set[int] | None = None, zones: set[str] | None = None,
                 hall_id: str | None = None,
                 categories: set[str] | None = None) -> DeviceSet:
    """Load every `*.yaml` of a devices directory and check them against each other and the
    hall (window numbers, zone ids, hall id, category codes; None skips a check)."""
    root = Path(devices_dir)
    if not root.is_dir():
        raise ConfigError([ConfigIssue(str(root), None, "(dir)", "no such directory")])
    issues = secrets.file_issues()
    for stray in sorted(root.glob("*.yml")):
        issues.append(ConfigIssue(str(stray), None, "(file)",
                                  "device files end in .yaml; this one is ignored"))
    files = [_parse(path, secrets) for path in sorted(root.glob("*.yaml"))]
    _cross_check(files, windows=windows, zones=zones, hall_id=hall_id, categories=categories)
    for f in files:
        issues.extend(sorted(f.issues, key=lambda i: i.line or 0))
    if issues:
        raise ConfigError(issues)
    devices = [f.device for f in files if f.device is not None]
    logger.debug("loaded %d devices from %s", len(devices), root)
    return DeviceSet(devices, sources={d.id: f.path for f in files if (d := f.device)},
                     secrets_checked=secrets.checked)
