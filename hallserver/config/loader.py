"""Load YAML config files with line numbers, so every error names its file and line."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hallserver.config import wording
from hallserver.config.models import (
    HallConfig,
    HolidayCalendar,
    Loc,
    ReferenceIssues,
    format_loc,
)

M = TypeVar("M", bound=BaseModel)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file, located by file, line and path."""

    file: str
    line: int | None
    path: str
    message: str
    message_zh: str | None = None  # the same in Chinese, where the wording knows it
    where_zh: str | None = None  # the path in Chinese words

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.message_zh is None:
            return f"{where}: {self.path}: {self.message}"
        path = f"{self.path}（{self.where_zh}）" if self.where_zh else self.path
        return f"{where}: {path}: {self.message_zh} / {self.message}"


class ConfigError(Exception):
    """A config file could not be loaded; `issues` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


LineMap = dict[Loc, int]
TagHandler = Callable[[yaml.ScalarNode], Any]


# libyaml's parser (in PyYAML's wheels) composes about 14x faster than the pure-Python one;
# both give the same nodes with the same marks.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Walker(_Loader):  # type: ignore[misc]
    """A safe loader that builds plain data and remembers the 1-based line of every path."""

    def __init__(self, stream: str, tags: dict[str, TagHandler]) -> None:
        super().__init__(stream)
        self.lines: LineMap = {}
        self.tags = tags

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in out:
                    raise yaml.MarkedYAMLError(
                        "while reading a mapping", node.start_mark,
                        f"duplicate key {key!r}", key_node.start_mark,
                    )
                out[key] = self.build(value_node, (*loc, key))
                self.lines[(*loc, key)] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag in self.tags:
            return self.tags[node.tag](node)
        if node.tag.startswith("!"):
            raise yaml.MarkedYAMLError(None, None, f"unknown tag {node.tag}", node.start_mark)
        if node.tag == "tag:yaml.org,2002:int" and ":" in node.value:
            # YAML 1.1 reads 13:30 as the base-60 number 810: keep clock times as text.
            return node.value
        return self.construct_object(node, deep=True)


def read_config_text(path: Path) -> str:
    """A config file's text: UTF-8 (a byte-order mark allowed), else GB18030, which reads
    GBK and GB2312 (what Windows editors in China save); anything else is a ConfigError
    with the line of the first byte that is neither."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first = exc
    # GBK text fails UTF-8 at nearly every Chinese character; UTF-8 text with a few broken
    # bytes fails only there, and read as GB18030 it would turn every name into nonsense.
    broken = data.decode("utf-8", errors="replace").count("\ufffd")
    non_ascii = sum(1 for b in data if b >= 0x80)
    text = None
    if broken * 4 >= non_ascii:
        with suppress(UnicodeDecodeError):
            text = data.decode("gb18030")
    if text is None:
        line = data.count(b"\n", 0, first.start) + 1
        raise ConfigError([ConfigIssue(
            str(path), line, "(encoding)",
            "既不是 UTF-8 也不是 GBK/GB18030 编码（此处有损坏的字节），请以 UTF-8 保存 / "
            "neither UTF-8 nor GBK/GB18030 text (broken bytes here): save the file as "
            "UTF-8")])
    logger.info("%s is GBK/GB18030 text, read as such (UTF-8 is preferred)", path)
    return text


def load_yaml(path: Path, tags: dict[str, TagHandler] | None = None) -> tuple[Any, LineMap]:
    """Parse a YAML file (UTF-8 or GBK, `read_config_text`) into plain data and a map from
    data path to line number."""
    text = read_config_text(path)
    walker = _Walker(text, tags or {})
    try:
        node = walker.get_single_node()
        if node is None:
            raise ConfigError([ConfigIssue(str(path), 1, "(root)", "the file is empty")])
        return walker.build(node, ()), walker.lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError([ConfigIssue(str(path), line, "(yaml)", str(exc.problem))]) from exc
    finally:
        walker.dispose()


