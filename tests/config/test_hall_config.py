"""Hall layout files: the demo is valid, and every kind of mistake names its file and line."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from support import DEMO_CONFIG, ROOT

from hallserver.cli import main
from hallserver.config import ConfigError, HallConfig, load_hall
from hallserver.config.loader import load_yaml

MINI = """\
schema_version: 1
hall:
  id: mini
  name: {zh: 小厅, en: Mini hall}
opening_hours:
  sessions:
    - {start: "09:00", end: 12:00}
    - {start: 13:30, end: "17:00"}
zones:
  - {id: a, name: {zh: A区, en: Zone A}}
categories:
  - {code: biz, prefix: A, name: {zh: 企业, en: Business}, zone: a}
  - {code: tax, prefix: B, name: {zh: 税务, en: Tax}, zone: a}
windows:
  - {number: 1, name: {zh: 1号, en: W1}, zone: a, primary: biz, secondary: [tax]}
  - {number: 2, name: {zh: 2号, en: W2}, zone: a, primary: tax}
staff:
  - {id: "10001", name: 张三, role_a: [1], role_b: [2]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_hall(write(tmp_path, text))
    return [str(i) for i in info.value.issues]


def test_demo_hall_meets_the_issue() -> None:
    cfg = load_hall(DEMO_CONFIG)
    assert len(cfg.categories) >= 6
    assert len(cfg.windows) >= 20
    assert len(cfg.items) >= 40
    assert len({z.id for z in cfg.zones}) >= 2
    assert cfg.roster_warnings() == []
    assert all(i.materials for i in cfg.items)
    # secondary skills chain the categories: from any category, spill-over reaches all others
    edges = {c.code: set() for c in cfg.categories}
    for w in cfg.windows:
        for s in w.secondary:
            edges[w.primary].add(s)
    for start in edges:
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        assert seen == set(edges), f"{start} does not reach {set(edges) - seen}"


def test_mini_loads_and_clock_times_survive_yaml_base60(tmp_path: Path) -> None:
    cfg = load_hall(write(tmp_path, MINI))
    assert [(s.start.hour, s.start.minute) for s in cfg.opening_hours.sessions] == [(9, 0),
                                                                                  (13, 30)]
    # the database stores the layout as JSON; it must validate back to the same config
    assert HallConfig.model_validate(cfg.model_dump(mode="json")) == cfg


@pytest.mark.parametrize(("edit", "line", "fragment"), [
    (("primary: tax}", "primary: tax, colour: red}"), 16,
     "windows[1].colour（窗口 第2行 › colour）: 未知字段（不在规范中，请检查拼写） / unknown key"),
    (("prefix: B", "prefix: b"), 13, "categories[1].prefix"),
    (("secondary: [tax]", "secondary: [taxes]"), 15, "unknown category 'taxes'"),
    (("number: 2,", "number: 1,"), 16, "duplicate window number 1"),
    (("role_b: [2]", "role_b: [9]"), 18,
     "staff[0].role_b[0]（人员排班 第1行 › B角窗口 第1项）: 没有 9 号窗口 / unknown window 9"),
    (("zone: a}\n  - {code: tax", "zone: b}\n  - {code: tax"), 12, "unknown zone 'b'"),
    (("end: 12:00", "end: 08:00"), 7, "before it starts"),
    (("  id: mini\n", "  id: mini\n  id: other\n"), 4, "duplicate key 'id'"),
    (("schema_version: 1", "schema_version: 2"), 1, "schema_version"),
    (("    - {start: 13:30", "    - {start: 13:30, end: [}"), 8, "(yaml)"),
])
def test_errors_name_file_and_line(tmp_path: Path, edit: tuple[str, str], line: int,
                                   fragment: str) -> None:
    assert edit[0] in MINI
    errors = errors_of(tmp_path, MINI.replace(edit[0], edit[1], 1))
    located = [e for e in errors if e.startswith(f"{tmp_path / 'hall.yaml'}:{line}:")]
    assert any(fragment in e for e in located), errors


def test_a_category_nobody_serves_is_an_error(tmp_path: Path) -> None:
    text = MINI.replace("primary: biz, secondary: [tax]", "primary: biz").replace(
        "primary: tax}", "primary: biz}")
    assert any("no window serves category 'tax'" in e for e in errors_of(tmp_path, text))


def test_empty_file(tmp_path: Path) -> None:
    assert any("empty" in e for e in errors_of(tmp_path, ""))


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(DEMO_CONFIG.parent)]) == 0
    assert "ok:" in capsys.readouterr().out
    bad = write(tmp_path, MINI.replace("primary: tax}", "primary: tax, colour: red}"))
    assert main(["config", "validate", str(bad)]) == 1
    assert f"error: {bad}:16: windows[1].colour" in capsys.readouterr().out
    assert main(["config", "validate", str(tmp_path / "missing.yaml")]) == 1


def test_a_gbk_file_from_a_windows_editor_reads_as_the_utf8_one(tmp_path: Path) -> None:
    """Windows editors in China save GBK: the same layout, read the same (a BOM too)."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    gbk = tmp_path / "gbk" / "hall.yaml"
    bom = tmp_path / "bom" / "hall.yaml"
    for path, data in ((gbk, text.encode("gbk")), (bom, b"\xef\xbb\xbf" + text.encode())):
        path.parent.mkdir()
        path.write_bytes(data)
    assert load_hall(gbk) == load_hall(DEMO_CONFIG) == load_hall(bom)
    assert load_hall(gbk).hall.name.zh == "示范区政务服务中心"


def test_text_in_no_known_encoding_names_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Neither UTF-8 nor GB18030 (a byte 0xFF): the file and line, no traceback."""
    bad = tmp_path / "hall.yaml"
    bad.write_bytes(MINI.encode().replace(b"primary: tax}", b"primary: tax\xff\xff}", 1))
    line = MINI[:MINI.index("primary: tax}")].count("\n") + 1
    with pytest.raises(ConfigError) as caught:
        load_hall(bad)
    [issue] = caught.value.issues
    assert (issue.file, issue.line, issue.path) == (str(bad), line, "(encoding)")
    assert "UTF-8" in issue.message and "GBK" in issue.message
    assert main(["config", "validate", str(bad)]) == 1
    out = capsys.readouterr()
    assert f"error: {bad}:{line}: (encoding)" in out.out
    assert "Traceback" not in out.out + out.err


