"""`hallserver bench issue`: ticket issue over HTTP by N clients vs a bare endpoint.

Both servers run as separate uvicorn processes with one worker on loopback, so the
numbers include HTTP parsing, the thread pool and (for the real one) the login check and
the database commit. The real one runs without the device bus and without rate limits
(they would refuse a benchmark's flood), as a signed-in desk (ticket issue needs one).
"""

from __future__ import annotations

import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml
from fastapi import FastAPI

from hallserver.config.loader import load_hall
from hallserver.services.auth import AuthService, Role
from hallserver.settings import DEFAULT_CONFIG
from hallserver.store.db import Database

BENCH_USER, BENCH_PASSWORD = "bench-desk", "bench-desk-password"


def bare_app() -> FastAPI:
    """A FastAPI app whose endpoint does nothing: the floor of HTTP cost."""
    app = FastAPI()

    @app.post("/api/tickets")
    def noop(body: dict[str, object]) -> dict[str, str]:
        return {"number": "A001"}

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 (fixed argv, our own module)
        [sys.executable, "-m", "uvicorn", "--factory", target, "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{target} did not start")


def _seed_desk(config: Path, database_url: str) -> None:
    db = Database(database_url, load_hall(config).hall.id)
    try:
        db.migrate()
        AuthService(db, lambda: datetime.now(UTC)).ensure_user(
            BENCH_USER, "bench", Role.STAFF, BENCH_PASSWORD)
    finally:
        db.close()


def _desk_headers(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/login",
                   json={"username": BENCH_USER, "password": BENCH_PASSWORD}, timeout=10)
    if r.status_code != 200:  # the bare endpoint has no logins
        return {}
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _load(base: str, clients: int, requests: int, categories: list[str]) -> dict[str, float]:
    headers = _desk_headers(base)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = requests // clients

    def client(idx: int) -> None:
        nonlocal errors
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=base, timeout=30) as http:
            for i in range(per_client):
                body = {"category": categories[(idx + i) % len(categories)]}
                t0 = time.perf_counter()
                r = http.post("/api/tickets", json=body, headers=headers)
                mine.append(time.perf_counter() - t0)
                bad += r.status_code >= 300
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    return {"n": len(latencies), "errors": errors, "throughput": len(latencies) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def run(*, clients: int, requests: int, database_url: str | None) -> int:
    """Run both loads and print a table with the ratio."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="ow-bench-") as tmp:
        layout = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
        for c in layout["categories"]:
            c["daily_cap"] = 9999  # measure issuing, not refusals
        config = Path(tmp) / "hall.yaml"
        config.write_text(yaml.safe_dump(layout, allow_unicode=True), encoding="utf-8")
        url = database_url or f"sqlite:///{tmp}/bench.db"
        _seed_desk(config, url)
        env = {"HALL_CONFIG": str(config), "HALL_ENFORCE_HOURS": "false",
               "HALL_DATABASE_URL": url, "HALL_BUS": "false", "HALL_RATE_LIMITS": "false"}
        categories = [c["prefix"] for c in layout["categories"]]
        results = {}
        for name, target in (("issue ticket", "hallserver.app:create_app"),
                             ("bare endpoint", "hallserver.bench.issue:bare_app")):
            proc, base = _start(target, env)
            try:
                _load(base, clients, min(200, requests), categories)  # warm up
                results[name] = _load(base, clients, requests, categories)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    db = "sqlite" if not database_url else database_url.split(":", 1)[0]
    print(f"bench issue: {clients} clients, {requests} requests each run, one worker, {db}")
    print(f"{'target':<15}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, r in results.items():
        print(f"{name:<15}{r['throughput']:>9.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
              f"{int(r['errors']):>8}")
    real, bare = results["issue ticket"], results["bare endpoint"]
    print(f"ratio issue/bare: throughput {real['throughput'] / bare['throughput']:.2f}x, "
          f"p50 {real['p50_ms'] / bare['p50_ms']:.1f}x, p99 {real['p99_ms'] / bare['p99_ms']:.1f}x")
    return 0 if real["errors"] == 0 else 1
