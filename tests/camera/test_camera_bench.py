"""The QR benchmark prints one row per kind of frame and pass set, with plausible numbers."""

from __future__ import annotations

import pytest

from devices.camera.bench import main, run


def test_bench_prints_percentiles_and_reads() -> None:
    lines: list[str] = []
    assert run(frames=3, rounds=1, out=lines.append) == 0
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 9
    table = {(row[0], row[1]): row for row in rows}
    assert set(table) == {(kind, passes) for kind in ("clean", "hard", "empty")
                          for passes in ("plain", "quick", "all")}
    clean_all = table["clean", "all"]
    p50, p99 = float(clean_all[2]), float(clean_all[3])
    assert 0 < p50 <= p99
    assert clean_all[4] == "3/3"
    assert table["empty", "all"][4] == "-"


def test_bench_main_parses_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--frames", "1", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "bench qr: 1 synthetic 640x480 frames per kind, 1 rounds" in out
    assert "p99 ms" in out
