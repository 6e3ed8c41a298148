"""Byte-exact golden files for tickets and receipts (python-escpos habit: golden bytes).

A golden pins the whole stream, so any change to layout, commands or encoding shows up in
review as a changed `.bin` file. What the bytes *mean* is checked separately and
independently in `test_printer_render_decode.py`; a golden only says "unchanged".

Regenerate after an intended change (then read the decode tests' verdict and the diff):

    ONEWINDOW_REGEN_GOLDEN=1 .venv/bin/pytest tests/printer/test_printer_render_golden.py

The image-mode goldens depend on FreeType's rasterisation of the CJK font: a Pillow or
font upgrade may change them legitimately; regenerate and check the decode tests still pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from printer_support import HALL_NAME, RECEIPT, REPRINT_AT, TICKET, TZ

from devices.printer.render import PrintProfile, render_receipt, render_ticket

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("ONEWINDOW_REGEN_GOLDEN") == "1"

GB_80 = PrintProfile(chinese="gb18030", paper_width_mm=80)
IMAGE_58 = PrintProfile(chinese="image", paper_width_mm=58)


def _ticket(profile: PrintProfile, reprint_at: datetime | None) -> Callable[[], bytes]:
    return lambda: render_ticket(TICKET, profile, tz=TZ, hall_name=HALL_NAME,
                                 reprint_at=reprint_at)


def _receipt(profile: PrintProfile, reprint_at: datetime | None) -> Callable[[], bytes]:
    return lambda: render_receipt(RECEIPT, profile, tz=TZ, hall_name=HALL_NAME,
                                  reprint_at=reprint_at)


CASES = {
    "ticket-gb18030-80": _ticket(GB_80, None),
    "ticket-image-58": _ticket(IMAGE_58, None),
    "ticket-reprint-gb18030-80": _ticket(GB_80, REPRINT_AT),
    "ticket-reprint-image-58": _ticket(IMAGE_58, REPRINT_AT),
    "receipt-gb18030-80": _receipt(GB_80, None),
    "receipt-image-58": _receipt(IMAGE_58, None),
    "receipt-reprint-gb18030-80": _receipt(GB_80, REPRINT_AT),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_matches_the_golden_file(name: str) -> None:
    data = CASES[name]()
    path = GOLDEN / f"{name}.bin"
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(data)
        pytest.skip(f"regenerated {path.name}")
    assert path.exists(), f"no golden {path.name}: run with ONEWINDOW_REGEN_GOLDEN=1"
    golden = path.read_bytes()
    if data != golden:
        first = next((i for i, (a, b) in enumerate(zip(data, golden, strict=False)) if a != b),
                     min(len(data), len(golden)))
        pytest.fail(f"{name}: {len(data)} bytes vs golden {len(golden)}; first difference at "
                    f"byte {first}: {data[first:first + 16]!r} vs {golden[first:first + 16]!r}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_is_deterministic(name: str) -> None:
    assert CASES[name]() == CASES[name]()


def test_goldens_differ_where_the_documents_differ() -> None:
    # A golden set where every file is the same (say, empty) would pass the test above.
    blobs = {name: (GOLDEN / f"{name}.bin").read_bytes() for name in CASES}
    assert len(set(blobs.values())) == len(blobs)
    assert all(len(b) > 1000 for b in blobs.values())
