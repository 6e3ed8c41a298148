"""The render bench gives numbers for both Chinese modes (the CLI hooks `main` in)."""

from __future__ import annotations

import pytest

from devices.printer.bench import main, time_render


def test_time_render_measures_both_modes() -> None:
    results = time_render(5)
    assert set(results) == {"gb18030", "image"}
    for r in results.values():
        assert r["n"] == 5
        assert 0 < r["p50_ms"] <= r["p99_ms"]
        assert r["mean_ms"] > 0
    # image mode sends every Chinese line as dots: it must be the bigger stream
    assert results["image"]["bytes"] > results["gb18030"]["bytes"] > 1000


def test_main_prints_a_line_per_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-n", "2", "--paper", "58"]) == 0
    out = capsys.readouterr().out
    assert "58 mm" in out and "gb18030" in out and "image" in out
