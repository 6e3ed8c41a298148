"""`bench qr`: what decoding a camera frame costs, per kind of frame and pass set.

Frames without a code are the usual case at a kiosk and pay for every pass, so they are
measured as a kind of their own; the plain OpenCV detector alone is the baseline the
fallback passes are weighed against. Synthetic frames (devices.camera.synth) make runs
comparable between machines; the numbers are for one thread on a 640x480 frame.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2

from devices.camera import synth
from devices.camera.qr import PASSES, QUICK_PASSES, Image, find_qr

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


@dataclass(frozen=True)
class _Case:
    text: str | None
    image: Image


def _texts(rng: random.Random) -> list[str]:
    code = "-".join("".join(rng.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
    token = "".join(rng.choice(_ALPHABET + "abcdefghjkmnpqrstuvwxyz") for _ in range(20))
    return [code, f"http://hall.example:8080/t/{token}", f"http://hall.example:8080/c/{token}"]


def clean_frames(count: int, seed: int = 1) -> list[_Case]:
    """Codes a citizen holds well: mid-size, a little turned, sharp, full contrast."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test frames, not secrets)
    cases = []
    for i in range(count):
        text = rng.choice(_texts(rng))
        image = synth.scene(text, size=rng.uniform(150, 260), angle=rng.uniform(-20, 20),
                            center=(rng.uniform(240, 400), rng.uniform(180, 300)), seed=i)
        cases.append(_Case(text, synth.to_bgr(synth.add_noise(image, 3, seed=i))))
    return cases


def hard_frames(count: int, seed: int = 2) -> list[_Case]:
    """Codes the plain detector often misses: small, tilted, dim, blurred, noisy."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test frames, not secrets)
    cases = []
    for i in range(count):
        text = rng.choice(_texts(rng))
        kind = i % 5
        size = rng.uniform(150, 220)
        dark, light = 0, 255
        tilt = 0.0
        if kind == 0:
            size = rng.uniform(60, 95)
        elif kind == 1:
            tilt = rng.uniform(0.25, 0.4)
        elif kind == 2:
            dark = rng.randint(110, 135)
            light = dark + rng.randint(12, 30)
        image = synth.scene(text, size=size, angle=rng.uniform(0, 360), tilt=tilt,
                            dark=dark, light=light, seed=i)
        if kind == 3:
            image = synth.gaussian_blur(image, rng.uniform(1.5, 2.2))
        elif kind == 4:
            image = synth.motion_blur(image, rng.choice([5, 7]), rng.uniform(0, 180))
        cases.append(_Case(text, synth.to_bgr(synth.add_noise(image, 3, seed=i))))
    return cases


def empty_frames(count: int, seed: int = 3) -> list[_Case]:
    """A hall with no code in view: what the kiosk sees most of the time."""
    return [_Case(None, synth.to_bgr(synth.add_noise(synth.background(seed=seed + i), 3,
                                                     seed=i)))
            for i in range(count)]


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _measure(cases: Sequence[_Case], passes: Sequence[str], rounds: int,
             ) -> tuple[list[float], int, Counter[str]]:
    times: list[float] = []
    hits = 0
    by_pass: Counter[str] = Counter()
    for _ in range(rounds):
        for case in cases:
            started = time.perf_counter()
            found = find_qr(case.image, passes=passes)
            times.append((time.perf_counter() - started) * 1000)
            if found is not None and found.text == case.text:
                hits += 1
                by_pass[found.pass_name] += 1
    return times, hits // rounds, by_pass


def run(*, frames: int = 40, rounds: int = 3, out: Callable[[str], None] = print) -> int:
    """Print decode time percentiles and hit counts for clean, hard and empty frames."""
    cv2.setNumThreads(1)  # one decode per core is how the scanner runs
    kinds = {"clean": clean_frames(frames), "hard": hard_frames(frames),
             "empty": empty_frames(frames)}
    pass_sets = {"plain": ("plain",), "quick": QUICK_PASSES, "all": PASSES}
    find_qr(kinds["clean"][0].image)  # create the per-thread detectors outside the timing
    out(f"bench qr: {frames} synthetic 640x480 frames per kind, {rounds} rounds, "
        f"one thread, OpenCV {cv2.__version__}")
    out(f"{'frames':<9}{'passes':<12}{'p50 ms':>8}{'p99 ms':>8}{'read':>8}  read by")
    for kind, cases in kinds.items():
        for label, passes in pass_sets.items():
            times, hits, by_pass = _measure(cases, passes, rounds)
            read = f"{hits}/{len(cases)}" if kind != "empty" else "-"
            detail = ", ".join(f"{name} {n // rounds}" for name, n in by_pass.most_common())
            out(f"{kind:<9}{label:<12}{statistics.median(times):>8.1f}"
                f"{_percentile(times, 99):>8.1f}{read:>8}  {detail}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: `python -m devices.camera.bench [--frames N] [--rounds R]`."""
    parser = argparse.ArgumentParser(prog="bench qr", description=__doc__)
    parser.add_argument("--frames", type=int, default=40, help="frames per kind")
    parser.add_argument("--rounds", type=int, default=3, help="times each frame is decoded")
    args = parser.parse_args(argv)
    return run(frames=args.frames, rounds=args.rounds)


if __name__ == "__main__":
    sys.exit(main())