def line_of(lines: LineMap, loc: Loc) -> int | None:
    """Line of the deepest known prefix of a path."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def issues_from_validation(file: str, lines: LineMap, exc: ValidationError) -> list[ConfigIssue]:
    """Turn a pydantic ValidationError into located issues, expanding reference checks."""
    issues: list[ConfigIssue] = []
    for err in exc.errors():
        loc: Loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, ReferenceIssues):
            for sub_loc, msg in cause.issues:
                full = loc + sub_loc
                issues.append(ConfigIssue(file, line_of(lines, full), format_loc(full), msg,
                                          wording.zh_reason(msg), wording.where(None, full)[0]))
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not in the schema; check spelling)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        issues.append(ConfigIssue(file, line_of(lines, loc), format_loc(loc), msg,
                                  wording.reason_zh(err), wording.where(None, loc)[0]))
    return issues


def validate_file(path: Path, model: type[M], tags: dict[str, TagHandler] | None = None) -> M:
    """Load and validate one YAML file; raise ConfigError naming file and line."""
    data, lines = load_yaml(path, tags)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(issues_from_validation(str(path), lines, exc)) from exc


CALENDARS = Path(__file__).parent / "calendars"


def calendar_file(hall_file: Path, name: str) -> Path:
    """A built-in calendar by name (`cn-mainland`), or a YAML path relative to the hall."""
    if "/" not in name and not name.endswith((".yaml", ".yml")):
        return CALENDARS / f"{name}.yaml"
    return (hall_file.parent / name).resolve()


def site_calendar_file(hall_file: Path, name: str) -> Path | None:
    """Where a hall keeps the years it entered for a built-in calendar (next year's notice,
    before a release ships it): `calendars/<name>.yaml` beside hall.yaml. None for a calendar
    the hall names by path (it edits that file itself)."""
    if "/" in name or name.endswith((".yaml", ".yml")):
        return None
    return hall_file.parent / "calendars" / f"{name}.yaml"


def load_calendar(hall_file: Path, name: str,
                  stamps: list[_FileStamp] | None = None) -> HolidayCalendar:
    """The holiday calendar a hall reads: the named (or shipped) file with the years the hall
    entered laid over it (`site_calendar_file`); `stamps` gets each file's stamp, an absent
    site file's too (its arrival is a change)."""
    path = calendar_file(hall_file, name)
    if stamps is not None:
        stamps.append(_stamp(path))
    cal = validate_file(path, HolidayCalendar)
    site = site_calendar_file(hall_file, name)
    if site is not None:  # years this hall entered (hallserver calendar add), if any
        if stamps is not None:
            stamps.append(_stamp(site))
        if site.is_file():
            cal = cal.merged(validate_file(site, HolidayCalendar))
    return cal


_FileStamp = tuple[str, str]  # (resolved path, digest of the content)
# Each layout is parsed once per process while its files' contents stay the same (a frozen
# result). Contents, not modification times: a file rewritten within the file system's
# timestamp granularity must not be missed.
_halls: dict[Path, tuple[tuple[_FileStamp, ...], HallConfig]] = {}
_halls_lock = threading.Lock()
_HALLS_KEPT = 32


ABSENT = "absent"  # the stamp of a file that does not exist (yet): its arrival is a change


def _stamp(path: Path) -> _FileStamp:
    path = path.resolve()
    if not path.exists():
        return str(path), ABSENT
    return str(path), hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def load_hall(path: Path | str) -> HallConfig:
    """Load and validate a hall layout file, merging its holiday calendar file.

    The result is frozen and kept: loading the same unchanged files again returns it."""
    path = Path(path)
    key = path.resolve()
    with _halls_lock:
        kept = _halls.get(key)
    if kept is not None:
        stamps, cfg = kept
        with suppress(OSError):
            if all(_stamp(Path(stamp[0])) == stamp for stamp in stamps):
                return cfg
    stamps_read: list[_FileStamp] = []
    cfg = _load_hall(path, stamps_read)
    with _halls_lock:
        if len(_halls) >= _HALLS_KEPT:
            _halls.pop(next(iter(_halls)))
        _halls[key] = (tuple(stamps_read), cfg)
    return cfg


def _load_hall(path: Path, stamps: list[_FileStamp]) -> HallConfig:
    """Parse and validate; `stamps` gets each file's stamp taken before it was read."""
    stamps.append(_stamp(path))
    cfg = validate_file(path, HallConfig)
    days = cfg.service_days
    if days.calendar is None:
        return cfg
    calendar_path = calendar_file(path, days.calendar)
    if not calendar_path.is_file():
        _data, lines = load_yaml(path)
        loc: Loc = ("service_days", "calendar")
        raise ConfigError([ConfigIssue(str(path), line_of(lines, loc), format_loc(loc),
                                       f"holiday calendar file {calendar_path} not found")])
    cal = load_calendar(path, days.calendar, stamps)
    merged = days.model_copy(update={
        "holidays": sorted(set(days.holidays) | set(cal.closed_dates())),
        "makeup_workdays": sorted(set(days.makeup_workdays) | set(cal.makeup_workdays)),
        "covers_until": cal.covers_until(),
    })
    return cfg.model_copy(update={"service_days": merged})