def test_utf8_with_a_broken_byte_is_an_error_not_gbk_nonsense(tmp_path: Path) -> None:
    """UTF-8 with one damaged byte can also decode as GB18030, into nonsense names ("中文"
    in UTF-8 reads as three other characters): it is reported at the damaged line."""
    data = "hall:\n  name: {zh: 中文中文, en: x}\n".encode() + b"  id: \xe4x\n"
    assert data.decode("gb18030")  # what reading it as GBK would have done
    bad = tmp_path / "hall.yaml"
    bad.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_yaml(bad)
    [issue] = caught.value.issues
    assert (issue.line, issue.path) == (3, "(encoding)")


FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "alembic", "paho", "kivy", "serial", "cv2",
             "escpos", "uvicorn", "httpx", "hallserver.store", "hallserver.services",
             "hallserver.api"}


def test_domain_is_pure() -> None:
    for path in (ROOT / "hallserver" / "domain").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), (
                    f"{path.name} imports {name}")


HOURS_BY_DAY = """  weekdays:
    6: [{start: "09:00", end: "12:00"}]
  seasons:
    - {name: 夏季作息, start: 07-01, end: 09-30, sessions: [{start: "09:00", end: "12:00"}]}
  dates:
    - {day: 2026-12-31, note: 年度盘点}
"""


def test_hours_by_weekday_season_and_date_load(tmp_path: Path) -> None:
    text = MINI.replace('    - {start: 13:30, end: "17:00"}\n',
                        '    - {start: 13:30, end: "17:00"}\n' + HOURS_BY_DAY, 1)
    hours = load_hall(write(tmp_path, text)).opening_hours
    assert [s.end.hour for s in hours.sessions_on(date(2026, 12, 12))] == [12]  # Saturday
    assert [s.end.hour for s in hours.sessions_on(date(2026, 8, 4))] == [12]  # summer
    assert [s.end.hour for s in hours.sessions_on(date(2026, 12, 8))] == [12, 17]
    assert hours.sessions_on(date(2026, 12, 31)) == []


@pytest.mark.parametrize(("old", "new", "fragment"), [
    ('6: [{start: "09:00", end: "12:00"}]', "6: []", "needs sessions"),
    ("start: 07-01", "start: 13-01", "MM-DD"),
    ('end: 09-30, sessions: [{start: "09:00", end: "12:00"}]', "end: 09-30, sessions: []",
     "at least 1"),
])
def test_hours_by_day_errors_name_file_and_line(tmp_path: Path, old: str, new: str,
                                                fragment: str) -> None:
    assert old in HOURS_BY_DAY
    text = MINI.replace('    - {start: 13:30, end: "17:00"}\n',
                        '    - {start: 13:30, end: "17:00"}\n' + HOURS_BY_DAY.replace(old, new),
                        1)
    errors = errors_of(tmp_path, text)
    assert any(fragment in e and e.startswith(f"{tmp_path / 'hall.yaml'}:") for e in errors), \
        errors


@pytest.mark.parametrize(("units", "promised", "legal", "ok"), [
    (("hours", "working_days"), 1, 30, True),  # 不动产 "1小时办结" within 30 working days
    (("natural_days", "working_days"), 5, 5, True),
    (("natural_days", "working_days"), 6, 5, False),
    (("working_days", "natural_days"), 1, 30, False),  # a longer unit than the law's
    (("hours", "working_days"), 9, 1, False),
])
def test_a_promise_in_another_unit_stays_within_the_law(
        units: tuple[str, str], promised: int, legal: int, ok: bool) -> None:
    cfg = load_hall(DEMO_CONFIG)
    body = {**cfg.items[0].model_dump(mode="json"), "promised_unit": units[0],
            "legal_unit": units[1], "promised_limit_days": promised, "legal_limit_days": legal}
    if ok:
        assert type(cfg.items[0]).model_validate(body).promised_unit.value == units[0]
    else:
        with pytest.raises(ValueError, match="承诺时限不得超过法定时限"):
            type(cfg.items[0]).model_validate(body)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('{start: "09:00", end: 12:00}', '{start: "09：00", end: "12:00"}',
     "时间 '09：00' 用了全角冒号，请写成 '09:00' / time '09：00' uses a full-width colon"),
    ('{start: "09:00", end: 12:00}', '{start: "24:30", end: "12:00"}',
     "时间 '24:30' 不是一天中的时刻（00:00 至 23:59）"),
])
def test_a_wrong_time_says_what_to_write_in_both_languages(tmp_path: Path, old: str, new: str,
                                                           expected: str) -> None:
    assert old in MINI
    errors = errors_of(tmp_path, MINI.replace(old, new, 1))
    assert any(e.startswith(f"{tmp_path / 'hall.yaml'}:7: opening_hours.sessions[0].start"
                            "（开放时间 › 时段 第1项 › 开始）") and expected in e
               for e in errors), errors
