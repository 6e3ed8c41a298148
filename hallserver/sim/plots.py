"""PNG plots of a routing benchmark (matplotlib, headless Agg backend)."""

from __future__ import annotations

import logging
from pathlib import Path

from hallserver.sim.runner import Benchmark

logger = logging.getLogger(__name__)


def write_plots(bench: Benchmark, outdir: Path) -> list[Path]:
    """Wait distribution per policy and share called within 20 min by hour of issue."""
    import matplotlib  # noqa: PLC0415 (optional, heavy: only when plots are asked for)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for p in bench.policies:
        w = np.sort(bench.waits[p])
        ax.plot(w, np.arange(1, w.size + 1) / w.size, label=p, lw=1.6 if p == "production" else 1)
    ax.axvline(20, color="grey", ls=":", lw=1)
    ax.set_xlim(0, 120)
    ax.set_xlabel("wait until called (min)")
    ax.set_ylabel("share of tickets")
    ax.set_title(f"{bench.scenario}: wait distribution (ECDF), {len(bench.seeds)} seeds")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    paths.append(outdir / f"{bench.scenario}-waits.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 5.5))
    for p in bench.policies:
        hours = sorted(bench.hourly[p])
        share = [100 * bench.hourly[p][h][0] / bench.hourly[p][h][1] for h in hours]
        ax.plot(hours, share, marker="o", label=p, lw=1.6 if p == "production" else 1)
    ax.set_xlabel("hour of issue")
    ax.set_ylabel("% called within 20 min")
    ax.set_ylim(0, 101)
    ax.set_title(f"{bench.scenario}: share called within 20 minutes by hour of issue")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    paths.append(outdir / f"{bench.scenario}-within20-by-hour.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)
    logger.info("plots written: %s", ", ".join(str(p) for p in paths))
    return paths
