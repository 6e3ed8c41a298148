"""How long rendering a ticket takes, and how big it is, in each Chinese mode.

A kiosk renders a ticket between the citizen's tap and the paper coming out; the image
mode draws every Chinese line with FreeType and sends far more bytes (which on a 9600-baud
serial printer is the real cost). These numbers say whether either matters.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from devices.printer.render import PrintProfile, render_ticket
from devices.protocol.messages import Text, TicketDocument

SAMPLE = TicketDocument(
    number="A012",
    category_name=Text(zh="企业开办", en="Business registration"),
    people_ahead=7,
    predicted_wait_min=18,
    zone=Text(zh="一楼综合受理A区", en="Floor 1, Zone A"),
    windows=[1, 2, 3, 5],
    qr_url="https://hall.example.gov.cn/t/Zx8Qm2Lr9KpT4vWc",
    issued_at=datetime(2024, 3, 4, 1, 15, tzinfo=UTC),
)
HALL = Text(zh="某市政务服务中心", en="City Government Service Center")


def _percentile(sorted_ms: list[float], q: float) -> float:
    index = min(len(sorted_ms) - 1, max(0, round(q * (len(sorted_ms) - 1))))
    return sorted_ms[index]


def time_render(n: int = 200, *, paper_width_mm: int = 80) -> dict[str, dict[str, float]]:
    """Render the sample ticket n times per mode: p50/p99/mean in ms and the byte size."""
    tz = ZoneInfo("Asia/Shanghai")
    out: dict[str, dict[str, float]] = {}
    for mode in ("gb18030", "image"):
        profile = PrintProfile(chinese=mode, paper_width_mm=paper_width_mm)  # type: ignore[arg-type]
        data = render_ticket(SAMPLE, profile, tz=tz, hall_name=HALL)  # warm the font cache
        samples: list[float] = []
        for _ in range(n):
            started = time.perf_counter()
            render_ticket(SAMPLE, profile, tz=tz, hall_name=HALL)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        out[mode] = {"p50_ms": _percentile(samples, 0.50), "p99_ms": _percentile(samples, 0.99),
                     "mean_ms": statistics.fmean(samples), "bytes": float(len(data)),
                     "n": float(n)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the render timings (a CLI entry point)."""
    parser = argparse.ArgumentParser(description="ticket render timings")
    parser.add_argument("-n", type=int, default=200, help="renders per mode")
    parser.add_argument("--paper", type=int, choices=(58, 80), default=80)
    args = parser.parse_args(argv)
    results = time_render(args.n, paper_width_mm=args.paper)
    print(f"ticket render, {args.paper} mm paper, n={args.n}")
    for mode, r in results.items():
        print(f"  {mode:8} p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
              f"mean {r['mean_ms']:6.2f} ms  {int(r['bytes']):6d} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
