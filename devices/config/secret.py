"""Secrets of device files: the `!secret name` tag, resolved from the environment or a file.

Resolution order: the environment variable `ONEWINDOW_SECRET_<NAME>` (upper case, `-` as
`_`), then the hall's secrets file (`firmware_configs/<hall>/secrets.yaml`, never committed):

```yaml
schema_version: 1
hallserver: "..."
kiosk-a1: "..."
```

Secret values never appear in messages, reprs or logs; issues name the secret, not its value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from devices.config.base import SERVER_ACCOUNT
from devices.config.issues import dotted
from hallserver.config.loader import ConfigError, ConfigIssue, TagHandler, line_of, load_yaml

ENV_PREFIX = "ONEWINDOW_SECRET_"
SECRET_TAG = "!secret"  # noqa: S105 (a YAML tag, not a password)
SERVER_SECRET = SERVER_ACCOUNT  # the hall server's own broker password
SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SECRETS_FILE = "secrets.yaml"
_PLACEHOLDER = "secret-placeholder-0000"


def env_name(name: str) -> str:
    """The environment variable that overrides secret `name`."""
    return ENV_PREFIX + name.upper().replace("-", "_")


class SecretText(str):
    """A value read through `!secret`; its repr names the secret, never the value."""

    secret_name: str
    line: int
    problem: str | None

    def __new__(cls, value: str, *, name: str, line: int, problem: str | None) -> SecretText:
        """A value with the secret's name, tag line and problem (None if it resolved)."""
        obj = super().__new__(cls, value)
        obj.secret_name = name
        obj.line = line
        obj.problem = problem
        return obj

    def __repr__(self) -> str:
        return f"<secret {self.secret_name}>"


def read_secrets(path: Path) -> tuple[dict[str, str], list[ConfigIssue]]:
    """Parse a secrets file into name -> value and the problems found (no values in them)."""
    file = str(path)
    try:
        data, lines = load_yaml(path)
    except ConfigError as exc:
        return {}, exc.issues
    if not isinstance(data, dict):
        return {}, [ConfigIssue(file, 1, "(root)", "a secrets file maps names to values")]
    issues: list[ConfigIssue] = []
    if data.get("schema_version") != 1:
        issues.append(ConfigIssue(file, line_of(lines, ("schema_version",)) or 1,
                                  "schema_version", "schema_version: 1 is required"))
    values: dict[str, str] = {}
    for key, value in data.items():
        if key == "schema_version":
            continue
        line = line_of(lines, (key,))
        if not isinstance(key, str) or not SECRET_NAME.fullmatch(key):
            issues.append(ConfigIssue(file, line, str(key)[:40],
                                      f"secret names match {SECRET_NAME.pattern}"))
        elif not isinstance(value, str):
            issues.append(ConfigIssue(file, line, key,
                                      "a secret value is text: put it in quotes"))
        elif not value:
            issues.append(ConfigIssue(file, line, key, "the secret is empty"))
        else:
            values[key] = value
    return values, issues


class SecretSource:
    """Where `!secret` values come from: environment first, then a secrets file."""

    def __init__(self, file: Path | None = None, *, env: Mapping[str, str] | None = None,
                 checked: bool = True) -> None:
        self.file = file
        self.checked = checked
        self._env = os.environ if env is None else env
        self._values: dict[str, str] | None = None
        self._issues: list[ConfigIssue] = []
        self.unresolved: set[str] = set()  # names a `!secret` asked for and did not find

    @classmethod
    def for_hall(cls, hall_dir: Path, *, env: Mapping[str, str] | None = None) -> SecretSource:
        """Secrets of a hall directory: `<hall_dir>/secrets.yaml` and the environment."""
        return cls(hall_dir / SECRETS_FILE, env=env)

    @classmethod
    def unchecked(cls) -> SecretSource:
        """A source that fills every secret with a placeholder (validate without secrets).

        Devices loaded with it must never be used for broker accounts.
        """
        return cls(None, env={}, checked=False)

    def __repr__(self) -> str:
        return f"SecretSource(file={self.file}, checked={self.checked})"

    def _load(self) -> dict[str, str]:
        if self._values is None:
            self._values = {}
            if self.file is not None and self.file.exists():
                self._values, self._issues = read_secrets(self.file)
        return self._values

    def file_issues(self) -> list[ConfigIssue]:
        """Problems in the secrets file itself."""
        self._load()
        return list(self._issues)

    def has_any(self) -> bool:
        """Whether a secrets file exists or any ONEWINDOW_SECRET_* variable is set."""
        return (self.file is not None and self.file.exists()) or any(
            key.startswith(ENV_PREFIX) for key in self._env)

    def get(self, name: str) -> str | None:
        """The value of a secret, or None when neither environment nor file has it."""
        value = self._env.get(env_name(name))
        if value:
            return value
        return self._load().get(name)

    def missing(self, names: Iterable[str]) -> list[str]:
        """The names among `names` that do not resolve."""
        return sorted({n for n in names if self.get(n) is None})

    def hint(self, name: str) -> str:
        """How to provide a missing secret."""
        where = f" or add it to {self.file}" if self.file is not None else ""
        return f"secret {name!r} is not set: set {env_name(name)}{where}"

    def tag_handler(self) -> TagHandler:
        """The `!secret` handler for `load_yaml`: returns SecretText, records problems on it."""

        def resolve(node: yaml.ScalarNode) -> SecretText:
            name = str(node.value).strip()
            line = node.start_mark.line + 1
            if not SECRET_NAME.fullmatch(name):
                return SecretText(_PLACEHOLDER, name=name[:40], line=line,
                                  problem=f"!secret needs a name matching {SECRET_NAME.pattern}")
            if not self.checked:
                return SecretText(_PLACEHOLDER, name=name, line=line, problem=None)
            value = self.get(name)
            if value is None:
                self.unresolved.add(name)
                return SecretText(_PLACEHOLDER, name=name, line=line, problem=self.hint(name))
            return SecretText(value, name=name, line=line, problem=None)

        return resolve


def find_secrets(data: Any, loc: tuple[str | int, ...] = ()) -> Iterator[
        tuple[tuple[str | int, ...], SecretText]]:
    """Every `!secret` value in loaded data, with its path."""
    if isinstance(data, SecretText):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from find_secrets(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from find_secrets(value, (*loc, i))


def required_secrets(paths: Iterable[Path]) -> list[str]:
    """The secret names a set of device files refers to (sorted, without duplicates)."""
    names: set[str] = set()
    issues: list[ConfigIssue] = []
    handler = SecretSource.unchecked().tag_handler()
    for path in paths:
        try:
            data, _ = load_yaml(path, {SECRET_TAG: handler})
        except ConfigError as exc:
            issues.extend(exc.issues)
            continue
        for loc, secret in find_secrets(data):
            if secret.problem is None:
                names.add(secret.secret_name)
            else:
                issues.append(ConfigIssue(str(path), secret.line, dotted(loc), secret.problem))
    if issues:
        raise ConfigError(issues)
    return sorted(names)
